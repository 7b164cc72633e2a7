"""Sending a clinic's attendance list to its school: by itself at
``ATTENDANCE_LIST_SEND_AT`` on the working day before (``flask attendance send-lists``),
and when someone presses "Send to school now" (the outbox worker sends what was asked).

Plain functions taking a session and values; they never commit, except the two batch
runs, which commit one clinic at a time so a run that stops half-way leaves the rest for
the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit, batch
from ..links import external_url
from ..localtime import clinic_zone, local_today
from ..models import Clinic, User, normalise_email, utcnow
from ..outbox.queue import Attachment, queue_email
from ..rows import changed
from ..workdays import working_day_before
from . import sheets
from .service import (
    AttendanceError,
    build_sheet,
    changes_since_sent,
    file_name,
    get_one_clinic,
    sheet_pdf,
)


class ListNotSendable(AttendanceError):
    """Only a published clinic's list goes to the school."""


def send_time() -> time:
    """ATTENDANCE_LIST_SEND_AT ("HH:MM", local time; 9am unless set)."""
    value = current_app.config["ATTENDANCE_LIST_SEND_AT"]
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        message = f"ATTENDANCE_LIST_SEND_AT must be a time like 09:00, not {value!r}"
        raise ValueError(message) from exc


LIST_LOOKAHEAD_DAYS = 14


def list_due_at(clinic_date: date, at: time, tz: ZoneInfo) -> datetime:
    """When the school gets the list: ``at`` (local) on the working day before, in UTC."""
    return datetime.combine(working_day_before(clinic_date), at, tzinfo=tz).astimezone(UTC)


def due_clinic_ids(session: Session, now: datetime) -> list[int]:
    """Published clinics, today or later, whose list is due and has not been sent."""
    tz = clinic_zone()
    today = local_today(now)
    at = send_time()
    # The working day before is at most a few days before (Friday for Monday; over
    # Christmas or Easter, up to five); a fortnight is plenty.
    candidates = session.execute(
        select(Clinic.id, Clinic.date)
        .where(
            Clinic.status == "published",
            Clinic.list_sent_at.is_(None),
            Clinic.date >= today,
            Clinic.date <= today + timedelta(days=LIST_LOOKAHEAD_DAYS),
        )
        .order_by(Clinic.date, Clinic.id)
    )
    return [clinic_id for clinic_id, day in candidates if list_due_at(day, at, tz) <= now]


def list_recipients(session: Session, clinic: Clinic) -> list[str]:
    """The school's contact address and each active school staff account, once each."""
    staff = session.scalars(
        select(User.email)
        .where(User.role == "school", User.school_id == clinic.school_id, User.active.is_(True))
        .order_by(User.email)
    )
    recipients: dict[str, str] = {}
    for email in (clinic.school.contact_email, *staff):
        if email and email.strip():
            recipients.setdefault(normalise_email(email), email.strip())
    return list(recipients.values())


def send_list(
    session: Session,
    clinic: Clinic,
    *,
    actor: User | str,
    now: datetime | None = None,
    only_if_unsent: bool = False,
) -> list[str]:
    """Queue the list (PDF and CSV attached) to each recipient; returns who it went to.

    ``only_if_unsent`` (the cron job) sends nothing if a list has been sent meanwhile: the
    conditional UPDATE lets one run of the job win on both databases."""
    if clinic.status != "published":
        raise ListNotSendable("Only a published clinic's attendance list can be sent.")
    now = now or utcnow()
    sheet = build_sheet(session, clinic)
    changes = changes_since_sent(clinic, sheet)
    booking_ids = sorted(row.booking_id for row in sheet.rows if row.live)
    if not _record_sent(session, clinic, booking_ids, now, only_if_unsent):
        return []
    attachments = [
        Attachment(file_name(clinic, "pdf"), "application/pdf", sheet_pdf(sheet)),
        Attachment(file_name(clinic, "csv"), "text/csv", sheets.build_csv(sheet)),
    ]
    again = changes is not None
    subject = (
        f"{'Updated attendance' if again else 'Attendance'} list for the clinic on {sheet.date}"
    )
    recipients = list_recipients(session, clinic)
    for recipient in recipients:
        queue_email(
            session,
            to=recipient,
            subject=subject,
            template="attendance_list",
            context={
                "sheet": sheet,
                "changes": changes,
                "list_url": external_url("attendance.clinic_list", clinic_id=clinic.id),
            },
            kind="attendance_list",
            attachments=attachments,
            partnership_id=clinic.school.partnership_id,
        )
    audit.record(
        session,
        actor,
        "clinic.list_sent",
        clinic,
        recipients=len(recipients),
        bookings=len(booking_ids),
        added=len(changes.added) if changes else 0,
        cancelled=len(changes.cancelled) if changes else 0,
    )
    return recipients


