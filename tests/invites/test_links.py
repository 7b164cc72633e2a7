""" "Add to Google Calendar" and "Add to Outlook" links (clinic.invites.links): the
documented formats, every value encoded, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from clinic.invites.links import calendar_links

START = datetime(2025, 3, 30, 17, 0, tzinfo=timezone(timedelta(hours=1)))  # 16:00 UTC
END = START + timedelta(minutes=20)
TITLE = "Parental controls clinic – St Mary's & St John's C of E"
PLACE = "Hall, St Mary's & St John's, 1 High St, Town, AB1 2CD"
DETAILS = "Parental controls clinic at St Mary's & St John's. 100% free?"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)


def test_the_google_link_is_googles_template_with_utc_times():
    url = calendar_links(
        title=TITLE, starts_at=START, ends_at=END, location=PLACE, details=DETAILS
    ).google
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    assert query(url) == {
        "action": ["TEMPLATE"],
        "text": [TITLE],
        "dates": ["20250330T160000Z/20250330T162000Z"],
        "location": [PLACE],
        "details": [DETAILS],
    }


def test_the_outlook_link_is_outlooks_compose_with_iso_times():
    url = calendar_links(
        title=TITLE, starts_at=START, ends_at=END, location=PLACE, details=DETAILS
    ).outlook
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "outlook.live.com",
        "/calendar/0/action/compose",
    )
    got = query(url)
    assert got == {
        "rru": ["addevent"],
        "subject": [TITLE],
        "startdt": ["2025-03-30T16:00:00Z"],
        "enddt": ["2025-03-30T16:20:00Z"],
        "location": [PLACE],
        "body": [DETAILS],
    }
    assert datetime.fromisoformat(got["startdt"][0]) == START


def test_every_value_is_encoded_and_no_plus_for_spaces():
    links = calendar_links(title=TITLE, starts_at=START, ends_at=END, location=PLACE)
    for url in (links.google, links.outlook):
        assert "+" not in url and " " not in url and "'" not in url
        assert "%26" in url  # the ampersand in the title is a value, not a new field
        assert "%E2%80%93" in url  # the en dash, as UTF-8
        assert "details" not in query(url) and "body" not in query(url)  # empty: left out


def test_times_must_be_aware_and_in_order():
    with pytest.raises(ValueError):
        calendar_links(title=TITLE, starts_at=START.replace(tzinfo=None), ends_at=END, location="")
    with pytest.raises(ValueError):
        calendar_links(title=TITLE, starts_at=END, ends_at=START, location="")
    utc = calendar_links(title=TITLE, starts_at=START.astimezone(UTC), ends_at=END, location=PLACE)
    assert utc == calendar_links(title=TITLE, starts_at=START, ends_at=END, location=PLACE)
