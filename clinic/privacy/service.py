"""A person's rights over their details (UK GDPR): erasure and access.

- **A parent deletes their details** from their booking's link (``erase_booking``) or
  their waiting-list link (``erase_waitlist_entry``), before or after the clinic.  A
  booking that still holds a place is cancelled first through
  ``manage.service.cancel_booking`` (the usual cancellation email with its METHOD:CANCEL
  invite, the place offered on), a live waiting-list entry leaves the line through
  ``waitlist.service.leave``; then the record is anonymised as ``flask privacy purge``
  would (``clinic.privacy.purge``), with the feedback it gave and the waiting-list entry it
  came from.  Emails to that address not yet sent are withdrawn (status ``withdrawn``,
  which the sender never picks up) and those already sent are blanked (texts to the
  record's mobile number too) — unless the address
  still has another booking or waiting-list place, whose emails they may be.  The
  cancellation email itself still goes (it was queued after the withdrawal) and is
  blanked by the purge once sent and past its retention.
- **A coordinator answers a request** for an email address: ``holdings`` finds everything
  their partnership keeps for it, ``export`` makes it a plain dict (JSON, and the readable
  page) naming each record's partnership and data controller, and ``erase_subject``
  erases all of it.  A family who booked with two partnerships is two controllers'
  records: each coordinator sees and erases only their own, emails and texts included
  (each names the partnership it was sent for).  The installation operator's
  ``flask privacy export|erase`` work across every partnership (or ``--partnership``).

Every action is audited (``privacy.erase``, ``privacy.access``) with counts only: never
the address or any value erased; each in the log of the partnership whose records it
touched.  The caller commits; on an error it rolls back and
nothing is half-done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..booking.choices import interpreter_label
from ..manage import service as manage
from ..models import (
    Booking,
    BookingDraft,
    Clinic,
    Feedback,
    OutboxMessage,
    Partnership,
    School,
    User,
    WaitlistEntry,
    normalise_email,
    utcnow,
)
from ..rows import changed
from ..waitlist import service as waitlist
from . import purge

ERASED = "privacy.erase"
ACCESSED = "privacy.access"


@dataclass
class Holdings:
    """Everything kept about one email address: by one partnership (``partnership``), or
    by every partnership (None: the installation operator's command)."""

    email: str
    partnership: Partnership | None = None
    bookings: list[Booking] = field(default_factory=list)
    waitlist_entries: list[WaitlistEntry] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    drafts: list[BookingDraft] = field(default_factory=list)

    @property
    def of_clinics(self) -> list[Booking | WaitlistEntry | Feedback | BookingDraft]:
        """The records found that belong to a clinic (so to its school's partnership)."""
        return [*self.bookings, *self.waitlist_entries, *self.feedback, *self.drafts]

    @property
    def count(self) -> int:
        return (
            len(self.bookings)
            + len(self.waitlist_entries)
            + len(self.feedback)
            + len(self.messages)
            + len(self.drafts)
        )


# --- one parent's own record ----------------------------------------------------------------


def erase_booking(
    session: Session, booking: Booking, *, actor: User | str = "parent", now: datetime | None = None
) -> int:
    """Delete the household's details from this booking (cancelling it first while it
    still can be); returns the number of records erased (0 if it already was)."""
    now = now or utcnow()
    if booking.anonymised_at is not None:
        return 0
    email = booking.email_normalised
    phones = _phones(session, email)
    keep_messages = email is not None and _has_other_records(session, email, booking=booking)
    if not keep_messages and email:
        withdraw_unsent(session, email, now=now, phones=phones)
    _cancel_if_live(session, booking, actor, now)
    erased = _erase_booking_records(session, booking.id, now=now)
    if not keep_messages and email:
        erased += blank_sent(session, email, now=now, phones=phones)
    audit.record(
        session, actor, ERASED, booking, school_id=booking.clinic.school_id, records=erased
    )
    session.expire_all()
    return erased


def erase_waitlist_entry(
    session: Session,
    entry: WaitlistEntry,
    *,
    actor: User | str = "parent",
    now: datetime | None = None,
) -> int:
    """Delete the household's details from its waiting-list place (leaving the line first)."""
    now = now or utcnow()
    if entry.anonymised_at is not None:
        return 0
    email = entry.email_normalised
    phones = _phones(session, email)
    keep_messages = email is not None and _has_other_records(session, email, entry=entry)
    if not keep_messages and email:
        withdraw_unsent(session, email, now=now, phones=phones)
    _leave_if_live(session, entry, actor, now)
    erased = int(purge.anonymise_waitlist_entry(session, entry.id, now=now))
    if not keep_messages and email:
        erased += blank_sent(session, email, now=now, phones=phones)
    audit.record(session, actor, ERASED, entry, school_id=entry.clinic.school_id, records=erased)
    session.expire_all()
    return erased


def _cancel_if_live(session: Session, booking: Booking, actor, now: datetime) -> None:
    """A booking that still holds a place is cancelled the usual way (its email and
    METHOD:CANCEL invite, the place offered on); one another request cancelled a moment
    ago is simply erased."""
    if manage.lock_reason(booking, now) is None:
        try:
            manage.cancel_booking(session, booking, actor=actor, now=now)
        except manage.BookingLocked:
            session.refresh(booking)


def _leave_if_live(session: Session, entry: WaitlistEntry, actor, now: datetime) -> None:
    if entry.is_live:
        try:
            waitlist.leave(session, entry, actor=actor, now=now)
        except waitlist.WaitlistError:
            session.refresh(entry)


def _erase_booking_records(session: Session, booking_id: int, *, now: datetime) -> int:
    """The booking, its feedback, and the waiting-list entries it was claimed from."""
    erased = int(purge.anonymise_booking(session, booking_id, now=now))
    for feedback_id in session.scalars(
        select(Feedback.id).where(Feedback.booking_id == booking_id)
    ):
        erased += purge.anonymise_feedback(session, feedback_id, now=now)
    for entry_id in session.scalars(
        select(WaitlistEntry.id).where(WaitlistEntry.booking_id == booking_id)
    ):
        erased += purge.anonymise_waitlist_entry(session, entry_id, now=now)
    return erased


def _has_other_records(
    session: Session, email: str, *, booking: Booking | None = None, entry=None
) -> bool:
    """Whether the address has another booking or waiting-list place not being erased
    (its emails may be about that one)."""
    came_from = (
        [
            e.id
            for e in session.scalars(
                select(WaitlistEntry).where(WaitlistEntry.booking_id == booking.id)
            )
        ]
        if booking is not None
        else []
    )
    bookings = select(Booking.id).where(
        Booking.email_normalised == email,
        Booking.anonymised_at.is_(None),
        Booking.id != (booking.id if booking is not None else -1),
    )
    entries = select(WaitlistEntry.id).where(
        WaitlistEntry.email_normalised == email,
        WaitlistEntry.anonymised_at.is_(None),
        WaitlistEntry.id.not_in([*came_from, entry.id if entry is not None else -1]),
    )
    return session.scalar(bookings.limit(1)) is not None or (
        session.scalar(entries.limit(1)) is not None
    )


def _phones(
    session: Session, email: str | None, partnership: Partnership | None = None
) -> list[str]:
    """The phone numbers this address's records hold (texts went to them, if ticked): its
    records with ``partnership`` when given."""
    if not email:
        return []
    found: set[str] = set()
    for model in (Booking, WaitlistEntry):
        found.update(
            session.scalars(
                select(model.phone).where(
                    model.email_normalised == email,
                    model.phone.is_not(None),
                    *_of_partnership(model, partnership),
                )
            )
        )
    return sorted(found)


def _of_partnership(model, partnership: Partnership | None) -> list:
    """The conditions keeping ``model`` (a record of a clinic) to ``partnership``'s
    schools' clinics; none for every partnership."""
    if partnership is None:
        return []
    return [model.clinic_id.in_(_clinics_of(partnership.id))]


def _clinics_of(partnership_id: int):
    return (
        select(Clinic.id)
        .join(School, School.id == Clinic.school_id)
        .where(School.partnership_id == partnership_id)
    )


def _messages_of(partnership: Partnership | None) -> list:
    """The condition keeping emails and texts to those sent for ``partnership`` (each
    names the partnership it was sent for); none for every partnership."""
    if partnership is None:
        return []
    return [OutboxMessage.partnership_id == partnership.id]


def _to(email: str, phones: Sequence[str] = ()):
    """Messages to this address, and texts to these numbers."""
    to_address = func.lower(func.trim(OutboxMessage.recipient)) == email
    if not phones:
        return to_address
    return or_(
        to_address,
        and_(OutboxMessage.channel == "sms", OutboxMessage.recipient.in_(list(phones))),
    )


def withdraw_unsent(
    session: Session,
    email: str,
    *,
    now: datetime,
    phones: Sequence[str] = (),
    partnership: Partnership | None = None,
) -> int:
    """Emails to this address (and texts to its numbers) still waiting to go are never
    sent (``withdrawn``): those sent for ``partnership`` when given."""
    return changed(
        session.execute(
            update(OutboxMessage)
            .where(
                _to(email, phones),
                OutboxMessage.status == "pending",
                *_messages_of(partnership),
            )
            .values(status="withdrawn")
            .execution_options(synchronize_session=False)
        )
    )


def blank_sent_by_partnership(
    session: Session,
    email: str,
    *,
    now: datetime,
    phones: Sequence[str] = (),
    partnership: Partnership | None = None,
) -> dict[int | None, int]:
    """Emails to this address (and texts to its numbers) that went (or failed, or were
    withdrawn) are blanked now, those sent for ``partnership`` when given: how many, by
    the partnership each was sent for."""
    blanked: dict[int | None, int] = {}
    for message_id, sent_for in session.execute(
        select(OutboxMessage.id, OutboxMessage.partnership_id).where(
            _to(email, phones),
            OutboxMessage.purged_at.is_(None),
            OutboxMessage.status.in_(purge.FINISHED_MESSAGES),
            *_messages_of(partnership),
        )
    ):
        if purge.purge_message(session, message_id, now=now):
            blanked[sent_for] = blanked.get(sent_for, 0) + 1
    return blanked


def blank_sent(session: Session, email: str, *, now: datetime, phones: Sequence[str] = ()) -> int:
    """``blank_sent_by_partnership`` for every partnership: how many in all."""
    return sum(blank_sent_by_partnership(session, email, now=now, phones=phones).values())


# --- an admin answering a request -----------------------------------------------------------


def holdings(session: Session, email: str, partnership: Partnership | None = None) -> Holdings:
    """Everything kept for this email address (a subject access request): by
    ``partnership`` (a coordinator's request, or ``--partnership``), or by every one."""
    wanted = normalise_email(email)
    found = Holdings(email=wanted, partnership=partnership)
    if not wanted:
        return found
    found.bookings = list(
        session.scalars(
            select(Booking)
            .where(Booking.email_normalised == wanted, *_of_partnership(Booking, partnership))
            .order_by(Booking.id)
        )
    )
    found.waitlist_entries = list(
        session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.email_normalised == wanted,
                *_of_partnership(WaitlistEntry, partnership),
            )
            .order_by(WaitlistEntry.id)
        )
    )
    booking_ids = [booking.id for booking in found.bookings]
    found.feedback = list(
        session.scalars(
            select(Feedback)
            .where(Feedback.booking_id.in_(booking_ids), Feedback.anonymised_at.is_(None))
            .order_by(Feedback.id)
        )
    )
    found.messages = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                _to(wanted, _phones(session, wanted, partnership)),
                OutboxMessage.purged_at.is_(None),
                *_messages_of(partnership),
            )
            .order_by(OutboxMessage.id)
        )
    )
    found.drafts = [
        draft
        for draft in session.scalars(
            select(BookingDraft)
            .where(*_of_partnership(BookingDraft, partnership))
            .order_by(BookingDraft.created_at)
        )
        if normalise_email(str((draft.answers or {}).get("email") or "")) == wanted
    ]
    return found