def _record_sent(
    session: Session, clinic: Clinic, booking_ids: list[int], now: datetime, only_if_unsent: bool
) -> bool:
    """Note what was sent; False when ``only_if_unsent`` and another run got there first.

    A plain UPDATE (not the ORM) so that sending a list does not count as an edit of the
    clinic: an officer's open edit form (optimistic locking on ``version``) stays valid."""
    statement = update(Clinic).where(Clinic.id == clinic.id)
    if only_if_unsent:
        statement = statement.where(Clinic.list_sent_at.is_(None))
    result = session.execute(
        statement.values(list_sent_at=now, list_sent_booking_ids=booking_ids).execution_options(
            synchronize_session=False
        )
    )
    session.expire(clinic, ["list_sent_at", "list_sent_booking_ids", "updated_at"])
    return changed(result) == 1


def request_list(
    session: Session, clinic: Clinic, *, actor: User, now: datetime | None = None
) -> None:
    """ "Send to school now": ask the worker to send the list (with its PDF, which takes a
    while for a big clinic) instead of making the button wait.  Pressing it again before
    the list has gone asks once."""
    if clinic.status != "published":
        raise ListNotSendable("Only a published clinic's attendance list can be sent.")
    now = now or utcnow()
    session.execute(  # a plain UPDATE: not an edit of the clinic (see _record_sent)
        update(Clinic)
        .where(Clinic.id == clinic.id, Clinic.list_requested_at.is_(None))
        .values(list_requested_at=now, list_requested_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(clinic, ["list_requested_at", "list_requested_by_id"])
    audit.record(session, actor, "clinic.list_requested", clinic)


def requested_clinic_ids(session: Session) -> list[int]:
    """Clinics whose list someone asked to send now, oldest request first."""
    return list(
        session.scalars(
            select(Clinic.id)
            .where(Clinic.list_requested_at.is_not(None))
            .order_by(Clinic.list_requested_at, Clinic.id)
        )
    )


def _claim_request(session: Session, clinic_id: int) -> tuple[bool, int | None]:
    """Take the request off the clinic (one sender wins); (claimed, who asked)."""
    asked_by = session.scalar(select(Clinic.list_requested_by_id).where(Clinic.id == clinic_id))
    result = session.execute(
        update(Clinic)
        .where(Clinic.id == clinic_id, Clinic.list_requested_at.is_not(None))
        .values(list_requested_at=None, list_requested_by_id=None)
        .execution_options(synchronize_session=False)
    )
    return changed(result) == 1, asked_by


@dataclass
class SentLists:
    clinics: int = 0
    emails: int = 0
    run: batch.Run = field(default_factory=lambda: batch.Run("attendance lists"))

    def __bool__(self) -> bool:
        return self.clinics > 0

    def __str__(self) -> str:
        clinics = "1 clinic" if self.clinics == 1 else f"{self.clinics} clinics"
        emails = "1 email" if self.emails == 1 else f"{self.emails} emails"
        text = f"Attendance lists sent for {clinics} ({emails})."
        return f"{text} Failed: {len(self.run.failed)}." if self.run.failed else text

    def add(self, recipients: list[list[str] | None]) -> None:
        for sent_to in recipients:
            if sent_to is not None:
                self.clinics += 1
                self.emails += len(sent_to)


def send_requested_lists(session: Session, *, now: datetime | None = None) -> SentLists:
    """Send each list someone asked for with "Send to school now" (the worker, every few
    seconds, and the cron command); a request is claimed once, so two runs send it once.
    A clinic cancelled since the request is skipped.  A list that fails is logged and
    skipped, its request left for the next round."""
    now = now or utcnow()
    result = SentLists()
    clinic_ids = requested_clinic_ids(session)
    session.commit()  # end the read: on SQLite it holds the write lock

    def send_requested(session: Session, clinic_id: int) -> list[str] | None:
        claimed, asked_by = _claim_request(session, clinic_id)
        clinic = get_one_clinic(session, clinic_id)
        if not (claimed and clinic.status == "published"):
            return None
        actor = session.get(User, asked_by) if asked_by else None
        return send_list(session, clinic, actor=actor or "system", now=now)

    result.add(result.run.each(session, "clinic", clinic_ids, send_requested))
    return result


def send_due_lists(session: Session, *, now: datetime | None = None) -> SentLists:
    """Send every list that is due, and every one asked for (cron); running it again sends
    nothing twice, and a clinic whose list fails is logged and skipped."""
    now = now or utcnow()
    result = send_requested_lists(session, now=now)
    clinic_ids = due_clinic_ids(session, now)
    session.commit()  # end the read: on SQLite it holds the write lock

    def send_due(session: Session, clinic_id: int) -> list[str] | None:
        clinic = get_one_clinic(session, clinic_id)
        return send_list(session, clinic, actor="system", now=now, only_if_unsent=True) or None

    result.add(result.run.each(session, "clinic", clinic_ids, send_due))
    return result
