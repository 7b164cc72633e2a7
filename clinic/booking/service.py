"""Booking a place: the rules a booking must pass, and the one transaction that makes it.

``book_place`` adds everything to the caller's session (the booking, the place taken in
the slot, the confirmation email in the outbox, the audit event) and the caller commits.
Every refusal is a named error raised before anything is written, except a clash the
database itself finds (two requests racing); then the caller rolls back, so on any error
nothing is written.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session, joinedload

from .. import audit
from ..errors import RuleError
from ..filters import format_datetime
from ..models import (
    Booking,
    Clinic,
    School,
    Slot,
    User,
    household_values,
    normalise_email,
    utcnow,
)
from ..notices import send_booking_email, send_booking_text
from ..signals import announces_new_booking, announces_refusals
from ..upsert import insert_into
from . import interpreters
from .places import SlotFull, take_place

# No 0/O or 1/I: a reference read out over the phone or typed from a letter stays right.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8


class BookingError(RuleError):
    """A booking refused by a rule; ``message`` is shown to the parent as it is."""

    message = _l("This time cannot be booked.")


class ClinicNotFound(BookingError):
    """No such slot, or its clinic is a draft (not public yet)."""

    message = _l("We could not find this clinic.")


class ClinicCancelled(BookingError):
    message = _l("This clinic has been cancelled.")


class BookingNotOpen(BookingError):
    message = _l("Booking for this clinic has not opened yet.")


class BookingClosed(BookingError):
    message = _l("Booking for this clinic has closed.")


class SlotInPast(BookingError):
    message = _l("This time has already passed.")


class AlreadyBooked(BookingError):
    """Rule 2: one household (email address), one live booking per clinic."""

    message = _l(
        "There is already a booking for this email address at this clinic. "
        "Use the link in your confirmation email to change or cancel it."
    )
    field = "email"


class AlreadySubmitted(BookingError):
    """This form was already sent and made a booking (a double click that raced the first).

    The caller rolls back and shows ``booking_id``'s confirmation."""

    message = _l("This booking has already been made.")

    def __init__(self, booking_id: int):
        super().__init__()
        self.booking_id = booking_id


# --- whether a slot can be booked ------------------------------------------------------

OPEN = "open"
FULL = "full"


class SlotTimes(Protocol):
    """What ``slot_state`` reads of a slot: a ``Slot``, or a row of those columns."""

    @property
    def starts_at(self) -> datetime: ...

    @property
    def places_left(self) -> int: ...


def slot_state(clinic: Clinic, slot: SlotTimes, now: datetime, *, staff: bool = False) -> str:
    """Why a slot can or cannot be booked now, as one word (the pages and the rules agree).

    ``draft``, ``cancelled``, ``past``, ``not_open``, ``closed``, ``full`` or ``open``.
    Staff booking on a parent's behalf may book outside the booking window, never more
    than the capacity.
    """
    shut = _shut(clinic, slot, now, staff=staff)
    if shut is not None:
        return shut
    if slot.places_left <= 0:
        return FULL
    return OPEN


def _shut(clinic: Clinic, slot: SlotTimes, now: datetime, *, staff: bool) -> str | None:
    """Why the slot cannot be booked now whatever its places (``slot_state``'s words), or
    None.  Reads nothing of the slot's count, so asking again after a place was taken
    sends no query."""
    if clinic.status != "published":
        return clinic.status
    if slot.starts_at <= now:
        return "past"
    if not staff:
        if clinic.booking_opens_at is not None and now < clinic.booking_opens_at:
            return "not_open"
        if clinic.booking_closes_at is not None and now >= clinic.booking_closes_at:
            return "closed"
    return None


_REFUSALS: dict[str, type[BookingError]] = {
    "draft": ClinicNotFound,
    "cancelled": ClinicCancelled,
    "past": SlotInPast,
    "not_open": BookingNotOpen,
    "closed": BookingClosed,
}


def check_bookable(clinic: Clinic, slot: SlotTimes, now: datetime, *, staff: bool = False) -> None:
    """Raise the named error for a clinic that cannot take a booking now (fullness aside:
    only the atomic ``take_place`` may decide that)."""
    state = _shut(clinic, slot, now, staff=staff)
    if state is not None:
        raise _REFUSALS[state]()


# --- looking things up -----------------------------------------------------------------

