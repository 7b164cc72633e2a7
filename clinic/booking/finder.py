"""Finding a school and listing what parents can book there (reads only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..models import Clinic, School, Slot
from .service import FULL, OPEN, slot_state

MAX_RESULTS = 50


@dataclass(frozen=True)
class SchoolMatch:
    school: School
    next_clinic: date | None  # the date of its next published clinic, if any


def _squashed(column):
    """Lower case with the spaces taken out, so "ex1 4ab" finds "EX1 4AB"."""
    return func.replace(func.lower(column), " ", "")


def find_schools(session: Session, query: str, *, today: date) -> list[SchoolMatch]:
    """Schools whose name or town contains ``query``, or whose postcode does (ignoring
    spaces and case); those with a clinic coming up first, then by name."""
    text = " ".join(query.split()).lower()
    if not text:
        return []
    squashed = text.replace(" ", "")
    next_clinic = (
        select(func.min(Clinic.date))
        .where(
            Clinic.school_id == School.id,
            Clinic.status == "published",
            Clinic.date >= today,
        )
        .correlate(School)
        .scalar_subquery()
        .label("next_clinic")
    )
    matches = (
        func.lower(School.name).contains(text, autoescape=True)
        | func.lower(School.town).contains(text, autoescape=True)
        | _squashed(School.postcode).contains(squashed, autoescape=True)
    )
    rows = session.execute(
        select(School, next_clinic)
        .where(matches)
        .order_by(next_clinic.is_(None), School.name, School.id)
        .limit(MAX_RESULTS)
    )
    return [SchoolMatch(school, day) for school, day in rows]


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


def school_page_key(session: Session, school: School, *, now: datetime, today: date) -> tuple:
    """Everything the school page shows, as plain values, in one query: the school, each
    published clinic from today on, and each of its slots with its places booked, and
    which side of ``now`` every time and booking window is (the page's states).  Equal
    values draw the same page (``clinic.pagecache``); a booking or a cancellation that
    commits changes ``booked``, so the next request draws the page again."""
    rows = session.execute(
        select(
            Clinic.id,
            Clinic.version,
            Clinic.updated_at,
            Clinic.status,
            Clinic.date,
            Clinic.title,
            Clinic.venue,
            Clinic.description,
            Clinic.booking_opens_at,
            Clinic.booking_closes_at,
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.capacity,
            Slot.booked,
        )
        .outerjoin(Slot, Slot.clinic_id == Clinic.id)
        .where(Clinic.school_id == school.id, Clinic.status == "published", Clinic.date >= today)
        .order_by(Clinic.date, Clinic.id, Slot.starts_at, Slot.id)
    ).all()
    sides = tuple(
        (
            row.starts_at is not None and row.starts_at <= now,
            row.booking_opens_at is not None and now < row.booking_opens_at,
            row.booking_closes_at is not None and now >= row.booking_closes_at,
        )
        for row in rows
    )
    school_values = tuple(getattr(school, column.key) for column in School.__table__.columns)
    return (school_values, today, tuple(tuple(row) for row in rows), sides)


def school_by_slug(session: Session, slug: str) -> School | None:
    return session.scalar(select(School).where(School.slug == slug))
