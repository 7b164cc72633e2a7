"""Fixtures for the attendance tests: clinics with bookings, other schools' staff, and
reading PDFs back as text."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.models import AuditEvent, Booking, Slot, normalise_email
from tests.conftest import IN_CI, sign_in


@pytest.fixture
def clinic_on(make, session, school, officer_user):
    """``clinic_on(days_ahead, **fields)``: a clinic on any day, today and past ones too.

    The shared factory sets booking to open a day ago and close a day before the clinic,
    which the database refuses for a clinic today (after 3pm) or in the past; this moves a
    clinic made in two weeks' time instead."""

    def _clinic(days_ahead: int, *, school=school, officer=officer_user, **fields):
        clinic = make.clinic(school, officer, days_ahead=14, **fields)
        shift = timedelta(days=14 - days_ahead)
        clinic.date -= shift
        for slot in clinic.slots:
            slot.starts_at -= shift
            slot.ends_at -= shift
        clinic.booking_opens_at = clinic.slots[0].starts_at - timedelta(days=30)
        clinic.booking_closes_at = clinic.slots[0].starts_at - timedelta(hours=1)
        session.commit()
        return clinic

    return _clinic


@pytest.fixture
def clinic(make, school, officer_user):
    """A published clinic in two weeks: three 15-minute slots of two places each."""
    return make.clinic(school, officer_user, slots=3, capacity=2, venue="School library")


@pytest.fixture
def todays_clinic(clinic_on):
    """A published clinic today (check-in is open): two slots of two places."""
    return clinic_on(0, slots=2, capacity=2)


@pytest.fixture
def other_officer_client(app, make, other_school):
    """An officer who covers another school only."""
    user = make.user(role="officer", email="other.officer@example.org", schools=[other_school])
    return sign_in(app.test_client(), user)


@pytest.fixture
def other_school_client(app, make, other_school):
    """Staff of another school."""
    user = make.user(role="school", email="other.office@example.org", school=other_school)
    return sign_in(app.test_client(), user)


def pdf_text(data: bytes, tmp_path) -> str:
    """The text of a PDF, read back by poppler's pdftotext (an independent PDF reader).

    WeasyPrint writes text with subset fonts, so the words are not searchable in the raw
    file; pdftotext maps the glyphs back through the fonts' ToUnicode tables, as a person
    copying text from a PDF viewer would."""
    if shutil.which("pdftotext") is None:
        message = "reading PDFs back needs pdftotext (apt-get install poppler-utils)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    assert data.startswith(b"%PDF-"), data[:20]
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


def pdf_info(data: bytes, tmp_path) -> dict[str, str]:
    """What poppler's pdfinfo says about a PDF ("Pages", "Page size", "Title"...)."""
    if shutil.which("pdfinfo") is None:
        pytest.skip("reading PDFs back needs pdfinfo (apt-get install poppler-utils)")
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    pairs = (line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def add_bookings(session, clinic, count: int, *, prefix: str = "Parent") -> None:
    """Fill a clinic's slots with ``count`` bookings in one go (bulk, for big lists)."""
    slots = list(session.scalars(select(Slot).where(Slot.clinic_id == clinic.id)))
    per_slot = -(-count // len(slots))
    for slot in slots:
        slot.capacity = max(slot.capacity, per_slot)
    bookings = []
    for n in range(count):
        slot = slots[n % len(slots)]
        slot.booked += 1
        email = f"{prefix.lower()}{n}@example.net"
        bookings.append(
            Booking(
                reference=f"{prefix[:2].upper()}{clinic.id:03d}{n:05d}",
                clinic_id=clinic.id,
                slot_id=slot.id,
                parent_name=f"{prefix} {n:04d}",
                email=email,
                email_normalised=normalise_email(email),
                phone="+447700900123",
                child_years=["Year 3", "Year 5"],
                topics=["roblox", "tiktok", "other"],
                other_topic="Fortnite",
                access_needs="Step-free access" if n % 10 == 0 else None,
                consent_at=datetime.now(UTC),
                consent_version="2026-11",
            )
        )
    session.add_all(bookings)
    session.commit()


def audit_events(session, action: str) -> list[AuditEvent]:
    session.commit()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )
