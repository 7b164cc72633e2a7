"""Finding a school and listing what parents can book there (reads only)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    BindParameter,
    Date,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, selectinload

from ..models import Clinic, Partnership, School, Slot, UTCDateTime
from .service import FULL, OPEN, slot_state

MAX_RESULTS = 50


@dataclass(frozen=True)
class SchoolMatch:
    school: Row  # id, slug, name, town and postcode: what the finder shows (plain values)
    next_clinic: date | None  # the date of its next published clinic, if any


def _like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own characters taken as typed (``/`` is the escape)."""
    for special in ("/", "%", "_"):
        text = text.replace(special, "/" + special)
    return f"%{text}%"


def _holds(column, pattern, dialect: str):
    """``column`` holds ``pattern`` whatever the case: SQLite's LIKE already ignores the
    case of the letters A to Z (its ``lower()`` changes no others either), so the
    column is compared as stored, with no ``lower()`` of every row; PostgreSQL has
    ILIKE."""
    if dialect == "postgresql":
        return column.ilike(pattern, escape="/")
    return column.like(pattern, escape="/")


@functools.cache
def _finder_statement(dialect: str, one_partnership: bool = False):
    """Built once per database kind (the finder runs on every search): schools whose
    name, town or postcode (its spaces taken out, so "ex1 4ab" finds "EX1 4AB") holds
    the words, with the date of each one's next published clinic; with
    ``one_partnership``, only the schools of the partnership whose slug is given as
    ``partnership`` (``FINDER_PARTNERSHIP``)."""
    next_clinic = (
        select(func.min(Clinic.date))
        .where(
            Clinic.school_id == School.id,
            Clinic.status == "published",
            Clinic.date >= bindparam("today", type_=Date),
        )
        .correlate(School)
        .scalar_subquery()
        .label("next_clinic")
    )
    # LIKE patterns (``_like_pattern``), given when the statement runs.
    words: BindParameter[str] = bindparam("words")
    squashed: BindParameter[str] = bindparam("squashed")
    matches = (
        _holds(School.name, words, dialect)
        | _holds(School.town, words, dialect)
        | _holds(func.replace(School.postcode, " ", ""), squashed, dialect)
    )
    if one_partnership:
        matches = matches & School.partnership_id.in_(
            select(Partnership.id).where(Partnership.slug == bindparam("partnership"))
        )
    return (
        select(School.id, School.slug, School.name, School.town, School.postcode, next_clinic)
        .where(matches)
        .order_by(next_clinic.is_(None), School.name, School.id)
        .limit(MAX_RESULTS)
    )


def find_schools(
    session: Session, query: str, *, today: date, partnership: str | None = None
) -> list[SchoolMatch]:
    """Schools whose name or town contains ``query``, or whose postcode does (ignoring
    spaces and case); those with a clinic coming up first, then by name.  Every
    partnership's schools, or only those of the partnership whose slug is ``partnership``
    (an installation serving one: ``FINDER_PARTNERSHIP``)."""
    text = " ".join(query.split()).lower()
    if not text:
        return []
    connection = session.connection()  # Core: plain values, none of the ORM's work
    rows = connection.execute(
        _finder_statement(connection.dialect.name, bool(partnership)),
        {
            "partnership": partnership,
            "today": today,
            "words": _like_pattern(text),
            "squashed": _like_pattern(text.replace(" ", "")),
        },
    )
    return [SchoolMatch(row, row.next_clinic) for row in rows]


@dataclass(frozen=True)
class SlotListing:
    slot: Slot
    state: str  # as service.slot_state: open, full, past, not_open, closed


@dataclass(frozen=True)
class ClinicListing:
    """A clinic as its school page shows it: each slot with its state, and the clinic's."""

    clinic: Clinic
    slots: list[SlotListing]

    @property
    def state(self) -> str:
        """``not_open``/``closed`` (the booking window), ``open`` (a place is free),
        ``full`` (every time still to come is taken) or ``past``."""
        states = {item.state for item in self.slots}
        for state in ("not_open", "closed", OPEN, FULL):
            if state in states:
                return state
        return "past"


def upcoming_clinics(session: Session, school: School, *, now: datetime, today: date):
    """The school's published clinics from today on that have a time still to come."""
    clinics = session.scalars(
        select(Clinic)
        .where(Clinic.school_id == school.id, Clinic.status == "published", Clinic.date >= today)
        .order_by(Clinic.date, Clinic.id)
        .options(selectinload(Clinic.slots))
    )
    listings = [
        ClinicListing(
            clinic, [SlotListing(slot, slot_state(clinic, slot, now)) for slot in clinic.slots]
        )
        for clinic in clinics
    ]
    return [listing for listing in listings if listing.state != "past"]