# The statements a Confirm sends, built once: SQLAlchemy builds a statement in Python each
# time it is written out, which cost more than the database took to run it (issue 19).
_WITH_PAGE = [joinedload(Slot.clinic).joinedload(Clinic.school).joinedload(School.partnership)]
_BY_SUBMISSION = select(Booking).where(Booking.submission_id == bindparam("submission_id"))
_TOLD_BY_SUBMISSION = select(Booking.slot_id, Booking.email, Booking.topics, Booking.id).where(
    Booking.submission_id == bindparam("submission_id")
)
_LIVE_BOOKING_ID = select(Booking.id).where(
    Booking.clinic_id == bindparam("clinic_id"),
    Booking.email_normalised == bindparam("email"),
    Booking.is_live,
)
_OTHER_SLOTS = (
    select(
        Slot.id, Slot.starts_at, Slot.ends_at, (Slot.capacity - Slot.booked).label("places_left")
    )
    .where(Slot.clinic_id == bindparam("clinic_id"), Slot.id != bindparam("but"))
    .order_by(Slot.starts_at)
)


def bookable_slot(session: Session, slot_id: int) -> Slot:
    """The slot with this id, unless it is missing or its clinic is still a draft.  Its
    clinic, school and partnership come in the same query: every booking page shows them."""
    slot = session.get(Slot, slot_id, options=_WITH_PAGE)
    if slot is None or slot.clinic.status == "draft":
        raise ClinicNotFound()
    return slot


def told_for_submission(session: Session, submission_id: str) -> Row | None:
    """What a parent's second click is told of the booking this submission already made
    (``slot_id``, ``email``, ``topics``, ``id``), as plain values; None if it made none
    (a parent's every Confirm asks, so only those columns are read)."""
    return session.execute(_TOLD_BY_SUBMISSION, {"submission_id": submission_id}).first()


def booking_for_submission(session: Session, submission_id: str) -> Booking | None:
    """The booking this form submission already made, if any (double clicks)."""
    return session.scalar(_BY_SUBMISSION, {"submission_id": submission_id})


def live_booking_for(session: Session, clinic_id: int, email: str) -> Booking | None:
    """This household's (email's) live booking in the clinic, if it holds one."""
    return session.scalar(Booking.live_at(clinic_id, email))


def live_booking_exists(session: Session, clinic_id: int, email: str) -> bool:
    """Whether this household (email) already holds a live booking in the clinic (its id
    only is read)."""
    found = session.scalar(
        _LIVE_BOOKING_ID, {"clinic_id": clinic_id, "email": normalise_email(email)}
    )
    return found is not None


def new_reference(session: Session) -> str:
    """A short reference parents can read out: 8 characters, about 10^12 possibilities."""
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        taken = session.scalar(select(Booking.id).where(Booking.reference == reference))
        if taken is None:
            return reference


def other_open_slots(
    session: Session, clinic: Clinic, now: datetime, *, but: int | None = None
) -> list[Row]:
    """The clinic's other slots a parent could book now (offered when theirs filled up),
    as plain rows: ``id``, ``starts_at``, ``ends_at``, ``places_left``."""
    rows = session.execute(_OTHER_SLOTS, {"clinic_id": clinic.id, "but": but or 0}).all()
    return [row for row in rows if slot_state(clinic, row, now) == OPEN]


# --- booking ---------------------------------------------------------------------------


@announces_refusals
def book_place(
    session: Session,
    *,
    slot_id: int,
    details: dict,
    submission_id: str,
    booked_by: User | None = None,
    now: datetime | None = None,
    submission_looked_up: bool = False,
) -> Booking:
    """Book one household into a slot, with its confirmation email and audit event.

    ``details`` are the answers of ``HouseholdForm.values()``; the parent has agreed to the
    privacy notice.  Sending the same ``submission_id`` again returns the booking it made
    (``submission_looked_up``: the caller has just looked it up, in this transaction, and
    found none).  Raises a ``BookingError`` or ``SlotFull``; the caller commits, or rolls
    back on error.
    """
    now = now or utcnow()
    if not submission_looked_up:
        existing = booking_for_submission(session, submission_id)
        if existing is not None:
            return existing
    slot = bookable_slot(session, slot_id)
    clinic = slot.clinic
    check_bookable(clinic, slot, now, staff=booked_by is not None)
    if live_booking_exists(session, clinic.id, details["email"]):
        raise AlreadyBooked()
    try:
        take_place(session, slot.id)
    except SlotFull:
        # A double click whose first click took the last place: show that booking.  On
        # PostgreSQL the first click may have committed while this one waited for the
        # slot's row lock; on SQLite the transaction has held the write lock since its
        # first statement, so the look-up above already saw every commit.
        if not _holds_write_lock(session):
            existing = booking_for_submission(session, submission_id)
            if existing is not None:
                return existing
        raise
    if not _holds_write_lock(session):
        # On PostgreSQL a cancellation of the clinic may have committed while this
        # request waited for the slot's row lock; look again now that the place is held.
        session.refresh(clinic, ["status"])
        check_bookable(clinic, slot, now, staff=booked_by is not None)
    booking = _add_booking(session, slot, details, submission_id, booked_by, now)
    send_booking_email(
        session,
        booking,
        template="booking_confirmed",
        subject=lambda: _(
            "Your place is booked for %(when)s", when=format_datetime(slot.starts_at)
        ),
        kind="booking_confirmed",
    )
    send_booking_text(session, booking, template="booking_confirmed", kind="booking_confirmed")
    interpreters.tell_officer(session, booking, now=now)
    audit.record(
        session,
        booked_by or "parent",
        "booking.create",
        booking,
        school_id=clinic.school_id,
        reference=booking.reference,
        slot_id=slot.id,
        on_behalf=booked_by is not None,
    )
    return booking


