"""Fixtures for the booking tests: a clinic parents can book, and their answers."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def officer(make, school):
    return make.user(
        role="officer", email="pc.jones@example.org", name="PC Jones", schools=[school]
    )


@pytest.fixture
def clinic(make, school, officer):
    """A published clinic in two weeks, booking open: four 15-minute slots of two places."""
    return make.clinic(school, officer, slots=4, capacity=2)


@pytest.fixture
def slot(clinic):
    return clinic.slots[0]


def move_back(session, clinic, days: int):
    """Move a clinic (its date, times and booking window) ``days`` earlier; the factory
    only makes clinics whose booking window is still ahead of them."""
    shift = timedelta(days=days)
    clinic.date -= shift
    clinic.booking_opens_at -= shift
    clinic.booking_closes_at -= shift
    for slot in clinic.slots:
        slot.starts_at -= shift
        slot.ends_at -= shift
    session.commit()
    return clinic


@pytest.fixture
def past_clinic(make, session, school, officer):
    """A published clinic that happened yesterday."""
    return move_back(
        session, make.clinic(school, officer, days_ahead=1, title="Yesterday's clinic"), 2
    )
