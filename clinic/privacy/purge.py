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
from typing import Protocol

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
from ..rows import changed

# The columns of a household (booking, waiting-list entry) that name or describe a person.
HOUSEHOLD_PERSONAL = {
    "parent_name": None,
    "email": None,
    "email_normalised": None,
    "phone": None,
    "other_topic": None,
    "access_needs": None,
    # an interpreter's language can say where a family comes from
    "interpreter_language": None,
    "interpreter_other": None,
}
# An email once its retention is over: what it said and to whom is gone.
MESSAGE_PURGED: dict[str, object] = {
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


@dataclass(frozen=True)
class ClinicRecord:
    """A kind of record kept for a clinic: the columns its anonymising blanks (the rest,
    such as status, school years, topics and scores, stays for the figures) and whether
    audit events name it (their personal keys go with it)."""

    model: type[Booking] | type[WaitlistEntry] | type[WalkIn] | type[Feedback]
    blanked: dict[str, None]
    audited: bool = False


CLINIC_RECORDS = {
    "booking": ClinicRecord(Booking, HOUSEHOLD_PERSONAL, audited=True),
    "waiting-list entry": ClinicRecord(WaitlistEntry, HOUSEHOLD_PERSONAL, audited=True),
    "walk-in": ClinicRecord(WalkIn, {"parent_name": None}),
    # the comment goes (it may name someone); the score stays
    "feedback": ClinicRecord(Feedback, {"comments": None}),
}


def anonymise(record: ClinicRecord, session: Session, record_id: int, *, now: datetime) -> bool:
    """Blank one record's personal columns, unless that is done already."""
    model = record.model
    done = changed(
        session.execute(
            update(model)
            .where(model.id == record_id, model.anonymised_at.is_(None))
            .values(**record.blanked, anonymised_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if done and record.audited:
        strip_audit_of(session, model.__name__.lower(), record_id)
    return bool(done)


anonymise_booking = functools.partial(anonymise, CLINIC_RECORDS["booking"])
anonymise_waitlist_entry = functools.partial(anonymise, CLINIC_RECORDS["waiting-list entry"])
anonymise_feedback = functools.partial(anonymise, CLINIC_RECORDS["feedback"])


def purge_message(session: Session, message_id: int, *, now: datetime) -> bool:
    """Blank a finished email; one still waiting to go (pending, sending) is left alone."""
    return bool(
        changed(
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.purged_at.is_(None),
                    OutboxMessage.status.in_(FINISHED_MESSAGES),
                )
                .values(**MESSAGE_PURGED, purged_at=now)
                .execution_options(synchronize_session=False)
            )
        )
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
    return bool(changed(session.execute(delete(BookingDraft).where(BookingDraft.id == draft_id))))


# --- what is due --------------------------------------------------------------------------


def keep_days() -> int:
    return current_app.config["PRIVACY_KEEP_DAYS"]


def keep_sent_email_days() -> int:
    return current_app.config["PRIVACY_KEEP_SENT_EMAIL_DAYS"]


def clinics_before(now: datetime):
    """The clinics whose date is more than ``PRIVACY_KEEP_DAYS`` days back (local date)."""
    last_kept = local_today(now) - timedelta(days=keep_days())
    return select(Clinic.id).where(Clinic.date < last_kept)


def _ids(session: Session, statement) -> list[int]:
    return list(session.scalars(statement))


def due(session: Session, now: datetime) -> dict[str, list[int]]:
    """Each kind of record due, with the ids to do."""
    old_clinics = clinics_before(now)
    sent_before = now - timedelta(days=keep_sent_email_days())
    audit_before = now - timedelta(days=keep_days())
    todo = {
        kind: _ids(
            session,
            select(record.model.id)
            .where(record.model.anonymised_at.is_(None), record.model.clinic_id.in_(old_clinics))
            .order_by(record.model.id),
        )
        for kind, record in CLINIC_RECORDS.items()
    }
    return todo | {
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


class Step(Protocol):
    """One record's step: True if it changed the record (a second run finds it done)."""

    def __call__(self, session: Session, record_id: int, /, *, now: datetime) -> bool: ...


STEPS: dict[str, Step] = {
    **{kind: functools.partial(anonymise, record) for kind, record in CLINIC_RECORDS.items()},
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
