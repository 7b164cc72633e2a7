"""Interpreters: a household that asked for one, the officer told at once, and the
officer's note that one is arranged.

An interpreter often needs days' notice, so the officer running the clinic is emailed
(through the outbox, in the transaction that makes the booking) as soon as a booking
needing one is made — by a parent, by staff on the phone, or by a claimed waiting-list
offer, all of which go through ``service.book_place`` — and again when the parent moves it
to another time.  The email is for staff, so it is in English whatever the family's
language.  The dashboard and the clinic page show which bookings need one and whether it
is arranged (``mark_arranged``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..filters import format_date, format_datetime, format_time
from ..links import external_url
from ..localtime import local, local_today
from ..models import Booking, User, utcnow
from ..outbox.queue import queue_email
from .choices import interpreter_label


def needs_interpreter(booking: Booking) -> bool:
    return bool(booking.interpreter_language) and booking.is_live


def language_of(booking: Booking) -> str | None:
    """The language the interpreter should speak, in words (the caller's locale)."""
    return interpreter_label(booking.interpreter_language, booking.interpreter_other)


def days_until(starts_at: datetime, now: datetime) -> str:
    """ "today", "tomorrow", "in 9 days": calendar days to the clinic's (local) date."""
    days = (local(starts_at).date() - local_today(now)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def tell_officer(
    session: Session, booking: Booking, *, moved: bool = False, now: datetime | None = None
) -> bool:
    """Email the clinic's officer that this booking needs an interpreter (a new booking, or
    ``moved`` to another time).  Returns whether an email was queued; the caller commits."""
    if not needs_interpreter(booking):
        return False
    now = now or utcnow()
    clinic, slot = booking.clinic, booking.slot
    officer = clinic.officer
    if officer is None or not officer.email:
        return False
    with force_locale("en"):
        language = language_of(booking) or ""
        when = format_datetime(slot.starts_at)
        context = {
            "booking": booking,
            "clinic": clinic,
            "school": clinic.school,
            "slot": slot,
            "officer": officer,
            "language": language,
            "when": when,
            "date": format_date(slot.starts_at),
            "time": format_time(slot.starts_at),
            "days": days_until(slot.starts_at, now),
            "moved": moved,
            "clinic_url": external_url("schedule.show_clinic", clinic_id=clinic.id),
        }
        what = "moved" if moved else "needed"
        queue_email(
            session,
            to=officer.email,
            subject=f"Interpreter {what}: {language}, {clinic.school.name}, {when}",
            template="interpreter_needed",
            context=context,
            kind="interpreter_needed",
            partnership_id=clinic.school.partnership_id,
        )
    return True


def mark_arranged(session: Session, booking: Booking, by: User, *, arranged: bool) -> None:
    """The officer (or staff at the school) marks the interpreter arranged, or not yet;
    audited.  The caller commits."""
    if arranged:
        booking.interpreter_arranged_at = utcnow()
        booking.interpreter_arranged_by_id = by.id
    else:
        booking.interpreter_arranged_at = None
        booking.interpreter_arranged_by_id = None
    audit.record(
        session,
        by,
        "booking.interpreter_arranged" if arranged else "booking.interpreter_not_arranged",
        booking,
        school_id=booking.clinic.school_id,
        reference=booking.reference,
    )


@dataclass(frozen=True)
class InterpreterCounts:
    needed: int
    arranged: int


def counts_by_clinic(session: Session, clinic_ids) -> dict[int, InterpreterCounts]:
    """Per clinic: live bookings needing an interpreter, and how many are arranged."""
    ids = list(clinic_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            Booking.clinic_id,
            func.count(Booking.id),
            func.count(Booking.interpreter_arranged_at),
        )
        .where(
            Booking.clinic_id.in_(ids),
            Booking.is_live,
            Booking.interpreter_language.is_not(None),
        )
        .group_by(Booking.clinic_id)
    )
    return {
        clinic_id: InterpreterCounts(needed=needed, arranged=arranged)
        for clinic_id, needed, arranged in rows
    }
