"""The confirmation email as the parent's mail server receives it, and its calendar invite."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.filters import format_datetime, format_duration
from clinic.links import booking_for_token
from clinic.models import Booking
from tests.booking.support import book, wait_for_mail
from tests.invites.test_calendar import READERS

SERVICE = "mailto:clinics@example.org"


@pytest.fixture
def booked(client, session, slot, smtp):
    """Alex books through the pages; returns the booking and the email received."""
    assert book(client, slot.id).status_code == 302
    booking = session.scalars(select(Booking)).one()
    (message,) = wait_for_mail(smtp, booking.email)
    return booking, message


def parts(message):
    return [part.get_content_type() for part in message.walk()]


def test_mime_structure_is_an_invite_mail_clients_show(booked):
    booking, message = booked
    assert message["To"] == booking.email
    assert message["X-Envelope-To"] == booking.email  # nobody else gets it
    assert (
        message["Subject"] == f"Your place is booked for {format_datetime(booking.slot.starts_at)}"
    )
    assert parts(message) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    alternative = next(message.iter_parts())
    calendar = [p for p in alternative.iter_parts() if p.get_content_type() == "text/calendar"][0]
    assert calendar.get_param("method") == "REQUEST"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == calendar.get_content().encode()


@pytest.mark.parametrize("reader", READERS.keys())
def test_invite_read_back_by_each_parser(booked, reader):
    booking, message = booked
    (attachment,) = list(message.iter_attachments())
    got = READERS[reader](attachment.get_content())
    assert got["method"] == "REQUEST"
    assert got["tzids"] == ["Europe/London"]
    (event,) = got["events"]
    assert event["uid"] == booking.uid
    assert event["sequence"] == 0
    assert (event["start"], event["end"]) == (booking.slot.starts_at, booking.slot.ends_at)
    assert event["start_tzid"] == "Europe/London"
    assert event["organizer"] == SERVICE
    assert [address for address, _ in event["attendees"]] == [f"mailto:{booking.email}"]
    assert event["attendees"][0][1]["CN"] == "Alex Example"
    assert event["triggers"] == [timedelta(days=-1)]
    assert event["status"] == "CONFIRMED"
    assert booking.reference in event["description"]
    assert "School library" in event["location"]


def test_bodies_say_when_where_what_to_bring_and_how_to_change(app, session, booked):
    booking, message = booked
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "Alex Example" in body
        assert booking.reference in body
        assert booking.clinic.school.name in body and "School library" in body
        assert "Apple ID" in body and "Roblox username" in body and "charged" in body
        assert "Google Family Link" not in body  # not asked about
        assert "cancel" in body
    # The manage link (the others under /booking/ are its calendar file and delete page).
    link = next(word for word in text.split() if re.fullmatch(r"\S+/booking/[^/?]+\?\S+", word))
    assert link.startswith("http://localhost/booking/")
    assert f'href="{link}"' in html
    token = link.rsplit("/", 1)[1].split("?")[0]
    assert link.endswith("?lang=en")  # an English booking opens in English
    assert booking_for_token(session, token).id == booking.id


def test_parents_never_see_each_other(client, app, session, clinic, slot, smtp):
    assert book(client, slot.id).status_code == 302
    other = app.test_client()
    assert (
        book(other, slot.id, parent_name="Sam Sample", email="sam.sample@example.net").status_code
        == 302
    )
    (alex,) = wait_for_mail(smtp, "alex.example@example.net")
    (sam,) = wait_for_mail(smtp, "sam.sample@example.net")
    assert "Sam" not in alex.as_string() and "sam.sample" not in alex.as_string()
    assert "Alex" not in sam.as_string() and "alex.example" not in sam.as_string()
    # Nor the pages: Sam's confirmation shows Sam's booking only.
    page = other.get("/book/confirmation").get_data(as_text=True)
    assert "sam.sample@example.net" in page and "alex.example" not in page


@pytest.mark.parametrize(("minutes", "said"), [(15, "15 minutes"), (45, "45 minutes")])
def test_confirmation_says_how_long_the_booked_slot_is(
    client, session, make, school, officer, smtp, minutes, said
):
    clinic = make.clinic(school, officer, slots=2, length_minutes=minutes)
    assert book(client, clinic.slots[1].id).status_code == 302
    (message,) = wait_for_mail(smtp, "alex.example@example.net")
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,)).get_content()
        assert f"It takes {said}." in body
        assert "15 to 30" not in body


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (1, "1 minute"),
        (15, "15 minutes"),
        (60, "1 hour"),
        (90, "1 hour 30 minutes"),
        (120, "2 hours"),
        (0, "0 minutes"),
    ],
)
def test_duration_in_words(minutes, said):
    assert format_duration(timedelta(minutes=minutes)) == said
