"""Check-in on the day of a clinic: marking bookings attended or no-show, walk-ins, and
closing the clinic (which the follow-up emails key off).

Plain functions taking a session and values; they raise the named errors below and never
commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..filters import format_date
from ..localtime import local_today
from ..models import Booking, Clinic, Slot, User, WalkIn, utcnow
from ..rows import changed
from . import sheets
from .service import AttendanceError

MARKS = ("attended", "no_show", "confirmed")  # "confirmed" undoes a mark


class NotInClinic(AttendanceError):
    """The booking or walk-in is not one this clinic can change: it belongs to another clinic,
    it does not exist, or (for a mark) the booking is cancelled. Views answer 404."""


class CheckInRefused(AttendanceError):
    """Marks cannot be changed now (before the day, after closing, clinic not running)."""


class AlreadyClosed(AttendanceError):
    """Someone closed the clinic first (a second tap, or another device)."""


def check_in_refusal(clinic: Clinic, user: User, now: datetime | None = None) -> str | None:
    """Why ``user`` cannot change marks or walk-ins at this clinic now; None when they can.

    Marks open on the day (a mark made early would be wrong and could send a follow-up
    email); once the clinic is closed only officers and coordinators correct them."""
    if clinic.status != "published":
        return "This clinic is not running, so nobody can be checked in."
    today = local_today(now)
    if today < clinic.date:
        return f"Check-in opens on the day of the clinic, {format_date(clinic.date)}."
    if clinic.closed_at is not None and user.role == "school":
        return "This clinic has been closed. Ask the officer if a mark needs correcting."
    return None


def _check_may_change(clinic: Clinic, user: User, now: datetime | None) -> None:
    refusal = check_in_refusal(clinic, user, now)
    if refusal:
        raise CheckInRefused(refusal)


def mark_booking(
    session: Session,
    clinic: Clinic,
    booking_id: int,
    mark: str,
    *,
    actor: User,
    now: datetime | None = None,
) -> Booking:
    """Mark a booking attended or no-show, or back to booked; records who and when.

    The UPDATE only touches a live booking of this clinic, so a parent cancelling at the
    same moment is never turned back into a booking (the slot's count stays right)."""
    if mark not in MARKS:
        raise ValueError(f"unknown mark {mark!r}")
    _check_may_change(clinic, actor, now)
    booking = session.get(Booking, booking_id)
    if booking is None or booking.clinic_id != clinic.id or booking.status == "cancelled":
        raise NotInClinic("booking not in this clinic")
    previous = booking.status
    if previous == mark:  # a second tap: nothing to change
        return booking
    now = now or utcnow()
    marked = mark != "confirmed"
    result = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status != "cancelled")
        .values(
            status=mark,
            checked_in_by_id=actor.id if marked else None,
            checked_in_at=now if marked else None,
        )
        .execution_options(synchronize_session=False)
    )
    session.expire(booking)
    if changed(result) != 1:  # the parent cancelled meanwhile
        raise NotInClinic("booking cancelled meanwhile")
    audit.record(
        session,
        actor,
        "booking.mark",
        booking,
        school_id=clinic.school_id,
        status=mark,
        previous=previous,
    )
    return booking


def add_walk_in(
    session: Session,
    clinic: Clinic,
    *,
    actor: User,
    parent_name: str | None,
    child_years: list[str],
    topics: list[str],
    slot_id: int | None = None,
    now: datetime | None = None,
) -> WalkIn:
    """Someone who came without booking: counted apart, so a slot's capacity does not apply."""
    _check_may_change(clinic, actor, now)
    if (
        slot_id is not None
        and session.scalar(
            select(func.count()).where(Slot.id == slot_id, Slot.clinic_id == clinic.id)
        )
        != 1
    ):
        raise NotInClinic("slot not in this clinic")
    walk_in = WalkIn(
        clinic_id=clinic.id,
        slot_id=slot_id,
        parent_name=(parent_name or "").strip() or None,
        child_years=list(child_years),
        topics=list(topics),
        added_by_id=actor.id,
    )
    session.add(walk_in)
    audit.record(session, actor, "walk_in.add", walk_in, school_id=clinic.school_id)
    return walk_in


def remove_walk_in(
    session: Session, clinic: Clinic, walk_in_id: int, *, actor: User, now: datetime | None = None
) -> None:
    """Take back a walk-in added by mistake."""
    _check_may_change(clinic, actor, now)
    walk_in = session.get(WalkIn, walk_in_id)
    if walk_in is None or walk_in.clinic_id != clinic.id:
        raise NotInClinic("walk-in not in this clinic")
    audit.record(session, actor, "walk_in.remove", walk_in, school_id=clinic.school_id)
    session.delete(walk_in)


def close_clinic(
    session: Session, clinic: Clinic, *, actor: User, now: datetime | None = None
) -> None:
    """The clinic is over: follow-up emails go to the parents marked attended.

    Closing twice (two devices, a double tap) raises ``AlreadyClosed`` instead of moving
    the time the clinic closed."""
    if clinic.status != "published":
        raise CheckInRefused("Only a clinic that is running can be closed.")
    now = now or utcnow()
    if local_today(now) < clinic.date:
        raise CheckInRefused(f"You can close the clinic on the day, {format_date(clinic.date)}.")
    result = session.execute(
        update(Clinic)
        .where(Clinic.id == clinic.id, Clinic.closed_at.is_(None))
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire(clinic, ["closed_at", "updated_at"])
    if changed(result) != 1:
        raise AlreadyClosed("This clinic has already been closed.")
    audit.record(session, actor, "clinic.close", clinic)


def current_totals(session: Session, clinic: Clinic) -> sheets.Totals:
    """The counts after a mark, without reading every booking again."""
    counts = dict(
        session.execute(
            select(Booking.status, func.count())
            .where(Booking.clinic_id == clinic.id)
            .group_by(Booking.status)
        ).all()
    )
    walk_ins = session.scalar(select(func.count()).where(WalkIn.clinic_id == clinic.id))
    return sheets.Totals(
        booked=sum(n for status, n in counts.items() if status != "cancelled"),
        attended=counts.get("attended", 0),
        no_show=counts.get("no_show", 0),
        cancelled=counts.get("cancelled", 0),
        walk_ins=walk_ins or 0,
    )
