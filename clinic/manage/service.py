"""Changing a booking after it is made: cancelling it or moving it to another time.

Parents do this from the signed link in their emails, staff from their own pages, and
an officer cancelling a whole clinic cancels each of its bookings here too; all call these
functions, which add everything to the caller's session (the change, the email with the
updated invite, the audit event, the offer to the waiting list) and leave the commit to
the caller, who rolls back on any error.

The booking row is changed by conditional UPDATEs (``WHERE status = 'confirmed'``, and
for a move ``AND slot_id = <old slot>``), so a double click or two open tabs can never
cancel twice (giving back two places) or move a booking out of a slot it has already
left, on either database.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit
from ..booking import interpreters
from ..booking.places import give_back_place, take_place
from ..booking.service import FULL, OPEN, slot_state
from ..errors import RuleError
from ..filters import format_datetime
from ..links import parent_url
from ..models import (
    LIVE_BOOKING_STATUSES,
    MARKED_BOOKING_STATUSES,
    Booking,
    Clinic,
    Slot,
    User,
    utcnow,
)
from ..notices import send_booking_email, send_booking_text
from ..rows import changed
from ..waitlist import service as waitlist

# Why a booking can no longer be changed (shown on its page), or None while it can.
CANCELLED = "cancelled"
CLINIC_CANCELLED = "clinic_cancelled"
STARTED = "started"
OVER = "over"


class ChangeRefused(RuleError):
    """A change the rules do not allow; ``message`` is shown to the person as it is, in
    the language of the page that asked (translated when raised, so a flash keeps a str)."""

    message = _l("This booking cannot be changed.")

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(str(message or self.message), field)


class BookingLocked(ChangeRefused):
    """The booking is cancelled, its clinic is cancelled or over, or its time has begun."""

    def __init__(self, reason: str):
        super().__init__(LOCKED_MESSAGES.get(reason, ChangeRefused.message))
        self.reason = reason


class TimeNotAvailable(ChangeRefused):
    message = _l("That time is no longer available. Choose another time.")
    field = "slot_id"


LOCKED_MESSAGES = {
    CANCELLED: _l("This booking has been cancelled, so it cannot be changed."),
    CLINIC_CANCELLED: _l("This clinic has been cancelled, so the booking cannot be changed."),
    STARTED: _l("Your appointment time has started, so the booking can no longer be changed."),
    OVER: _l("This clinic has finished, so the booking can no longer be changed."),
}


def clinic_over(clinic: Clinic, now: datetime) -> bool:
    """The clinic has finished once its last slot has ended (the manage link's lifetime)."""
    ends = [slot.ends_at for slot in clinic.slots]
    return bool(ends) and max(ends) <= now


def booking_closed(clinic: Clinic, now: datetime) -> bool:
    """Parents can no longer book (or move) into this clinic; staff still can."""
    return clinic.booking_closes_at is not None and now >= clinic.booking_closes_at


def lock_reason(booking: Booking, now: datetime) -> str | None:
    """Why this booking can no longer be changed, or None while it still can be."""
    if booking.status == "cancelled":
        return CANCELLED
    if booking.clinic.status == "cancelled":
        return CLINIC_CANCELLED
    if booking.status in MARKED_BOOKING_STATUSES or clinic_over(booking.clinic, now):
        return OVER
    if booking.slot.starts_at <= now:
        return STARTED
    return None


def move_choices(booking: Booking, now: datetime, *, staff: bool = False) -> list[Slot]:
    """The other times of the same clinic that have a place now (parents: while booking
    is open; staff, booking on a parent's behalf, also after it has closed)."""
    clinic = booking.clinic
    return [
        slot
        for slot in clinic.slots
        if slot.id != booking.slot_id and slot_state(clinic, slot, now, staff=staff) == OPEN
    ]


def cancel_booking(
    session: Session,
    booking: Booking,
    *,
    actor: User | str,
    reason: str | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> None:
    """Cancel the booking, free its place, send METHOD:CANCEL, and offer the place on.

    Raises ``BookingLocked`` when the booking can no longer be changed (also when another
    request cancelled it first)."""
    now = now or utcnow()
    _check_changeable(booking, now)
    _mark_cancelled(session, booking, now)
    give_back_place(session, booking.slot_id)
    if notify:
        # Status is now "cancelled": the invite goes as METHOD:CANCEL, same UID, higher SEQUENCE.
        send_booking_email(
            session,
            booking,
            template="booking_cancelled",
            subject=lambda: _("Your booking is cancelled: %(title)s", title=booking.clinic.title),
            kind="booking_cancelled",
            reason=reason,
            by_staff=isinstance(actor, User),
        )
        send_booking_text(session, booking, template="booking_cancelled", kind="booking_cancelled")
    audit.record(
        session,
        actor,
        "booking.cancel",
        booking,
        school_id=booking.clinic.school_id,
        reference=booking.reference,
        slot_id=booking.slot_id,
        reason=reason,
        notified=notify,
    )
    waitlist.place_freed(session, booking.clinic_id, now=now)


def say_still_coming(session: Session, booking: Booking, *, now: datetime | None = None) -> None:
    """The family answered "Yes, we're coming" (``booking.still_coming``): note it and
    when.  Saying it again only moves the time.

    Raises ``BookingLocked`` when the booking can no longer be changed (cancelled, also by
    another request a moment ago, or its time has come)."""
    now = now or utcnow()
    _check_changeable(booking, now)
    answered = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == "confirmed")
        .values(still_coming_answer="yes", still_coming_answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed(answered) != 1:
        raise BookingLocked(CANCELLED)
    session.refresh(booking)
    audit.record(
        session,
        "parent",
        "booking.still_coming",
        booking,
        school_id=booking.clinic.school_id,
        reference=booking.reference,
    )


def give_place_back(session: Session, booking: Booking, *, now: datetime | None = None) -> None:
    """The family answered "We can't come": the parent's own cancellation (CANCEL invite,
    place given back, waiting list offered), with the answer noted for the officer."""
    now = now or utcnow()
    cancel_booking(session, booking, actor="parent", now=now)
    session.execute(
        update(Booking)
        .where(Booking.id == booking.id)
        .values(still_coming_answer="no", still_coming_answered_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(booking)


def cancel_for_clinic(
    session: Session,
    booking: Booking,
    *,
    actor: User,
    reason: str,
    now: datetime,
) -> None:
    """Cancel one booking of a clinic that is being cancelled, and tell the parent why.

    The caller (``schedule.service.cancel_clinic``) has already emptied every slot of the
    clinic in one statement and closes its waiting list, so no place is given back or
    offered on here; the booking itself changes exactly as a parent's cancel changes it."""
    _mark_cancelled(session, booking, now, statuses=LIVE_BOOKING_STATUSES)
    send_booking_email(
        session,
        booking,
        template="clinic_cancelled",
        subject=lambda: _("Clinic cancelled – %(school)s", school=booking.clinic.school.name),
        kind="clinic_cancelled",
        reason=reason,
        other_clinics_url=parent_url(
            "booking.school_page", language=booking.language, slug=booking.clinic.school.slug
        ),
    )
    send_booking_text(session, booking, template="clinic_cancelled", kind="clinic_cancelled")
    audit.record(
        session,
        actor,
        "booking.cancel",
        booking,
        school_id=booking.clinic.school_id,
        because="clinic cancelled",
    )


def _mark_cancelled(
    session: Session,
    booking: Booking,
    now: datetime,
    *,
    statuses: tuple[str, ...] = ("confirmed",),
) -> None:
    """The one change of a booking to cancelled: status, when, and SEQUENCE + 1 (so the
    METHOD:CANCEL invite outranks every invite sent before).  A conditional UPDATE, so a
    double click or two tabs cancel once; ``BookingLocked`` when another request did."""
    cancelled = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status.in_(statuses))
        .values(status="cancelled", cancelled_at=now, sequence=Booking.sequence + 1)
        .execution_options(synchronize_session=False)
    )
    if changed(cancelled) != 1:
        raise BookingLocked(CANCELLED)
    session.refresh(booking)


def move_booking(
    session: Session,
    booking: Booking,
    new_slot_id: int,
    *,
    actor: User | str,
    now: datetime | None = None,
) -> None:
    """Move the booking to another time of the same clinic, holding the new place first.

    The new place is taken before the old one is given back, in one transaction: if the
    new time is full (``SlotFull``) nothing has changed.  The parent gets the same
    calendar event (UID) with SEQUENCE one higher, so their calendar moves it."""
    now = now or utcnow()
    _check_changeable(booking, now)
    old_slot = booking.slot
    new_slot = _target_slot(session, booking, new_slot_id, now, staff=isinstance(actor, User))
    _lock_in_order(session, booking.id, old_slot.id, new_slot.id)
    take_place(session, new_slot.id)  # raises SlotFull before anything has changed
    moved = session.execute(
        update(Booking)
        .where(
            Booking.id == booking.id,
            Booking.status == "confirmed",
            Booking.slot_id == old_slot.id,
        )
        .values(slot_id=new_slot.id, sequence=Booking.sequence + 1)
        .execution_options(synchronize_session=False)
    )
    if changed(moved) != 1:  # changed by another request meanwhile; the caller rolls back
        raise ChangeRefused(_("This booking was changed a moment ago. Check it and try again."))
    give_back_place(session, old_slot.id)
    session.refresh(booking)
    send_booking_email(
        session,
        booking,
        template="booking_moved",
        subject=lambda: _(
            "Your booking has moved to %(when)s", when=format_datetime(new_slot.starts_at)
        ),
        kind="booking_moved",
        old_slot=old_slot,
        by_staff=isinstance(actor, User),
    )
    send_booking_text(session, booking, template="booking_moved", kind="booking_moved")
    interpreters.tell_officer(session, booking, moved=True, now=now)
    audit.record(
        session,
        actor,
        "booking.move",
        booking,
        school_id=booking.clinic.school_id,
        reference=booking.reference,
        from_slot_id=old_slot.id,
        to_slot_id=new_slot.id,
    )
    waitlist.place_freed(session, booking.clinic_id, now=now)


def _check_changeable(booking: Booking, now: datetime) -> None:
    reason = lock_reason(booking, now)
    if reason is not None:
        raise BookingLocked(reason)


def _target_slot(
    session: Session, booking: Booking, slot_id: int, now: datetime, *, staff: bool
) -> Slot:
    """The slot to move to: another, not yet started, time of the same clinic.

    Fullness is left to ``take_place``, the one atomic check."""
    slot = session.get(Slot, slot_id)
    if slot is None or slot.clinic_id != booking.clinic_id or slot.id == booking.slot_id:
        raise TimeNotAvailable()
    if slot_state(booking.clinic, slot, now, staff=staff) not in (OPEN, FULL):
        raise TimeNotAvailable()
    return slot


def _lock_in_order(session: Session, booking_id: int, *slot_ids: int) -> None:
    """PostgreSQL: lock the booking, then both slots in id order, before changing any.

    Two parents swapping times at the same moment would otherwise each hold one slot and
    wait for the other's (a deadlock).  SQLite ignores FOR UPDATE; there each transaction
    already holds the write lock from its start."""
    session.execute(select(Booking.id).where(Booking.id == booking_id).with_for_update())
    session.execute(
        select(Slot.id).where(Slot.id.in_(slot_ids)).order_by(Slot.id).with_for_update()
    )