def _when(value):
    return value.isoformat() if value is not None else None


def _interpreter(household) -> dict:
    """The interpreter asked for: its code and its language in words (English)."""
    return {
        "interpreter_language": household.interpreter_language,
        "interpreter_language_name": interpreter_label(
            household.interpreter_language, household.interpreter_other
        ),
        "interpreter_other": household.interpreter_other,
    }


def _controller(partnership: Partnership | None) -> dict:
    """Which partnership a record belongs to, and who is its data controller (the
    partnership's own, else the installation's DATA_CONTROLLER)."""
    config = current_app.config
    return {
        "partnership": partnership.name if partnership is not None else None,
        "data_controller": (partnership.data_controller if partnership is not None else "")
        or str(config["DATA_CONTROLLER"]),
    }


def owners(session: Session, found: Holdings) -> dict[int, Partnership]:
    """The partnership of each clinic the records found are at (one query)."""
    clinic_ids = {record.clinic_id for record in found.of_clinics}
    if not clinic_ids:
        return {}
    return {
        clinic_id: partnership
        for clinic_id, partnership in session.execute(
            select(Clinic.id, Partnership)
            .join(School, School.id == Clinic.school_id)
            .join(Partnership, Partnership.id == School.partnership_id)
            .where(Clinic.id.in_(clinic_ids))
        )
    }


