"""Attendance: a clinic's list of bookings, as the page, the CSV and the PDF show it.

Plain functions taking a session and values.  The list is read with a fixed number of
queries whatever the number of bookings (the clinic with its school and officer, its
slots, its bookings with who marked them, its walk-ins), then turned into plain values
(``sheets.Sheet``) for the page, CSV and PDF.  Sending it to the school is
``sending.py``; check-in on the day is ``checkin.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import phonenumbers
from flask import render_template
from sqlalchemy import select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session, joinedload

from ..booking import still_coming
from ..booking.choices import TOPIC_LABELS, interpreter_label
from ..errors import RuleError
from ..filters import format_date, format_time
from ..models import Booking, Clinic, Slot, User, WalkIn
from . import sheets

NAME_REMOVED = "Name removed"  # an anonymised booking (privacy: retention)


class AttendanceError(RuleError):
    """A change the rules refuse; the message is shown to staff."""


# --- reading the list ---------------------------------------------------------------------


def get_clinic(session: Session, clinic_id: int) -> Clinic | None:
    """The clinic with its school and officer, in one query."""
    return session.scalar(
        select(Clinic)
        .options(joinedload(Clinic.school), joinedload(Clinic.officer))
        .where(Clinic.id == clinic_id)
    )


def get_one_clinic(session: Session, clinic_id: int) -> Clinic:
    """``get_clinic`` for an id read from the clinic table: clinics are never deleted
    (bookings hold them), so it is there; ``NoResultFound`` if not."""
    clinic = get_clinic(session, clinic_id)
    if clinic is None:
        raise NoResultFound(f"No clinic {clinic_id}")
    return clinic


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
    # A walk-in with no slot (None) finds no label.
    labels: dict[int | None, str] = {slot.slot_id: slot.label for slot in sheet_slots}
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
            Booking.interpreter_language,
            Booking.interpreter_other,
            Booking.status,
            Booking.checked_in_at,
            Booking.still_coming_asked_at,
            Booking.still_coming_answer,
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
    answer = still_coming.answer_state(booking)
    return sheets.SheetRow(
        booking_id=booking.id,
        reference=booking.reference,
        parent_name=booking.parent_name or NAME_REMOVED,
        phone=display_phone(booking.phone),
        child_years=", ".join(booking.child_years or []),
        topics=topic_labels(booking.topics or [], booking.other_topic),
        access_needs=_needs(booking),
        status=booking.status,
        marked_by=booking.marked_by or "",
        marked_at=format_time(booking.checked_in_at) if booking.checked_in_at else "",
        still_coming="" if answer == still_coming.NOT_ASKED else answer,
        still_coming_label=(
            "" if answer == still_coming.NOT_ASKED else still_coming.ANSWER_LABELS[answer]
        ),
    )


def _needs(booking) -> str:
    """The access needs typed, after the interpreter asked for (if any)."""
    language = interpreter_label(booking.interpreter_language, booking.interpreter_other)
    interpreter = f"Interpreter: {language}" if language else ""
    return "; ".join(part for part in (interpreter, booking.access_needs) if part)


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
    labels = [str(TOPIC_LABELS.get(topic, topic)) for topic in topics if topic != "other"]
    if other:
        labels.append(f"{TOPIC_LABELS['other']}: {other}")
    elif "other" in topics:
        labels.append(str(TOPIC_LABELS["other"]))
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
