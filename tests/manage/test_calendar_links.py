"""The confirmation, move and reminder emails and the booking page offer "Add to Google
Calendar", "Add to Outlook" and the calendar file beside the invite (Gmail hides invites
from senders a parent has never written to).  The Google and Outlook links carry the
title, time and place only: never the parent's name, email address, reference or link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

import icalendar
import pytest

from clinic.booking import reminders
from clinic.links import manage_token
from clinic.manage import service as manage
from clinic.models import utcnow
from clinic.notices import place_of

from .support import LINK, manage_path

# A household whose every detail is easy to spot in a URL.
WHO = {"parent_name": "Zebedee Quarrington", "email": "zebedee.quarrington@example.net"}
GOOGLE = "https://calendar.google.com/calendar/render?"
OUTLOOK = "https://outlook.live.com/calendar/0/action/compose?"


def bodies(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def calendar_links(body: str) -> dict[str, str]:
    """The three links in a body (text, or HTML with its &amp; undone)."""
    found = {}
    for link in (unescape(link) for link in LINK.findall(body)):
        if link.startswith(GOOGLE):
            found.setdefault("google", link)
        elif link.startswith(OUTLOOK):
            found.setdefault("outlook", link)
        elif urlsplit(link).path.endswith("/invite.ics"):
            found.setdefault("ics", link)
    return found


def query(url: str) -> dict[str, str]:
    return {key: value for key, (value,) in parse_qs(urlsplit(url).query).items()}


def assert_links_for(booking, links: dict[str, str]) -> None:
    assert set(links) == {"google", "outlook", "ics"}
    slot, clinic = booking.slot, booking.clinic
    title = f"{clinic.title} – {clinic.school.name}"
    where = place_of(clinic).one_line()
    google, outlook = query(links["google"]), query(links["outlook"])
    assert google["action"] == "TEMPLATE"
    assert google["text"] == outlook["subject"] == title
    assert google["location"] == outlook["location"] == where
    assert google["dates"] == f"{slot.starts_at:%Y%m%dT%H%M%SZ}/{slot.ends_at:%Y%m%dT%H%M%SZ}"
    assert outlook["rru"] == "addevent"
    assert datetime.fromisoformat(outlook["startdt"]) == slot.starts_at
    assert datetime.fromisoformat(outlook["enddt"]) == slot.ends_at
    assert set(google) == {"action", "text", "dates", "location", "details"}
    assert set(outlook) == {"rru", "subject", "startdt", "enddt", "location", "body"}
    personal = [
        booking.parent_name,
        *booking.parent_name.split(),
        booking.email,
        booking.email.split("@")[0],
        booking.reference,
        manage_token(booking),
        booking.uid.split("@")[0],
        "/booking/",
    ]
    for url in (links["google"], links["outlook"]):
        for shown in (url, unquote(url)):
            for item in personal:
                assert item.lower() not in shown.lower(), (item, url)
    # The calendar file is the parent's own link, and downloads their event.
    assert manage_token(booking) in links["ics"]
    assert parse_qs(urlsplit(links["ics"]).query)["lang"] == [booking.language]


def download(client, url: str):
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(response.data).walk("VEVENT")
    return event


def assert_email_has_links(client, booking, message) -> None:
    text, html = bodies(message)
    from_text, from_html = calendar_links(text), calendar_links(html)
    assert from_text == from_html
    assert_links_for(booking, from_text)
    for label in ("Add to Google Calendar", "Add to Outlook", "Download the calendar file (.ics)"):
        assert label in text and label in html
    event = download(client, from_text["ics"])
    assert str(event["UID"]) == booking.uid
    assert event.decoded("DTSTART") == booking.slot.starts_at


def test_the_confirmation_offers_the_three_links(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0], **WHO)
    (message,) = smtp.to(booking.email)
    assert_email_has_links(client, booking, message)


def test_the_move_email_offers_links_for_the_new_time(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0], **WHO)
    manage.move_booking(session, booking, clinic.slots[2].id, actor="parent")
    session.commit()
    session.refresh(booking)
    moved = smtp.to(booking.email)[-1]
    assert "moved" in moved["Subject"].lower()
    assert_email_has_links(client, booking, moved)
    assert booking.slot_id == clinic.slots[2].id


def test_the_reminder_offers_the_links(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0], **WHO)
    assert reminders.send_reminder(session, booking.id, now=utcnow())
    session.commit()
    reminder = smtp.to(booking.email)[-1]
    assert reminder["Subject"].startswith("Reminder:")
    assert_email_has_links(client, booking, reminder)


def test_the_cancellation_offers_no_links(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0], **WHO)
    manage.cancel_booking(session, booking, actor="parent")
    session.commit()
    text, html = bodies(smtp.to(booking.email)[-1])
    assert calendar_links(text) == calendar_links(html) == {}
    assert "Add to Google Calendar" not in text


def test_the_booking_page_offers_the_same_links(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0], **WHO)
    (message,) = smtp.to(booking.email)
    html = client.get(manage_path(booking)).get_data(as_text=True)
    on_page = calendar_links(html)
    emailed = calendar_links(bodies(message)[0])
    assert on_page["google"] == emailed["google"]
    assert on_page["outlook"] == emailed["outlook"]
    # On the page the file is a relative link with a download name.
    (ics,) = re.findall(r'href="([^"]+/invite\.ics)" download="clinic-[A-Z0-9]+\.ics"', html)
    assert ics == f"{manage_path(booking)}/invite.ics"
    for label in ("Add to Google Calendar", "Add to Outlook", "Download the calendar file (.ics)"):
        assert label in unescape(html)
    assert_links_for(booking, {**on_page, "ics": emailed["ics"]})
    event = download(client, ics + "?lang=en")
    assert str(event["UID"]) == booking.uid


@pytest.mark.parametrize("state", ["cancelled", "past"])
def test_a_cancelled_or_past_booking_page_offers_no_links(client, session, clinic, book, state):
    booking = book(clinic.slots[0], **WHO)
    if state == "cancelled":
        manage.cancel_booking(session, booking, actor="parent")
    else:
        for slot in clinic.slots:
            slot.starts_at -= timedelta(days=60)
            slot.ends_at -= timedelta(days=60)
        clinic.date -= timedelta(days=60)
    session.commit()
    html = client.get(manage_path(booking)).get_data(as_text=True)
    assert "Add to Google Calendar" not in html and "calendar.google.com" not in html