def export(session: Session, found: Holdings) -> dict:
    """What is held, as plain values (the JSON download and the readable page); each
    record says which partnership holds it and who is its data controller."""
    household = (
        "parent_name",
        "email",
        "phone",
        "texts",
        "child_years",
        "topics",
        "other_topic",
    )
    # Each email and text names the partnership it was sent for (none: the installation's).
    senders = {m.partnership_id for m in found.messages}
    sent_for: dict[int | None, Partnership] = {
        p.id: p for p in session.scalars(select(Partnership).where(Partnership.id.in_(senders)))
    }
    owner = owners(session, found)
    controllers = {_controller(p)["partnership"]: _controller(p) for p in owner.values()}
    return {
        "email": found.email,
        "partnership": found.partnership.name if found.partnership is not None else None,
        "controllers": sorted(controllers.values(), key=lambda c: str(c["partnership"])),
        "bookings": [
            {
                **_controller(owner[b.clinic_id]),
                "reference": b.reference,
                "school": b.clinic.school.name,
                "clinic": b.clinic.title,
                "clinic_date": b.clinic.date.isoformat(),
                "time": _when(b.slot.starts_at),
                "status": b.status,
                **{name: getattr(b, name) for name in household},
                "access_needs": b.access_needs,
                **_interpreter(b),
                "interpreter_arranged_at": _when(b.interpreter_arranged_at),
                "privacy_notice_version": b.consent_version,
                "agreed_at": _when(b.consent_at),
                "made_at": _when(b.created_at),
                "cancelled_at": _when(b.cancelled_at),
                "checked_in_at": _when(b.checked_in_at),
            }
            for b in found.bookings
            if b.anonymised_at is None
        ],
        "waiting_lists": [
            {
                **_controller(owner[e.clinic_id]),
                "school": e.clinic.school.name,
                "clinic": e.clinic.title,
                "clinic_date": e.clinic.date.isoformat(),
                "status": e.status,
                **{name: getattr(e, name) for name in household},
                "access_needs": e.access_needs,
                **_interpreter(e),
                "privacy_notice_version": e.consent_version,
                "joined_at": _when(e.created_at),
            }
            for e in found.waitlist_entries
            if e.anonymised_at is None
        ],
        "feedback": [
            {
                **_controller(owner[f.clinic_id]),
                "useful": f.useful,
                "comments": f.comments,
                "given_at": _when(f.created_at),
            }
            for f in found.feedback
        ],
        "emails": [
            {
                **_controller(sent_for.get(m.partnership_id)),
                "subject": m.subject,
                "status": m.status,
                "queued_at": _when(m.created_at),
                "sent_at": _when(m.sent_at),
                "text": m.text_body,
            }
            for m in found.messages
            if m.channel == "email"
        ],
        "text_messages": [
            {
                **_controller(sent_for.get(m.partnership_id)),
                "to": m.recipient,
                "status": m.status,
                "queued_at": _when(m.created_at),
                "sent_at": _when(m.sent_at),
                "text": m.text_body,
            }
            for m in found.messages
            if m.channel == "sms"
        ],
        "unfinished_booking_forms": [
            {
                **_controller(owner[d.clinic_id]),
                "answers": d.answers,
                "started_at": _when(d.created_at),
            }
            for d in found.drafts
        ],
    }


