"""The references ``make bench`` compares two staff pages with, in the app's own process.

Built from plain rows read with one SQL statement (no ORM, no ``phonenumbers``, no
services): ``/bench/ref/attendance/<id>`` renders the attendance list's own template,
``/bench/ref/feed/<officer id>`` builds the same events as the officer feed with
icalendar directly.  ``bench/wsgi.py`` adds them to the app gunicorn serves, and
``bench/profile.py`` (so ``bench/callgrind.py``) to the app it asks in process; nothing in
``clinic/`` knows of them, so production never carries them.
"""

from datetime import UTC, date, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request
from icalendar import Calendar, Event, Timezone

from clinic.attendance import sheets
from clinic.attendance.pdf import PdfState
from clinic.extensions import db

ref = Blueprint("bench_ref", __name__, url_prefix="/bench/ref")


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _here() -> ZoneInfo:
    return _zone(current_app.config["CLINIC_TIMEZONE"])


def _rows(sql: str, *params):
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(sql, params).all()


def _naive_utc(value) -> datetime:
    """A stored UTC time as the driver gives it (SQLite: text; PostgreSQL: datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _clock(value) -> str:
    local = _naive_utc(value).astimezone(_here())
    return f"{local:%H:%M}"


@ref.get("/attendance/<int:clinic_id>")
def attendance(clinic_id: int):
    """The attendance list template, filled from one plain query (phones as stored)."""
    placeholder = "%s" if db.engine.dialect.name == "postgresql" else "?"
    rows = _rows(
        "SELECT s.id, s.starts_at, s.ends_at, s.capacity, b.id, b.reference, b.parent_name,"
        " b.phone, b.access_needs, b.status, c.title, c.venue, sc.name, u.name"
        " FROM slot s JOIN clinic c ON c.id = s.clinic_id JOIN school sc ON sc.id = c.school_id"
        ' JOIN "user" u ON u.id = c.officer_id LEFT JOIN booking b ON b.slot_id = s.id'
        f" WHERE s.clinic_id = {placeholder} ORDER BY s.starts_at, s.id, b.parent_name",
        clinic_id,
    )
    slots: dict[int, tuple] = {}
    booked: dict[int, list[sheets.SheetRow]] = {}
    for row in rows:
        if row[0] not in slots:
            slots[row[0]] = (f"{_clock(row[1])} to {_clock(row[2])}", row[3])
            booked[row[0]] = []
        if row[4] is not None:
            booked[row[0]].append(
                sheets.SheetRow(
                    booking_id=row[4],
                    reference=row[5],
                    parent_name=row[6],
                    phone=row[7] or "",
                    child_years="Year 3, Year 5",
                    topics="Roblox, TikTok",
                    access_needs=row[8] or "",
                    status=row[9],
                )
            )
    sheet_slots = tuple(
        sheets.SheetSlot(slot_id=key, label=label, capacity=capacity, rows=tuple(booked[key]))
        for key, (label, capacity) in slots.items()
    )
    first = rows[0] if rows else (None,) * 14
    sheet = sheets.Sheet(
        school_name=first[12] or "",
        clinic_title=first[10] or "",
        date="Monday 7 December 2026",
        times="3pm to 9:40pm",
        venue=first[11] or "",
        officer_name=first[13] or "",
        slots=sheet_slots,
        totals=sheets.totals_for(sheet_slots, 0),
    )
    clinic = SimpleNamespace(id=clinic_id, status="published", closed_at=None, list_sent_at=None)
    return render_template(
        "attendance/list.html",
        clinic=clinic,
        sheet=sheet,
        pdf=PdfState("none"),
        changes=None,
        due_at=datetime.now(UTC) + timedelta(days=1),
        blank_rows=sheets.BLANK_ROWS_PER_SLOT,
    )


@cache
def _vtimezone(name: str) -> Timezone:
    return Timezone.from_tzid(name, first_date=date(2026, 1, 1), last_date=date(2029, 1, 1))


@ref.get("/feed/<int:officer_id>")
def feed(officer_id: int):
    """The officer's clinics as icalendar events, straight from one plain query."""
    placeholder = "%s" if db.engine.dialect.name == "postgresql" else "?"
    rows = _rows(
        "SELECT c.id, c.uid, c.sequence, c.title, c.venue, c.status, sc.name, sc.postcode,"
        " MIN(s.starts_at), MAX(s.ends_at), SUM(s.booked), SUM(s.capacity)"
        " FROM clinic c JOIN school sc ON sc.id = c.school_id JOIN slot s ON s.clinic_id = c.id"
        f" WHERE c.officer_id = {placeholder} AND c.status <> 'draft'"
        " GROUP BY c.id, sc.id ORDER BY MIN(s.starts_at), c.id",
        officer_id,
    )
    cal = Calendar()
    cal.add("PRODID", "-//Bench//Reference//EN")
    cal.add("VERSION", "2.0")
    cal.add("METHOD", "PUBLISH")
    cal.add("X-WR-CALNAME", "Clinics")
    cal.add_component(_vtimezone(current_app.config["CLINIC_TIMEZONE"]))
    stamp = datetime.now(UTC)
    for row in rows:
        vevent = Event()
        vevent.add("UID", row[1])
        vevent.add("SEQUENCE", row[2])
        vevent.add("DTSTAMP", stamp)
        vevent.add("SUMMARY", f"{row[3]} – {row[6]}")
        vevent.add("DTSTART", _naive_utc(row[8]).astimezone(_here()))
        vevent.add("DTEND", _naive_utc(row[9]).astimezone(_here()))
        vevent.add(
            "DESCRIPTION",
            f"{row[6]}\nVenue: {row[4]}\nPlaces booked: {row[10]} of {row[11]}\n"
            f"Status: {row[5]}\nAttendance list: http://localhost/staff/clinics/{row[0]}",
        )
        vevent.add("LOCATION", f"{row[4]}, {row[6]}, {row[7]}")
        vevent.add("URL", f"http://localhost/staff/clinics/{row[0]}")
        vevent.add("STATUS", "CANCELLED" if row[5] == "cancelled" else "CONFIRMED")
        cal.add_component(vevent)
    return Response(cal.to_ical(), content_type="text/calendar; charset=utf-8")


def forget_feeds() -> None:
    """``?bench-rebuild`` on any request: this worker's kept officer feeds are forgotten
    first, so the feed is built as it is after a change (``clinic/schedule/feed.py``
    keeps it while its events are the same; calendar apps mostly poll an unchanged one)."""
    kept = current_app.extensions.get("pagecache", {}).get("officer feeds")
    if kept is not None and "bench-rebuild" in request.args:
        kept.clear()


def add_to(app) -> None:
    app.register_blueprint(ref)
    app.before_request(forget_feeds)
