"""A venue typed with a full stop ("Hall, by reception.") reads right wherever it is joined
to other text: pages, the sign-in sheet, the check-in page, emails and invites alike."""

from __future__ import annotations

import pytest

from clinic.invites.events import Place
from clinic.text import joined, sentence
from tests.booking.support import book

VENUE = "Hall, by\nreception."


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([VENUE, "Oakfield Primary School"], "Hall, by reception, Oakfield Primary School"),
        (["Library...", " ", None, "Oakfield"], "Library, Oakfield"),
        (["", None], ""),
        (["Room 4", "Oakfield"], "Room 4, Oakfield"),
        (["Is it the hall?", "Oakfield"], "Is it the hall?, Oakfield"),
    ],
)
def test_joined_drops_blanks_line_breaks_and_the_full_stop_a_piece_ended_with(parts, expected):
    assert joined(parts) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VENUE, "Hall, by reception."),
        ("Hall", "Hall."),
        ("Which door?", "Which door?"),
        ("  ", ""),
        (None, ""),
    ],
)
def test_sentence_ends_with_one_full_stop(text, expected):
    assert sentence(text) == expected


def test_the_invite_location_is_joined_the_same_way():
    place = Place(school_name="Oakfield Primary School", venue=VENUE, postcode="EX1 1AA")
    assert place.one_line() == "Hall, by reception, Oakfield Primary School, EX1 1AA"


def test_venue_with_a_full_stop_reads_right_on_every_page(client, officer_client, make, clinic_on):
    coming = clinic_on(14, slots=2, capacity=2, venue=VENUE)
    assert book(client, coming.slots[1].id).status_code == 302
    clinic = clinic_on(0, slots=2, capacity=2, venue=VENUE)  # today: check-in is open
    make.booking(clinic.slots[0])
    pages = {
        "confirmation": client.get("/book/confirmation"),
        "list and sign-in sheet": officer_client.get(f"/staff/attendance/clinics/{clinic.id}"),
        "check-in": officer_client.get(f"/staff/attendance/clinics/{clinic.id}/check-in"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "reception.," not in html and "reception.." not in html, name
    assert "Hall, by reception, Oakfield Primary School" in pages["confirmation"].get_data(
        as_text=True
    )
    assert "Venue: Hall, by reception. Officer:" in pages["list and sign-in sheet"].get_data(
        as_text=True
    )
    assert "Hall, by reception.</p>" in pages["check-in"].get_data(as_text=True)
