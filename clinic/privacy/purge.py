"""`flask privacy purge`: personal data is kept only as long as needed (design rule 7).

- A clinic's bookings, waiting-list entries, walk-ins and feedback comments are anonymised
  ``PRIVACY_KEEP_DAYS`` (default 90) days after the clinic's date: names, email
  addresses, phone numbers and the words a parent typed (other topics, access needs,
  comments) are set to NULL; status, school years, topics, scores and the clinic stay, so
  every figure (``clinic.figures``) is the same afterwards.
- A sent (or failed, or withdrawn) email loses its recipient, bodies, invite and
  attachments ``PRIVACY_KEEP_SENT_EMAIL_DAYS`` (default 30) days after it went (or was
  made); its kind, subject, status and times stay, for the outbox's own record.
- Audit events older than ``PRIVACY_KEEP_DAYS`` lose the keys ``clinic.audit`` names as
  personal; who did what to which record, and when, stays.
- Booking drafts (the answers waiting for Confirm) are deleted once they expire.

Each record is one step of ``batch.Run.each`` (its own transaction; one that fails is
logged by id and skipped).  Every step is a conditional UPDATE (``WHERE anonymised_at IS
NULL``, ``purged_at IS NULL``), so two runs at once (cron, a manual run) never fight: the
second finds the row done and counts nothing.  On PostgreSQL the UPDATE waits for the
other run's row lock and then sees its result; on SQLite each transaction holds the write
lock from its start.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import audit, batch
from ..localtime import local_today
from ..models import (
    AuditEvent,
    Booking,
    BookingDraft,
    Clinic,
    Feedback,
    OutboxMessage,
    WaitlistEntry,
    WalkIn,
    utcnow,
)

# The columns of a household (booking, waiting-list entry) that name or describe a person.
HOUSEHOLD_PERSONAL = {
    "parent_name": None,
    "email": None,
    "email_normalised": None,
    "phone": None,
    "other_topic": None,
    "access_needs": None,
}
# An email once its retention is over: what it said and to whom is gone.
MESSAGE_PURGED = {
    "recipient": "",
    "text_body": "",
    "html_body": None,
    "calendar_body": None,
    "attachments": [],
    "last_error": None,
}
FINISHED_MESSAGES = ("sent", "failed", "withdrawn")


@dataclass
class PurgeCounts:
    run: batch.Run = field(default_factory=lambda: batch.Run("privacy purge"))
    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        done = ", ".join(f"{kind} {count}" for kind, count in self.counts.items())
        return f"Anonymised or removed: {done}."


# --- one record each ----------------------------------------------------------------------


def anonymise_booking(session: Session, booking_id: int, *, now: datetime) -> bool:
    done = session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.anonymised_at.is_(None))
        .values(**HOUSEHOLD_PERSONAL, anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        strip_audit_of(session, "booking", booking_id)
    return bool(done)


def anonymise_waitlist_entry(session: Session, entry_id: int, *, now: datetime) -> bool:
    done = session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.anonymised_at.is_(None))
        .values(**HOUSEHOLD_PERSONAL, anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        strip_audit_of(session, "waitlistentry", entry_id)
    return bool(done)


def anonymise_walk_in(session: Session, walk_in_id: int, *, now: datetime) -> bool:
    return bool(
        session.execute(
            update(WalkIn)
            .where(WalkIn.id == walk_in_id, WalkIn.anonymised_at.is_(None))
            .values(parent_name=None, anonymised_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def anonymise_feedback(session: Session, feedback_id: int, *, now: datetime) -> bool:
    """The comment goes (it may name someone); the score stays for the figures."""
    return bool(
        session.execute(
            update(Feedback)
            .where(Feedback.id == feedback_id, Feedback.anonymised_at.is_(None))
            .values(comments=None, anonymised_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def purge_message(session: Session, message_id: int, *, now: datetime) -> bool:
    """Blank a finished email; one still waiting to go (pending, sending) is left alone."""
    return bool(
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.purged_at.is_(None),
                OutboxMessage.status.in_(FINISHED_MESSAGES),
            )
            .values(**MESSAGE_PURGED, purged_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def strip_audit_event(session: Session, event_id: int) -> bool:
    event = session.get(AuditEvent, event_id)
    if event is None or not audit.has_personal(event.details):
        return False
    event.details = audit.without_personal(event.details)
    return True


def strip_audit_of(session: Session, object_type: str, object_id: int) -> int:
    """Take the personal keys out of every audit event about one record."""
    stripped = 0
    events = select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == object_id
    )
    for event in session.scalars(events):
        if audit.has_personal(event.details):
            event.details = audit.without_personal(event.details)
            stripped += 1
    return stripped


def delete_draft(session: Session, draft_id: str) -> bool:
    return bool(session.execute(delete(BookingDraft).where(BookingDraft.id == draft_id)).rowcount)


# --- what is due --------------------------------------------------------------------------


def keep_days() -> int:
    return current_app.config["PRIVACY_KEEP_DAYS"]


def keep_sent_email_days() -> int:
    return current_app.config["PRIVACY_KEEP_SENT_EMAIL_DAYS"]


def clinics_before(now: datetime):
    """The clinics whose date is more than ``PRIVACY_KEEP_DAYS`` days back (local date)."""
    last_kept = local_today(now) - timedelta(days=keep_days())
    return select(Clinic.id).where(Clinic.date < last_kept)


def _ids(session: Session, statement) -> list:
    return list(session.scalars(statement))


def due(session: Session, now: datetime) -> dict[str, tuple[type, list]]:
    """Each kind of record due, with the ids to do."""
    old_clinics = clinics_before(now)
    sent_before = now - timedelta(days=keep_sent_email_days())
    audit_before = now - timedelta(days=keep_days())
    return {
        "booking": _ids(
            session,
            select(Booking.id)
            .where(Booking.anonymised_at.is_(None), Booking.clinic_id.in_(old_clinics))
            .order_by(Booking.id),
        ),
        "waiting-list entry": _ids(
            session,
            select(WaitlistEntry.id)
            .where(WaitlistEntry.anonymised_at.is_(None), WaitlistEntry.clinic_id.in_(old_clinics))
            .order_by(WaitlistEntry.id),
        ),
        "walk-in": _ids(
            session,
            select(WalkIn.id)
            .where(WalkIn.anonymised_at.is_(None), WalkIn.clinic_id.in_(old_clinics))
            .order_by(WalkIn.id),
        ),
        "feedback": _ids(
            session,
            select(Feedback.id)
            .where(Feedback.anonymised_at.is_(None), Feedback.clinic_id.in_(old_clinics))
            .order_by(Feedback.id),
        ),
        "email": _ids(
            session,
            select(OutboxMessage.id)
            .where(
                OutboxMessage.purged_at.is_(None),
                OutboxMessage.status.in_(FINISHED_MESSAGES),
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < sent_before,
            )
            .order_by(OutboxMessage.id),
        ),
        # Events whose details hold anything are read in Python: which keys a JSON
        # object has is asked differently on each engine.
        "audit event": [
            event_id
            for event_id, details in session.execute(
                select(AuditEvent.id, AuditEvent.details)
                .where(AuditEvent.at < audit_before)
                .order_by(AuditEvent.id)
            )
            if audit.has_personal(details)
        ],
        "booking draft": _ids(
            session,
            select(BookingDraft.id).where(BookingDraft.expires_at < now).order_by(BookingDraft.id),
        ),
    }


STEPS = {
    "booking": anonymise_booking,
    "waiting-list entry": anonymise_waitlist_entry,
    "walk-in": anonymise_walk_in,
    "feedback": anonymise_feedback,
    "email": purge_message,
    "audit event": lambda session, event_id, now: strip_audit_event(session, event_id),
    "booking draft": lambda session, draft_id, now: delete_draft(session, draft_id),
}


def purge(session: Session, *, now: datetime | None = None) -> PurgeCounts:
    """Anonymise or remove everything whose time is up; see the module's docstring."""
    now = now or utcnow()
    result = PurgeCounts()
    todo = due(session, now)
    session.rollback()  # end the reading transaction: each step has its own
    for kind, ids in todo.items():
        before = result.run.done
        step = functools.partial(STEPS[kind], now=now)
        result.run.each(session, kind, ids, step)
        result.counts[kind] = result.run.done - before
    return result
