"""`flask privacy purge`: personal data is kept only as long as needed (design rule 7).

Each partnership keeps its families' details for its own retention (``keep_days_for``: its
``retention_days``, else the installation's ``PRIVACY_KEEP_DAYS``); a run does every
partnership (or the one ``--partnership`` names), reading each kind of record due in one
statement for all of them (a CASE on the school's partnership), and says what it did for
each.  What belongs to no partnership (emails: an outbox message names no clinic; audit
events of none) follows the installation's settings.

- A clinic's bookings, waiting-list entries, walk-ins and feedback comments are anonymised
  its partnership's retention (default 90) days after the clinic's date: names, email
  addresses, phone numbers and the words a parent typed (other topics, access needs,
  comments) are set to NULL; status, school years, topics, scores and the clinic stay, so
  every figure (``clinic.figures``) is the same afterwards.
- A sent (or failed, or withdrawn) email loses its recipient, bodies, invite and
  attachments ``PRIVACY_KEEP_SENT_EMAIL_DAYS`` (default 30) days after it went (or was
  made); its kind, subject, status and times stay, for the outbox's own record.
- Audit events older than their partnership's retention lose the keys ``clinic.audit`` names as
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
from sqlalchemy import ColumnElement, Date, case, delete, func, literal, select, update
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
    Partnership,
    School,
    UTCDateTime,
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
    """What a purge did: in all (``counts``, by kind) and for each partnership
    (``by_holder``: partnership id, None for the installation's own, to counts by kind)."""

    run: batch.Run = field(default_factory=lambda: batch.Run("privacy purge"))
    counts: dict[str, int] = field(default_factory=dict)
    holders: list[Holder] = field(default_factory=list)
    by_holder: dict[int | None, dict[str, int]] = field(default_factory=dict)

    def __str__(self) -> str:
        done = ", ".join(f"{kind} {count}" for kind, count in self.counts.items())
        lines = [f"Anonymised or removed: {done}."]
        for holder in self.holders:
            counts = {k: n for k, n in self.by_holder.get(holder.id, {}).items() if n}
            what = ", ".join(f"{kind} {n}" for kind, n in counts.items()) or "nothing due"
            kept = f"kept {holder.keep_days} days"
            if holder.id is None:
                kept += f", sent emails {keep_sent_email_days()} days"
            lines.append(f"  {holder.label}, {kept}: {what}.")
        return "\n".join(lines)


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


def keep_days_for(partnership: Partnership | None) -> int:
    """How many days after its clinic a partnership keeps a family's details (and its audit
    events their personal keys): its own ``retention_days``, else the installation's
    ``PRIVACY_KEEP_DAYS``.  None (records of no partnership) gets the installation's."""
    own = partnership.retention_days if partnership is not None else None
    return own or current_app.config["PRIVACY_KEEP_DAYS"]


def keep_days() -> int:
    """The installation's retention (what a partnership that set none keeps)."""
    return current_app.config["PRIVACY_KEEP_DAYS"]


def keep_sent_email_days() -> int:
    return current_app.config["PRIVACY_KEEP_SENT_EMAIL_DAYS"]


@dataclass(frozen=True)
class Holder:
    """Whose records a purge counts: a partnership (``id``), or the installation's own
    (``id`` None: emails, which belong to no partnership, and events of none)."""

    id: int | None
    label: str
    keep_days: int


def holders(session: Session, only: Partnership | None = None) -> list[Holder]:
    """Every partnership (id order), or only ``only``; then, unless a run is limited to one
    partnership, the installation's own records."""
    partnerships = (
        [only]
        if only is not None
        else list(session.scalars(select(Partnership).order_by(Partnership.id)))
    )
    found = [Holder(p.id, f"{p.name} ({p.slug})", keep_days_for(p)) for p in partnerships]
    if only is None:
        found.append(Holder(None, "No partnership (the installation's)", keep_days()))
    return found


def _by_holder(column, holders_: list[Holder], value) -> ColumnElement:
    """``value(days)`` for the holder in ``column`` (a partnership id): one CASE, so one
    statement reads every partnership's due records however many there are."""
    default = value(keep_days())
    own = {h.id: value(h.keep_days) for h in holders_ if h.id is not None}
    if all(cutoff == default for cutoff in own.values()):
        return literal(default, _type_of(default))
    return case(
        {pid: literal(cutoff, _type_of(cutoff)) for pid, cutoff in own.items()},
        value=column,
        else_=literal(default, _type_of(default)),
    )


def _type_of(value):
    return UTCDateTime() if isinstance(value, datetime) else Date()


Due = dict[str, dict[int | None, list]]


def _grouped(session: Session, statement) -> dict[int | None, list]:
    """(id, partnership id) rows as {partnership id: [ids]}."""
    found: dict[int | None, list] = {}
    for record_id, partnership_id in session.execute(statement):
        found.setdefault(partnership_id, []).append(record_id)
    return found


def due(session: Session, now: datetime, holders_: list[Holder] | None = None) -> Due:
    """Each kind of record due, with the ids to do for each partnership (None: records of
    no partnership).  One statement per kind, whatever the number of partnerships."""
    holders_ = holders(session) if holders_ is None else holders_
    limited = [h.id for h in holders_ if h.id is not None]
    every = any(h.id is None for h in holders_)
    today = local_today(now)
    last_kept = _by_holder(
        School.partnership_id, holders_, lambda days: today - timedelta(days=days)
    )

    def of_clinic(model, *conditions):
        statement = (
            select(model.id, School.partnership_id)
            .join(Clinic, Clinic.id == model.clinic_id)
            .join(School, School.id == Clinic.school_id)
            .where(*conditions)
            .order_by(model.id)
        )
        if not every:
            statement = statement.where(School.partnership_id.in_(limited))
        return _grouped(session, statement)

    todo: Due = {
        kind: of_clinic(record.model, record.model.anonymised_at.is_(None), Clinic.date < last_kept)
        for kind, record in CLINIC_RECORDS.items()
    }
    # Emails belong to no partnership (an outbox message names no clinic): the
    # installation's PRIVACY_KEEP_SENT_EMAIL_DAYS, in a run over every partnership.
    sent_before = now - timedelta(days=keep_sent_email_days())
    todo["email"] = (
        {
            None: _ids(
                session,
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.purged_at.is_(None),
                    OutboxMessage.status.in_(FINISHED_MESSAGES),
                    func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < sent_before,
                )
                .order_by(OutboxMessage.id),
            )
        }
        if every
        else {}
    )
    # Events whose details hold anything are read in Python: which keys a JSON object has
    # is asked differently on each engine.
    audit_before = _by_holder(
        AuditEvent.partnership_id, holders_, lambda days: now - timedelta(days=days)
    )
    events = select(AuditEvent.id, AuditEvent.partnership_id, AuditEvent.details).where(
        AuditEvent.at < audit_before
    )
    if not every:
        events = events.where(AuditEvent.partnership_id.in_(limited))
    todo["audit event"] = {}
    for event_id, partnership_id, details in session.execute(events.order_by(AuditEvent.id)):
        if audit.has_personal(details):
            todo["audit event"].setdefault(partnership_id, []).append(event_id)
    todo["booking draft"] = of_clinic(BookingDraft, BookingDraft.expires_at < now)
    return todo