def _audit(
    session: Session, actor: User | str, action: str, records: dict[int | None, int]
) -> None:
    """One event in each partnership's log, with its count only (never the address);
    what belongs to none (emails, in a request over every partnership) goes in the
    actor's (the operator's: none)."""
    for partnership_id, count in (records or {None: 0}).items():
        if partnership_id is None and count == 0 and len(records) > 1:
            continue
        audit.record(session, actor, action, None, partnership_id=partnership_id, records=count)


def _counts(session: Session, found: Holdings) -> dict[int | None, int]:
    """How many of the records found each partnership holds."""
    owner = owners(session, found)
    counts: dict[int | None, int] = {}
    if found.partnership is not None:
        counts[found.partnership.id] = 0
    for record in found.of_clinics:
        partnership_id = owner[record.clinic_id].id
        counts[partnership_id] = counts.get(partnership_id, 0) + 1
    for message in found.messages:
        counts[message.partnership_id] = counts.get(message.partnership_id, 0) + 1
    return counts


def record_access(session: Session, actor: User | str, found: Holdings) -> None:
    """Audit a search or download: in the log of each partnership whose records it showed
    (a coordinator's: their own)."""
    _audit(session, actor, ACCESSED, _counts(session, found))


def erase_subject(
    session: Session,
    email: str,
    *,
    actor: User | str,
    partnership: Partnership | None = None,
    now: datetime | None = None,
) -> int:
    """Erase everything ``partnership`` (None: every partnership) holds for this address;
    returns how many records were erased.  Live bookings are cancelled first (the parent
    gets the usual cancellation).  Another partnership's records of the same family stay,
    and so do the emails and texts it sent them.  Each partnership's log gets an event
    with its own count."""
    now = now or utcnow()
    found = holdings(session, email, partnership)
    owner = owners(session, found)
    wanted = found.email
    phones = _phones(session, wanted, partnership)
    erased: dict[int | None, int] = {partnership.id: 0} if partnership is not None else {}

    def count(partnership_id: int | None, records: int) -> None:
        erased[partnership_id] = erased.get(partnership_id, 0) + records

    if wanted:
        withdraw_unsent(session, wanted, now=now, phones=phones, partnership=partnership)
    for booking in found.bookings:
        if booking.anonymised_at is None:
            _cancel_if_live(session, booking, actor, now)
            count(owner[booking.clinic_id].id, _erase_booking_records(session, booking.id, now=now))
    for entry in found.waitlist_entries:
        session.refresh(entry)
        if entry.anonymised_at is None:
            _leave_if_live(session, entry, actor, now)
            count(
                owner[entry.clinic_id].id,
                purge.anonymise_waitlist_entry(session, entry.id, now=now),
            )
    for draft in found.drafts:
        count(owner[draft.clinic_id].id, purge.delete_draft(session, draft.id))
    if wanted:
        blanked = blank_sent_by_partnership(
            session, wanted, now=now, phones=phones, partnership=partnership
        )
        for sent_for, records in blanked.items():
            count(sent_for, records)
    _audit(session, actor, ERASED, erased)
    session.expire_all()
    return sum(erased.values())


def is_erased(record) -> bool:
    return getattr(record, "anonymised_at", None) is not None