@dataclass(frozen=True)
class SchoolPageKey:
    """What the school page shows, read in one query (``school_page_key``)."""

    school_id: int
    values: tuple  # the school's row, and everything its page shows, as plain values
    # Its partnership, as a detached ``Partnership`` of the values the page shows.
    partnership: Partnership | None
    # The first time still to come whose passing changes the page (a slot starting, a
    # booking window opening or closing); None: none listed (``clinic.changes``).
    changes_at: datetime | None = None


def _quoted(text: str):
    """A constant in the SQL itself, not a bound parameter (fewer values to send)."""
    return literal_column(f"'{text}'")


def _text(column):
    """A column as text for the listing key; ``-`` for NULL (``||`` with NULL is NULL)."""
    return func.coalesce(cast(column, String), _quoted("-"))


def _flag(condition):
    return case((condition, _quoted("1")), else_=_quoted("0"))


@functools.cache
def _school_page_statement(dialect: str):
    """Built once per database kind: the school's row by slug, and its listing as one
    string made by the database (PostgreSQL's string_agg, SQLite's group_concat)."""
    now, today = bindparam("now", type_=UTCDateTime), bindparam("today", type_=Date)
    row = _text(Clinic.id)
    for part in (
        _text(Clinic.version),
        _text(Clinic.date),
        _text(Clinic.booking_opens_at),
        _text(Clinic.booking_closes_at),
        _text(Slot.id),
        _text(Slot.starts_at),
        _text(Slot.ends_at),
        _text(Slot.capacity),
        _text(Slot.booked),
        _flag(Slot.starts_at <= now),
        _flag(Clinic.booking_opens_at > now),
        _flag(Clinic.booking_closes_at <= now),
    ):
        row = row.concat(_quoted(",")).concat(part)
    join_rows = func.string_agg if dialect == "postgresql" else func.group_concat
    listing = (
        select(join_rows(row, _quoted(";")))
        .select_from(Clinic)
        .outerjoin(Slot, Slot.clinic_id == Clinic.id)
        .where(Clinic.school_id == School.id, Clinic.status == "published", Clinic.date >= today)
        .correlate(School)
        .scalar_subquery()
    )
    return (
        select(
            *School.__table__.columns,
            listing.label("listing"),
            *(column.label(f"p__{column.name}") for column in _PARTNERSHIP_SHOWN),
            *(_next_after_now(column, now, today) for column in _TIMES_SHOWN),
        )
        .join(Partnership, Partnership.id == School.partnership_id)
        .where(School.slug == bindparam("slug"))
    )


# What the page shows of the school's partnership (issue 21): its name, notice details and
# languages (never its Notify key), read with the school so a change to them draws the
# page again and needs no query of its own.
_PARTNERSHIP_SHOWN = tuple(
    column
    for column in Partnership.__table__.columns
    if column.name not in ("notify_api_key", "created_at", "updated_at")
)


# The times whose passing changes what the school page shows (``slot_state``).
_TIMES_SHOWN = (Slot.starts_at, Clinic.booking_opens_at, Clinic.booking_closes_at)


def _next_after_now(column, now, today):
    """The first of the school's listed ``column`` times still to come (None: none)."""
    return (
        select(func.min(column))
        .select_from(Clinic)
        .outerjoin(Slot, Slot.clinic_id == Clinic.id)
        .where(
            Clinic.school_id == School.id,
            Clinic.status == "published",
            Clinic.date >= today,
            column > now,
        )
        .correlate(School)
        .scalar_subquery()
    )


def school_page_key(
    session: Session, slug: str, *, now: datetime, today: date
) -> SchoolPageKey | None:
    """Everything the school page shows, as plain values, in one statement (None: no
    such school): the school's row, and for each published clinic from today on its id
    and ``version`` (every edit of a clinic or its slots through the ORM adds one: its
    title, venue, description and status are covered by it), date and booking window,
    and each slot's id, times, capacity and places booked, with which side of ``now``
    each time and booking window is (the page's states).  Equal values draw the same
    page (``clinic.pagecache``); a booking or a cancellation that commits changes
    ``booked``, so the next request draws the page again.  The rows come in the order
    the database reads them: a new order only draws the page once more, never shows an
    old one (each row's text holds only numbers, dates and flags, so the string reads
    back to the same rows)."""
    connection = session.connection()  # Core: none of the ORM's work for plain values
    row = connection.execute(
        _school_page_statement(connection.dialect.name),
        {"slug": slug, "now": now, "today": today},
    ).one_or_none()
    if row is None:
        return None
    *values, starts, opens, closes = row
    changes_at = min((t for t in (starts, opens, closes) if t is not None), default=None)
    partnership = Partnership(
        **{column.name: row._mapping[f"p__{column.name}"] for column in _PARTNERSHIP_SHOWN}
    )
    return SchoolPageKey(row.id, (today, tuple(values)), partnership, changes_at)


def school_by_slug(session: Session, slug: str) -> School | None:
    return session.scalar(select(School).where(School.slug == slug))