def _ids(session: Session, statement) -> list:
    return list(session.scalars(statement))


class Step(Protocol):
    """One record's step: True if it changed the record (a second run finds it done)."""

    def __call__(self, session: Session, record_id: int, /, *, now: datetime) -> bool: ...


STEPS: dict[str, Step] = {
    **{kind: functools.partial(anonymise, record) for kind, record in CLINIC_RECORDS.items()},
    "email": purge_message,
    "audit event": lambda session, event_id, now: strip_audit_event(session, event_id),
    "booking draft": lambda session, draft_id, now: delete_draft(session, draft_id),
}


def purge(
    session: Session, *, now: datetime | None = None, partnership: Partnership | None = None
) -> PurgeCounts:
    """Anonymise or remove everything whose time is up, one partnership after another
    (each by its own retention), then what belongs to none; only ``partnership``'s when
    given.  See the module's docstring."""
    now = now or utcnow()
    result = PurgeCounts(holders=holders(session, partnership))
    todo = due(session, now, result.holders)
    session.rollback()  # end the reading transaction: each step has its own
    result.counts = dict.fromkeys(STEPS, 0)
    for holder in result.holders:
        counted = result.by_holder.setdefault(holder.id, {})
        for kind, step in STEPS.items():
            ids = todo[kind].get(holder.id, [])
            if not ids:
                continue
            before = result.run.done
            result.run.each(session, kind, ids, functools.partial(step, now=now))
            counted[kind] = result.run.done - before
            result.counts[kind] += counted[kind]
    return result
