"""Abuse: bursts from one address or to one email address get the 429 page; the honeypot."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from clinic.models import Booking
from tests.booking.support import ANSWERS, book, fill_form
from tests.helpers import csrf_token


def bookings(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(Booking))


def test_burst_from_one_address_is_refused(app, client, session, clinic, slot):
    app.config["BOOKING_LIMIT_PER_ADDRESS"] = "3 per hour"
    assert book(client, slot.id).status_code == 302  # Continue and Confirm: two
    # (another time: this browser's own slot would show its booking instead of the form)
    another = clinic.slots[1].id
    assert fill_form(client, another, email="p1@example.net").status_code == 302  # three
    response = fill_form(app.test_client(), slot.id, email="p2@example.net")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    assert client.get(f"/book/{slot.id}").status_code == 200  # reading is never limited
    assert bookings(session) == 1


def test_burst_to_one_email_address_is_refused(app, session, make, school, officer):
    app.config["BOOKING_LIMIT_PER_EMAIL"] = "2 per hour"
    clinics = [make.clinic(school, officer, days_ahead=10 + n) for n in range(3)]
    for clinic in clinics[:2]:
        assert book(app.test_client(), clinic.slots[0].id).status_code == 302
    client = app.test_client()  # as if from another browser
    response = book(client, clinics[2].slots[0].id)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert bookings(session) == 2
    # Someone else is not held up by it.
    other = book(app.test_client(), clinics[2].slots[0].id, email="sam@example.net")
    assert other.status_code == 302


def test_honeypot_books_nothing(client, session, slot, smtp):
    page = client.get(f"/book/{slot.id}")
    assert 'name="website"' in page.get_data(as_text=True)
    response = client.post(
        f"/book/{slot.id}",
        data={**ANSWERS, "website": "http://spam.example", "csrf_token": csrf_token(page)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Sorry, we could not take this booking" in html and "Nothing has been booked" in html
    assert client.get(f"/book/{slot.id}/check").status_code == 302  # no answers were kept
    assert bookings(session) == 0
    assert smtp.messages == []


def test_honeypot_is_hidden_from_people(client, slot):
    """In a ``hidden`` box: not shown, not focusable, not read out by screen readers."""
    html = client.get(f"/book/{slot.id}").get_data(as_text=True)
    hidden = re.search(r"<div hidden>(.*?)</div>\s*</div>", html, re.S)
    assert hidden and 'name="website"' in hidden.group(1)
    assert html.count('name="website"') == 1
