"""Fixtures: a published clinic of four 15-minute slots, one household each."""

import pytest

from clinic.booking.service import book_place

DETAILS = {
    "parent_name": "Ann Parent",
    "email": "ann.parent@example.net",
    "phone": None,
    "child_years": ["Year 4"],
    "topics": ["roblox", "youtube"],
    "other_topic": None,
    "access_needs": None,
}


@pytest.fixture
def clinic(make, school, officer_user):
    return make.clinic(school, officer_user, slots=4, capacity=1)


@pytest.fixture
def booking(make, clinic):
    return make.booking(clinic.slots[0], email="ann.parent@example.net", parent_name="Ann Parent")


@pytest.fixture
def book(session):
    """Book through the booking service (as the form does), confirmation email and all."""

    def _book(slot, **changes):
        details = {**DETAILS, **changes}
        made = book_place(
            session, slot_id=slot.id, details=details, submission_id=f"test-{details['email']}"
        )
        session.commit()
        return made

    return _book
