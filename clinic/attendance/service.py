"""Attendance: a clinic's list of bookings, sending it to the school, and check-in on the day.

Plain functions taking a session and values; they raise the named errors below and never
commit, except ``send_due_lists`` (cron), which commits one clinic at a time so a run that
stops half-way leaves the rest for the next run.

The list is read with a fixed number of queries whatever the number of bookings (the
clinic with its school and officer, its slots, its bookings with who marked them, its
walk-ins), then turned into plain values (``sheets.Sheet``) for the page, CSV and PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app, render_template
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from .. import audit, batch
from ..booking.choices import TOPIC_LABELS
from ..errors import RuleError
from ..filters import format_date, format_time
from ..links import external_url
from ..localtime import clinic_zone, local_today
from ..models import Booking, Clinic, Slot, User, WalkIn, normalise_email, utcnow
from ..outbox.queue import Attachment, queue_email
from ..rows import changed
from ..workdays import working_day_before
from . import sheets

MARKS = ("attended", "no_show", "confirmed")  # "confirmed" undoes a mark
NAME_REMOVED = "Name removed"  # an anonymised booking (privacy: retention)


class AttendanceError(RuleError):
    """A change the rules refuse; the message is shown to staff."""


class NotInClinic(AttendanceError):
    """The booking or walk-in is not one this clinic can change: it belongs to another clinic,
    it does not exist, or (for a mark) the booking is cancelled. Views answer 404."""


class CheckInRefused(AttendanceError):
    """Marks cannot be changed now (before the day, after closing, clinic not running)."""


class ListNotSendable(AttendanceError):
    """Only a published clinic's list goes to the school."""


class AlreadyClosed(AttendanceError):
    """Someone closed the clinic first (a second tap, or another device)."""


# --- reading the list ---------------------------------------------------------------------


def get_clinic(session: Session, clinic_id: int) -> Clinic | None:
    """The clinic with its school and officer, in one query."""
    return session.scalar(
        select(Clinic)
        .options(joinedload(Clinic.school), joinedload(Clinic.officer))
        .where(Clinic.id == clinic_id)
    )


def build_sheet(session: Session, clinic: Clinic) -> sheets.Sheet:
    """The clinic's bookings grouped by slot in time order, names A to Z within a slot."""
    slots = list(
        session.scalars(
            select(Slot).where(Slot.clinic_id == clinic.id).order_by(Slot.starts_at, Slot.id)
        )
    )
    rows_by_slot: dict[int, list[sheets.SheetRow]] = {slot.id: [] for slot in slots}
    for booking in session.execute(_bookings_query(clinic.id)):
        rows_by_slot[booking.slot_id].append(_row(booking))
    sheet_slots = tuple(
        sheets.SheetSlot(
            slot_id=slot.id,
            label=_span(slot.starts_at, slot.ends_at),
            capacity=slot.capacity,
            rows=tuple(sorted(rows_by_slot[slot.id], key=lambda r: r.parent_name.casefold())),
        )
        for slot in slots
    )
    labels = {slot.slot_id: slot.label for slot in sheet_slots}
    walk_ins = tuple(
        sheets.SheetWalkIn(
            walk_in_id=walk_in.id,
            parent_name=walk_in.parent_name or "",
            child_years=", ".join(walk_in.child_years or []),
            topics=topic_labels(walk_in.topics or []),
            slot_label=labels.get(walk_in.slot_id, ""),
        )
        for walk_in in session.scalars(
            select(WalkIn).where(WalkIn.clinic_id == clinic.id).order_by(WalkIn.created_at)
        )
    )
    return sheets.Sheet(
        school_name=clinic.school.name,
        clinic_title=clinic.title,
        date=format_date(clinic.date),
        times=_span(slots[0].starts_at, slots[-1].ends_at) if slots else "",
        venue=clinic.venue or "",
        officer_name=clinic.officer.name,
        slots=sheet_slots,
        walk_ins=walk_ins,
        totals=sheets.totals_for(sheet_slots, len(walk_ins)),
    )


