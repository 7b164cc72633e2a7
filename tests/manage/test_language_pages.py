"""Parents' pages in their language (issue 17): the manage page, the move page and the
privacy notice follow ``?lang=``; dates and times are written as Babel writes them for the
language; text staff typed stays English, marked ``lang="en"``; staff pages stay English."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from flask_babel import force_locale, gettext

from .support import manage_path


@pytest.fixture
def december_booking(make, session, school, officer_user):
    """A booking at 3pm (UTC, so 3pm in London too) on 7 December next year."""
    clinic = make.clinic(school, officer_user, slots=2, capacity=1)
    day = date(datetime.now(UTC).year + 1, 12, 7)
    start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
    clinic.date = day
    clinic.booking_closes_at = start - timedelta(hours=24)
    for index, slot in enumerate(clinic.slots):
        slot.starts_at = start + index * timedelta(minutes=15)
        slot.ends_at = slot.starts_at + timedelta(minutes=15)
    session.commit()
    return make.booking(clinic.slots[0], email="ann.parent@example.net", parent_name="Ann")


def test_the_manage_page_in_polish(client, december_booking):
    html = client.get(manage_path(december_booking) + "?lang=pl").get_data(as_text=True)

    assert '<html lang="pl"' in html
    assert "grudnia" in html  # Babel's Polish for "of December"
    assert "15:00" in html and "3pm" not in html
    # What staff typed stays English, and says so to a screen reader.
    assert '<span lang="en" dir="ltr">Parental controls clinic</span>' in html
    assert '<span lang="en" dir="ltr">Oakfield Primary School</span>' in html
    assert '<span lang="en" dir="ltr">School library</span>' in html
    # Never inside the page title.
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<span" not in title and "&lt;span" not in title


def test_the_move_page_in_polish_gives_times_as_polish_writes_them(client, december_booking):
    html = client.get(manage_path(december_booking) + "/move?lang=pl").get_data(as_text=True)

    assert '<html lang="pl"' in html
    assert "15:15" in html and "3:15pm" not in html
    assert "grudnia" in html


def test_the_manage_page_in_english_is_unmarked(client, december_booking):
    html = client.get(manage_path(december_booking)).get_data(as_text=True)

    assert '<html lang="en"' in html
    assert '<span lang="en"' not in html
    assert "December" in html and "3pm to 3:15pm" in html


def test_the_privacy_notice_in_arabic_is_right_to_left(client):
    html = client.get("/privacy?lang=ar").get_data(as_text=True)

    assert '<html lang="ar"' in html
    assert 'dir="rtl"' in html
    assert "dist/app.rtl.css" in html


def test_a_staff_page_stays_english(officer_client, december_booking):
    page = officer_client.get(f"/booking/staff/{december_booking.id}/move?lang=pl")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="en"' in html
    assert "December" in html and "grudnia" not in html
    assert '<span lang="en"' not in html


@pytest.mark.parametrize("page", ["/cancel", "/delete"])
def test_the_other_pages_of_a_booking_in_polish(client, december_booking, page):
    response = client.get(manage_path(december_booking) + page + "?lang=pl")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="pl"' in html
    assert '<span lang="en" dir="ltr">Parental controls clinic</span>' in html


def test_the_waiting_list_page_in_polish(client, full_clinic):
    response = client.get(f"/booking/clinics/{full_clinic.id}/waitlist?lang=pl")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="pl"' in html
    assert '<strong><span lang="en" dir="ltr">Parental controls clinic</span></strong>' in html


def test_the_accessibility_statement_in_welsh(client):
    html = client.get("/accessibility?lang=cy").get_data(as_text=True)

    assert '<html lang="cy"' in html
    # A sentence with a literal percentage, through the Welsh catalogue, whole.
    with force_locale("cy"):
        zoom = gettext(
            "zoom in up to %(zoom)s without the text spilling off the screen", zoom="400%"
        )
    assert "400%" in zoom and zoom in unescape(html) and "zoom in" not in html
