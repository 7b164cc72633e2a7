""" "Still coming?": a few days before the clinic, each family with a booking is asked once
whether they are still coming, so a family who cannot come gives their place back in time
for the waiting list (the answer page is in ``clinic.manage``).

``flask reminders still-coming`` runs from cron every few minutes, like ``flask reminders
send``: each booking is claimed by a conditional UPDATE (``WHERE still_coming_asked_at IS
NULL``) in the transaction that queues its email, so two runs at once never ask twice.

Who is asked (``CONFIRM_ATTENDANCE_DAYS``, N; 0 asks nobody): a confirmed booking in a
published clinic, its slot starting within N days and more than ``LAST_HOURS`` from now,
booked before the ask time (N days before its slot).  A family who booked later has just
told us they are coming, so they are not asked; a clinic nearer than ``LAST_HOURS`` is
not asked either (after a cron outage), since a place given back then can rarely be
offered on.  The reminder (24 to 48 hours before) still goes to everyone who kept their
place: with N of 3 the question comes a day before it, so the two do not arrive together.
Nobody is cancelled for not answering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit, batch
from ..filters import format_date
from ..links import manage_token, parent_url
from ..models import Booking, Clinic, Slot, utcnow
from ..notices import send_booking_email, send_booking_text
from ..rows import changed

LAST_HOURS = 12  # nobody is asked this close to their slot

# How a booking stands for the officer's pages: asked, and what (if anything) was said.
COMING = "coming"
NO_ANSWER = "no_answer"
GAVE_BACK = "gave_back"
NOT_ASKED = "not_asked"
ANSWER_LABELS = {
    COMING: "Coming",
    NO_ANSWER: "Not answered",
    GAVE_BACK: "Gave their place back",
    NOT_ASKED: "Not asked",
}
ANSWER_TAGS = {
    COMING: "govuk-tag--green",
    NO_ANSWER: "govuk-tag--yellow",
    GAVE_BACK: "govuk-tag--red",
    NOT_ASKED: "govuk-tag--grey",
}


@dataclass
class AskCounts:
    due: int = 0
    sent: int = 0
    run: batch.Run = field(default_factory=lambda: batch.Run("reminders still-coming"))

    def __str__(self) -> str:
        skipped = self.due - self.sent - len(self.run.failed)
        text = f"Families asked if they are still coming: {self.sent}."
        if skipped:
            text += f" Already asked by another run: {skipped}."
        if self.run.failed:
            text += f" Failed: {len(self.run.failed)}."
        return text


def days() -> int:
    return current_app.config.get("CONFIRM_ATTENDANCE_DAYS") or 0


def answer_state(booking) -> str:
    """COMING, NO_ANSWER, GAVE_BACK or NOT_ASKED, from a Booking or a row with its columns."""
    if booking.still_coming_answer == "no":
        return GAVE_BACK
    if booking.still_coming_answer == "yes":
        return COMING
    if booking.still_coming_asked_at is not None and booking.status != "cancelled":
        return NO_ANSWER
    return NOT_ASKED


def due_bookings(session: Session, now: datetime) -> list[int]:
    """The bookings to ask now, in slot order (see the module's notes)."""
    ahead = timedelta(days=days())
    if not ahead:
        return []
    candidates = session.execute(
        select(Booking.id, Booking.created_at, Slot.starts_at)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Clinic, Booking.clinic_id == Clinic.id)
        .where(
            Booking.status == "confirmed",
            Booking.still_coming_asked_at.is_(None),
            Booking.email.is_not(None),
            Clinic.status == "published",
            Slot.starts_at > now + timedelta(hours=LAST_HOURS),
            Slot.starts_at <= now + ahead,
        )
        .order_by(Slot.starts_at, Booking.id)
    )
    # Booked before the ask time (compared here: date arithmetic differs between engines).
    return [id_ for id_, created_at, starts_at in candidates if created_at <= starts_at - ahead]


def ask(session: Session, booking_id: int, *, now: datetime) -> bool:
    """Claim one booking's question and ask it; False if another run asked first.

    The caller commits (the claim and the message go together)."""
    claimed = session.execute(
        update(Booking)
        .where(
            Booking.id == booking_id,
            Booking.still_coming_asked_at.is_(None),
            Booking.status == "confirmed",
        )
        .values(still_coming_asked_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed(claimed) != 1:
        return False
    ask_still_coming(session, session.get_one(Booking, booking_id, populate_existing=True))
    return True


def still_coming_url(booking: Booking) -> str:
    """The link to the page with the two buttons, in the booking's language."""
    return parent_url("manage.still_coming", language=booking.language, token=manage_token(booking))


def ask_still_coming(session: Session, booking: Booking) -> None:
    """Queue the question to the family (an email, and a text when they asked for texts)
    and audit it.  Called with the booking already claimed; the caller commits."""
    send_booking_email(
        session,
        booking,
        template="still_coming",
        subject=lambda: _(
            "Are you still coming? %(title)s, %(date)s",
            title=booking.clinic.title,
            date=format_date(booking.slot.starts_at),
        ),
        kind="still_coming",
        still_coming_url=still_coming_url(booking),
    )
    send_booking_text(
        session,
        booking,
        template="still_coming",
        kind="still_coming",
        still_coming_url=still_coming_url(booking),
    )
    audit.record(
        session,
        "system",
        "booking.still_coming_asked",
        booking,
        school_id=booking.clinic.school_id,
        reference=booking.reference,
    )


def ask_all(session: Session, *, now: datetime | None = None) -> AskCounts:
    """Ask every family that is due, one commit per booking; a booking that fails is
    logged and skipped (``counts.run.failed``) and the others are still asked."""
    now = now or utcnow()
    ids = due_bookings(session, now)
    session.commit()
    counts = AskCounts(due=len(ids))
    counts.run.each(session, "booking", ids, lambda s, i: ask(s, i, now=now))
    counts.sent = counts.run.done
    return counts


def asked_bookings(session: Session, clinic_id: int) -> list[Booking]:
    """The clinic's bookings that were asked (or answered), in time order: the officer's
    "Still coming?" table."""
    return list(
        session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(
                Booking.clinic_id == clinic_id,
                (Booking.still_coming_asked_at.is_not(None))
                | (Booking.still_coming_answer.is_not(None)),
            )
            .order_by(Slot.starts_at, Booking.id)
        )
    )