def _holds_write_lock(session: Session) -> bool:
    """Whether this transaction has held the database's write lock since its first
    statement (SQLite: ``BEGIN IMMEDIATE``), so nothing committed since it began."""
    return session.get_bind().dialect.name == "sqlite"


@announces_new_booking
def _add_booking(
    session: Session,
    slot: Slot,
    details: dict,
    submission_id: str,
    booked_by: User | None,
    now: datetime,
) -> Booking:
    """Insert the booking, or raise the rule a unique index enforced (a race the checks
    above could not see: the same form or household committed meanwhile).

    ``INSERT … ON CONFLICT DO NOTHING`` leaves the transaction usable after a clash, where
    a failed INSERT would abort it on PostgreSQL; it needs no savepoint either."""
    values = dict(
        reference=new_reference(session),
        clinic_id=slot.clinic_id,
        slot_id=slot.id,
        **household_values(details),
        consent_at=now,
        consent_version=current_app.config["CONSENT_VERSION"],
        status="confirmed",
        sequence=0,
        submission_id=submission_id,
        booked_by_id=booked_by.id if booked_by is not None else None,
    )
    booking_id = session.scalar(
        insert_into(session, Booking)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(Booking.id)
    )
    if booking_id is None:
        clash = _clash(session, submission_id, slot.clinic_id, details["email"])
        if clash is None:  # the reference or uid: one in 10^12, and the caller rolls back
            raise RuntimeError("booking not inserted: a reference clashed")
        raise clash
    return session.get_one(Booking, booking_id)


def _clash(session: Session, submission_id: str, clinic_id: int, email: str) -> BookingError | None:
    """Which rule the database enforced: this form's booking exists, or this household's."""
    existing = booking_for_submission(session, submission_id)
    if existing is not None:
        return AlreadySubmitted(existing.id)
    if live_booking_exists(session, clinic_id, email):
        return AlreadyBooked()
    return None


# --- "already booked", told to the address, not to whoever typed it --------------------

ALREADY_BOOKED_NOTICE = "booking.already_booked_notice"
# At most one such email per booking in this time, so the form cannot be used to spam.
ALREADY_BOOKED_NOTICE_EVERY = timedelta(hours=1)


def tell_already_booked(
    session: Session, clinic_id: int, email: str, *, now: datetime | None = None
) -> bool:
    """Someone tried to book again with the address of a household that has a booking at
    this clinic.  The page they see says only "check your email" (the same as after a
    booking), so it tells whoever typed the address nothing; the address's holder gets an
    email with their booking's link (and its invite, unchanged: the same event again) —
    at most once an hour per booking.  Returns whether the email was queued; the caller
    commits."""
    now = now or utcnow()
    booking = live_booking_for(session, clinic_id, email)
    if booking is None:
        return False
    if audit.recorded_since(
        session, ALREADY_BOOKED_NOTICE, booking, now - ALREADY_BOOKED_NOTICE_EVERY
    ):
        return False
    send_booking_email(
        session,
        booking,
        template="already_booked",
        subject=lambda: _("You already have a place: %(title)s", title=booking.clinic.title),
        kind="already_booked",
    )
    audit.record(
        session, "parent", ALREADY_BOOKED_NOTICE, booking, school_id=booking.clinic.school_id
    )
    return True
