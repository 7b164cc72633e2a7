"""Signals for whoever wants to know how bookings go (``clinic.ops.metrics`` counts them).

``booking_made`` is sent once the transaction holding a new booking commits (a double
click that finds its first booking sends nothing); ``booking_refused`` when
``book_place`` refuses, with the refusal's name as ``reason`` (``slot_full``,
``already_booked``, ``booking_closed``…).  Both take the session as sender.

``booking/service.py`` marks the two places with ``@announces_refusals`` and
``@announces_new_booking``; nothing else there knows about signals.
"""

from __future__ import annotations

import functools
import re

from blinker import Namespace
from sqlalchemy import event
from sqlalchemy.orm import Session

from .errors import RuleError

_signals = Namespace()
booking_made = _signals.signal("booking-made")
booking_refused = _signals.signal("booking-refused")
# Sent (session as sender, ``partnership=``) when the service owner adds a partnership, in
# its transaction: what a new partnership starts with (its guidance) is added by whoever
# owns it (``clinic/__init__.py`` connects the guidance seed), without the partnerships
# feature knowing the others.
partnership_created = _signals.signal("partnership-created")

_PENDING = "booking_signals_made"
# A double click that raced its own first click: the booking exists, nothing was refused.
_NOT_REFUSALS = {"AlreadySubmitted"}


def reason_name(exc: Exception) -> str:
    """SlotFull -> "slot_full"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def announces_refusals(book_place):
    @functools.wraps(book_place)
    def wrapper(session, *args, **kwargs):
        try:
            return book_place(session, *args, **kwargs)
        except RuleError as exc:  # BookingError, SlotFull: every refusal is one
            if type(exc).__name__ not in _NOT_REFUSALS:
                booking_refused.send(session, reason=reason_name(exc))
            raise

    return wrapper


def announces_new_booking(add_booking):
    @functools.wraps(add_booking)
    def wrapper(session, *args, **kwargs):
        booking = add_booking(session, *args, **kwargs)
        session.info.setdefault(_PENDING, []).append(booking.id)
        return booking

    return wrapper


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    for booking_id in session.info.pop(_PENDING, []):
        booking_made.send(session, booking_id=booking_id)


def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


# Every session (the app's and any a test or command makes): a cheap look in session.info.
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
