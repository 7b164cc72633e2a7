"""Reminder emails: each confirmed parent once, about a day or two before their slot.

``flask reminders send`` runs from cron every few minutes.  Each booking is claimed by
a conditional UPDATE (``WHERE reminder_sent_at IS NULL``) in the same transaction that
queues its email, so two runs at once never send twice: on PostgreSQL the second UPDATE
waits for the first to commit and then matches nothing; on SQLite one transaction writes
at a time.  A run that dies part-way loses nothing: what it had not committed is
picked up by the next run.
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
from ..models import Booking, Clinic, Slot, utcnow
from ..notices import send_booking_email, send_booking_text
from ..rows import changed


@dataclass
class ReminderCounts:
    due: int = 0
    sent: int = 0
    run: batch.Run = field(default_factory=lambda: batch.Run("reminders send"))

    def __str__(self) -> str:
        skipped = self.due - self.sent - len(self.run.failed)
        text = f"Reminders sent: {self.sent}."
        if skipped:
            text += f" Already sent by another run: {skipped}."
        if self.run.failed:
            text += f" Failed: {len(self.run.failed)}."
        return text


def window(now: datetime) -> tuple[datetime, datetime]:
    """Slots starting in this range get their reminder now (``REMINDER_WINDOW_HOURS``)."""
    low, high = current_app.config["REMINDER_WINDOW_HOURS"]
    return now + timedelta(hours=low), now + timedelta(hours=high)


def due_bookings(session: Session, now: datetime) -> list[int]:
    """Confirmed bookings in published clinics, slot in the window, not yet reminded."""
    start, end = window(now)
    return list(
        session.scalars(
            select(Booking.id)
            .join(Slot, Booking.slot_id == Slot.id)
            .join(Clinic, Booking.clinic_id == Clinic.id)
            .where(
                Booking.status == "confirmed",
                Booking.reminder_sent_at.is_(None),
                Booking.email.is_not(None),
                Clinic.status == "published",
                Slot.starts_at >= start,
                Slot.starts_at <= end,
            )
            .order_by(Slot.starts_at, Booking.id)
        )
    )


def send_reminder(session: Session, booking_id: int, *, now: datetime) -> bool:
    """Claim one booking's reminder and queue its email; False if it was already sent.

    The caller commits (the claim and the email go together)."""
    claimed = session.execute(
        update(Booking)
        .where(
            Booking.id == booking_id,
            Booking.reminder_sent_at.is_(None),
            Booking.status == "confirmed",
        )
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed(claimed) != 1:
        return False
    booking = session.get_one(Booking, booking_id, populate_existing=True)
    send_booking_email(
        session,
        booking,
        template="booking_reminder",
        subject=lambda: _(
            "Reminder: %(title)s, %(date)s",
            title=booking.clinic.title,
            date=format_date(booking.slot.starts_at),
        ),
        kind="booking_reminder",
    )
    send_booking_text(session, booking, template="booking_reminder", kind="booking_reminder")
    audit.record(
        session,
        "system",
        "booking.reminder",
        booking,
        school_id=booking.clinic.school_id,
        reference=booking.reference,
    )
    return True


def send_reminders(session: Session, *, now: datetime | None = None) -> ReminderCounts:
    """Send every reminder that is due, one commit per booking; a booking whose reminder
    fails is logged and skipped (``counts.run.failed``) and the others still go."""
    now = now or utcnow()
    ids = due_bookings(session, now)
    session.commit()
    counts = ReminderCounts(due=len(ids))
    counts.run.each(session, "booking", ids, lambda s, i: send_reminder(s, i, now=now))
    counts.sent = counts.run.done
    return counts
