"""Attendance: a clinic's list of bookings, as the page, the CSV and the PDF show it.

Plain functions taking a session and values.  The list is read with a fixed number of
queries whatever the number of bookings (the clinic with its school and officer, its
slots, its bookings with who marked them, its walk-ins), then turned into plain values
(``sheets.Sheet``) for the page, CSV and PDF.  Sending it to the school is
``sending.py``; check-in on the day is ``checkin.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import phonenumbers
import sqlalchemy as sa
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
    """The clinic's bookings grouped by slot in time order, names A to Z within a slot.

    Read as plain rows (Core, no ORM objects: a 1,000-booking list spent a third of its
    time loading them), and the words many bookings share (the years, the devices and
    apps) written out once per list (``_Words``)."""
    session.flush()  # a Core read does not autoflush: what this request changed is shown
    slot = Slot.__table__.c
    slots = session.execute(
        select(slot.id, slot.starts_at, slot.ends_at, slot.capacity)
        .where(slot.clinic_id == clinic.id)
        .order_by(slot.starts_at, slot.id)
    ).all()
    rows_by_slot: dict[int, list[sheets.SheetRow]] = {row.id: [] for row in slots}
    words = _Words()
    for booking in session.execute(_bookings_query(clinic.id)):
        rows_by_slot[booking.slot_id].append(_row(booking, words))
    sheet_slots = tuple(
        sheets.SheetSlot(
            slot_id=row.id,
            label=_span(row.starts_at, row.ends_at),
            capacity=row.capacity,
            rows=tuple(sorted(rows_by_slot[row.id], key=_by_name)),
        )
        for row in slots
    )
    # A walk-in with no slot (None) finds no label.
    labels: dict[int | None, str] = {slot.slot_id: slot.label for slot in sheet_slots}
    walk_in = WalkIn.__table__.c
    walk_ins = tuple(
        sheets.SheetWalkIn(
            walk_in_id=row.id,
            parent_name=row.parent_name or "",
            child_years=words.years(row.child_years),
            topics=words.topics(row.topics, None),
            slot_label=labels.get(row.slot_id, ""),
        )
        for row in session.execute(
            select(
                walk_in.id,
                walk_in.slot_id,
                walk_in.parent_name,
                sa.cast(walk_in.child_years, sa.Text).label("child_years"),
                sa.cast(walk_in.topics, sa.Text).label("topics"),
            )
            .where(walk_in.clinic_id == clinic.id)
            .order_by(walk_in.created_at)
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


def _by_name(row: sheets.SheetRow) -> str:
    return row.parent_name.casefold()


class _Words:
    """The years and the devices and apps as the list writes them, worked out once per
    list for each stored value (most households tick the same few): the stored JSON text
    in, the words out.  Translating each label (a lazy string) and parsing the JSON for
    every row was a fifth of a 1,000-booking list's time."""

    def __init__(self) -> None:
        self._years: dict[str | None, str] = {}
        self._topics: dict[tuple[str | None, str | None], str] = {}

    def years(self, stored: str | None) -> str:
        written = self._years.get(stored)
        if written is None:
            written = self._years[stored] = ", ".join(_listed(stored))
        return written

    def topics(self, stored: str | None, other: str | None) -> str:
        written = self._topics.get((stored, other))
        if written is None:
            written = self._topics[stored, other] = topic_labels(_listed(stored), other)
        return written


def _listed(stored: str | None) -> list[str]:
    """A JSON list column read as its text (``CAST(... AS TEXT)``), as the list it holds."""
    return (json.loads(stored) if stored else None) or []


def _bookings_query(clinic_id: int):
    """Every booking of the clinic and the name of whoever marked it: one query, of the
    table's columns (plain rows; the JSON lists as their stored text, see ``_Words``)."""
    booking = Booking.__table__.c
    marker = User.__table__.alias("marker")
    return (
        select(
            booking.id,
            booking.slot_id,
            booking.reference,
            booking.parent_name,
            booking.phone,
            sa.cast(booking.child_years, sa.Text).label("child_years"),
            sa.cast(booking.topics, sa.Text).label("topics"),
            booking.other_topic,
            booking.access_needs,
            booking.interpreter_language,
            booking.interpreter_other,
            booking.status,
            booking.checked_in_at,
            booking.still_coming_asked_at,
            booking.still_coming_answer,
            marker.c.name.label("marked_by"),
        )
        .outerjoin(marker, marker.c.id == booking.checked_in_by_id)
        .where(booking.clinic_id == clinic_id)
        .order_by(booking.id)
    )


def sheet_row(session: Session, clinic: Clinic, booking_id: int) -> sheets.SheetRow:
    """One booking as the list shows it (the check-in page redraws a row after a mark)."""
    session.flush()
    query = _bookings_query(clinic.id).where(Booking.__table__.c.id == booking_id)
    return _row(session.execute(query).one(), _Words())


def _row(booking, words: _Words) -> sheets.SheetRow:
    answer = still_coming.answer_state(booking)
    return sheets.SheetRow(
        booking_id=booking.id,
        reference=booking.reference,
        parent_name=booking.parent_name or NAME_REMOVED,
        phone=display_phone(booking.phone),
        child_years=words.years(booking.child_years),
        topics=words.topics(booking.topics, booking.other_topic),
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
