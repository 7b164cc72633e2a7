"""The school finder and each school's public pages: clinics, states, short link, poster."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from clinic.booking.finder import find_schools
from tests.booking.conftest import move_back
from tests.booking.support import times


@pytest.fixture
def schools(make, session):
    """Three schools; only Riverside has a clinic coming up."""
    officer = make.user(role="officer")
    oak = make.school("Oakfield Primary School", town="Exampleton", postcode="EX1 4AB")
    brigid = make.school("St Brigid's Catholic Primary", town="Sampleford", postcode="SF2 7CD")
    river = make.school("Riverside Academy", town="Exampleton", postcode="EX9 9EF")
    make.clinic(river, officer)
    move_back(session, make.clinic(oak, officer, days_ahead=1), 8)  # over: not coming up
    return oak, brigid, river


def names(response) -> list[str]:
    return re.findall(
        r'<a class="govuk-link govuk-!-font-weight-bold" href="[^"]+">([^<]+)</a>',
        response.get_data(as_text=True),
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("oakfield", ["Oakfield Primary School"]),
        ("  BRIGID  ", ["St Brigid&#39;s Catholic Primary"]),
        ("exampleton", ["Riverside Academy", "Oakfield Primary School"]),  # clinic first
        ("ex14ab", ["Oakfield Primary School"]),  # postcode without its space
        ("ex1 4ab", ["Oakfield Primary School"]),
        ("sf2", ["St Brigid&#39;s Catholic Primary"]),
        ("primary", ["Oakfield Primary School", "St Brigid&#39;s Catholic Primary"]),
    ],
)
def test_find_by_name_town_or_postcode(client, schools, query, expected):
    response = client.get("/schools", query_string={"q": query})
    assert response.status_code == 200
    assert names(response) == expected


def test_schools_with_a_clinic_coming_up_say_when(client, schools):
    html = client.get("/schools?q=exampleton").get_data(as_text=True)
    assert "Next clinic:" in html and "No clinic booked yet" in html


def test_no_match_and_no_query(client, schools):
    html = client.get("/schools?q=nowhere").get_data(as_text=True)
    assert "No schools match" in html and "Check the spelling" in html
    empty = client.get("/schools").get_data(as_text=True)
    assert "Find your child's school" in empty and "No schools match" not in empty


def test_wildcards_are_plain_characters(session, schools):
    today = datetime.now(UTC).date()
    assert find_schools(session, "%", today=today) == []
    assert find_schools(session, "_", today=today) == []


def test_start_page_explains_and_searches(client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/schools"' in html and 'name="q"' in html
    for words in ("What to bring", "Apple ID", "Google Family Link"):
        assert words in html
    # Group sessions take an hour and officers choose any length: no fixed length is claimed.
    assert "15 to 30" not in html and "minutes" not in html
    assert "the times on your school's page show how long each one takes" in unescape(html)


# --- the school page -----------------------------------------------------------------


def page(client, school) -> str:
    response = client.get(f"/schools/{school.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_school_page_lists_times_and_places_left(client, make, school, clinic):
    make.booking(clinic.slots[1])
    html = page(client, school)
    assert clinic.venue in html
    assert times(clinic.slots[0]) in html and times(clinic.slots[3]) in html
    places = re.findall(r'<td class="govuk-table__cell">\s*(\d+)\s*</td>', html)
    assert places == ["2", "1", "2", "2"]
    assert f'href="/book/{clinic.slots[0].id}"' in html


def test_full_slot_says_full_and_has_no_book_link(client, make, school, clinic):
    full = clinic.slots[0]
    make.booking(full)
    make.booking(full)
    html = page(client, school)
    assert "Full" in html
    assert f'href="/book/{full.id}"' not in html
    assert f'href="/book/{clinic.slots[1].id}"' in html


def test_full_clinic_offers_the_waiting_list(app, client, make, school, officer):
    clinic = make.clinic(school, officer, slots=2, capacity=1)
    for slot in clinic.slots:
        make.booking(slot)
    html = page(client, school)
    assert "All places at this clinic are taken" in html
    assert "/book/" not in html
    assert f'href="/booking/clinics/{clinic.id}/waitlist"' in html
    assert "Join the waiting list" in html


def test_closed_and_not_yet_open_clinics_say_so(client, session, school, officer, make):
    now = datetime.now(UTC)
    closed = make.clinic(school, officer, days_ahead=3)
    closed.booking_closes_at = now - timedelta(hours=1)
    later = make.clinic(school, officer, days_ahead=30)
    later.booking_opens_at = now + timedelta(days=7)
    session.commit()
    html = page(client, school)
    assert "Booking for this clinic has closed" in html
    assert "Booking opens on" in html
    assert "/book/" not in html


def test_only_published_upcoming_clinics_are_listed(client, make, school, officer, past_clinic):
    draft = make.clinic(school, officer, status="draft", title="Secret draft clinic")
    cancelled = make.clinic(school, officer, status="cancelled", title="Called-off clinic")
    html = page(client, school)
    for clinic in (draft, cancelled, past_clinic):
        assert clinic.title not in html
    assert "There are no clinics to book at this school" in html


def test_other_schools_clinics_are_not_listed(client, make, school, other_school, officer):
    make.clinic(other_school, officer, title="Hillside clinic")
    assert "Hillside clinic" not in page(client, school)


def test_unknown_school_is_not_found(client):
    assert client.get("/schools/no-such-school").status_code == 404
    assert client.get("/s/no-such-school").status_code == 404
    assert client.get("/schools/no-such-school/poster").status_code == 404


def test_short_link_goes_to_the_school_page(client, school):
    response = client.get(f"/s/{school.slug}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/schools/{school.slug}")


def test_poster_has_a_qr_code_for_the_short_link(client, school, clinic):
    html = client.get(f"/schools/{school.slug}/poster").get_data(as_text=True)
    link = f"http://localhost/s/{school.slug}"
    assert link in html
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and f'aria-label="QR code for {link}"' in svg
    assert "<path" in svg and "viewBox" in svg
    # The print stylesheet: a static file the page links (the CSP allows no inline style).
    sheet = re.search(r'<link rel="stylesheet" href="(/static/css/poster\.css)">', html)
    assert sheet, "the poster links no stylesheet of its own"
    assert "size: A4" in client.get(sheet.group(1)).get_data(as_text=True)
    assert "Parental controls clinic" in html


def test_the_poster_says_how_long_this_schools_appointments_take(
    client, make, session, school, officer_user
):
    """What is true for this school's published clinics: one length, or the range."""
    poster = f"/schools/{school.slug}/poster"
    html = client.get(poster).get_data(as_text=True)
    assert "15 to 30" not in html and "appointment" not in html.lower()  # no clinics yet
    make.clinic(school, officer_user, slots=2, length_minutes=20)
    make.clinic(school, officer_user, days_ahead=20, status="draft", length_minutes=90)
    html = client.get(poster).get_data(as_text=True)
    assert "Each appointment takes 20 minutes." in html and "15 to 30" not in html
    make.clinic(school, officer_user, days_ahead=21, slots=1, capacity=20, length_minutes=60)
    html = client.get(poster).get_data(as_text=True)
    assert "Appointments take from 20 minutes to 1 hour." in html
    assert "1 hour 30 minutes" not in html  # the draft is not the school's to advertise
    polish = client.get(poster + "?lang=pl").get_data(as_text=True)
    assert "20 minut" in polish and "1 godzina" in polish