def _bookings_query(clinic_id: int):
    """Every booking of the clinic and the name of whoever marked it: one query."""
    marker = User.__table__.alias("marker")
    return (
        select(
            Booking.id,
            Booking.slot_id,
            Booking.reference,
            Booking.parent_name,
            Booking.phone,
            Booking.child_years,
            Booking.topics,
            Booking.other_topic,
            Booking.access_needs,
            Booking.status,
            Booking.checked_in_at,
            marker.c.name.label("marked_by"),
        )
        .outerjoin(marker, marker.c.id == Booking.checked_in_by_id)
        .where(Booking.clinic_id == clinic_id)
        .order_by(Booking.id)
    )


def sheet_row(session: Session, clinic: Clinic, booking_id: int) -> sheets.SheetRow:
    """One booking as the list shows it (the check-in page redraws a row after a mark)."""
    return _row(session.execute(_bookings_query(clinic.id).where(Booking.id == booking_id)).one())


def _row(booking) -> sheets.SheetRow:
    return sheets.SheetRow(
        booking_id=booking.id,
        reference=booking.reference,
        parent_name=booking.parent_name or NAME_REMOVED,
        phone=display_phone(booking.phone),
        child_years=", ".join(booking.child_years or []),
        topics=topic_labels(booking.topics or [], booking.other_topic),
        access_needs=booking.access_needs or "",
        status=booking.status,
        marked_by=booking.marked_by or "",
        marked_at=format_time(booking.checked_in_at) if booking.checked_in_at else "",
    )


def _span(starts_at: datetime, ends_at: datetime) -> str:
    return f"{format_time(starts_at)} to {format_time(ends_at)}"


def display_phone(value: str | None) -> str:
    """A stored +44… number as people write it (07700 900982); others in international form.

    The national form also keeps UK numbers from starting with "+", which a spreadsheet
    would take for a formula."""
    if not value:
        return ""
    return _formatted_phone(value)


@lru_cache(maxsize=8192)
def _formatted_phone(value: str) -> str:
    """Parsing with ``phonenumbers`` was 43% of a 1,000-booking list's time, every view:
    each number is formatted once per worker.  The cache is the worker's own memory (a
    number to its written form, with no name beside it), bounded, and never shared."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return value
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def topic_labels(topics: list[str], other: str | None = None) -> str:
    """The devices and apps in the words of the booking form; "Something else" with its text."""
    labels = [TOPIC_LABELS.get(topic, topic) for topic in topics if topic != "other"]
    if other:
        labels.append(f"{TOPIC_LABELS['other']}: {other}")
    elif "other" in topics:
        labels.append(TOPIC_LABELS["other"])
    return ", ".join(labels)


def sheet_pdf(sheet: sheets.Sheet) -> bytes:
    """The printable sign-in sheet, laid out by the same template and styles as the page."""
    html = render_template(
        "attendance/sheet_pdf.html", sheet=sheet, blank_rows=sheets.BLANK_ROWS_PER_SLOT
    )
    return sheets.build_pdf(html)


def file_name(clinic: Clinic, extension: str) -> str:
    """attendance-2026-12-07-oakfield-primary-school-3.pdf: sorts by date in a folder."""
    return f"attendance-{clinic.date.isoformat()}-{clinic.school.slug}.{extension}"


# --- what changed since the list was last sent --------------------------------------------


@dataclass(frozen=True)
class ListChanges:
    sent_at: datetime
    added: tuple[str, ...]
    cancelled: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.cancelled)


def changes_since_sent(clinic: Clinic, sheet: sheets.Sheet) -> ListChanges | None:
    """Bookings made and cancelled since the last list the school was sent (None: never sent)."""
    if clinic.list_sent_at is None:
        return None
    sent = set(clinic.list_sent_booking_ids or [])
    return ListChanges(
        sent_at=clinic.list_sent_at,
        added=tuple(
            row.parent_name for row in sheet.rows if row.live and row.booking_id not in sent
        ),
        cancelled=tuple(
            row.parent_name for row in sheet.rows if not row.live and row.booking_id in sent
        ),
    )


# --- sending the list to the school -------------------------------------------------------


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
        clinic = get_clinic(session, clinic_id)
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
        clinic = get_clinic(session, clinic_id)
        return send_list(session, clinic, actor="system", now=now, only_if_unsent=True) or None

    result.add(result.run.each(session, "clinic", clinic_ids, send_due))
    return result


# --- check-in on the day ------------------------------------------------------------------


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
