"""Abuse is stopped by what a bot reuses (one email, one browser session, the honeypot)
while 200 households booking from one shared address all get their places; the 429 page
says what happened in plain words."""

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
    assert "Nothing has been booked" in response.get_data(as_text=True)
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


def test_two_hundred_households_from_one_address_all_book(app, session, make, school, officer):
    """A school's rush: every family on the school's Wi-Fi (one address), each in its own
    browser, with the limits as they come."""
    app.config["OUTBOX_SEND_MODE"] = "off"  # the emails are not what this test is about
    clinics = [
        make.clinic(school, officer, slots=25, capacity=4, days_ahead=10 + n) for n in (0, 1)
    ]
    slots = [slot for clinic in clinics for slot in clinic.slots]
    refused = []
    for n in range(200):
        response = book(app.test_client(), slots[n // 4].id, email=f"family{n}@example.net")
        if response.status_code != 302 or "/book/confirmation" not in response.headers["Location"]:
            refused.append((n, response.status_code))
    assert refused == []
    assert bookings(session) == 200


def test_many_bookings_for_one_email_are_stopped(app, session, make, school, officer):
    """Limits as they come: one household books one place per clinic, so an eleventh
    booking within the hour for one address is a bot, whichever browsers it uses."""
    clinics = [make.clinic(school, officer, slots=1, days_ahead=10 + n) for n in range(11)]
    statuses = [book(app.test_client(), clinic.slots[0].id).status_code for clinic in clinics]
    assert statuses == [302] * 10 + [429]
    assert bookings(session) == 10


def test_many_emails_from_one_session_are_stopped(app, session, make, school, officer):
    """Limits as they come: a script that keeps its cookie is one browser, whatever emails
    it types (each booking is two posts: Continue and Confirm)."""
    clinic = make.clinic(school, officer, slots=20, capacity=1)
    bot = app.test_client()
    statuses = [
        book(bot, slot.id, email=f"fake{n}@example.net").status_code
        for n, slot in enumerate(clinic.slots[:10])
    ]
    assert statuses == [302] * 10
    refused = fill_form(bot, clinic.slots[10].id, email="fake10@example.net")
    assert refused.status_code == 429
    assert "computer programs" in refused.get_data(as_text=True)
    assert bookings(session) == 10
    # A family in another browser at the same address books as usual.
    assert book(app.test_client(), clinic.slots[11].id).status_code == 302


def test_filling_the_honeypot_uses_up_the_session(app, session, slot):
    bot = app.test_client()
    page = bot.get(f"/book/{slot.id}")
    trapped = bot.post(
        f"/book/{slot.id}",
        data={**ANSWERS, "website": "http://spam.example", "csrf_token": csrf_token(page)},
    )
    assert trapped.status_code == 400
    # Its next post, honeypot or not, is refused; another browser is not.
    assert fill_form(bot, slot.id).status_code == 429
    assert book(app.test_client(), slot.id).status_code == 302
    assert bookings(session) == 1


def test_the_waiting_list_is_limited_per_session_not_per_address(app, session, full_clinic):
    from clinic.models import WaitlistEntry
    from tests.manage.support import post_with_token
    from tests.waitlist.test_waitlist import FORM

    path = f"/booking/clinics/{full_clinic.id}/waitlist"
    families = [
        post_with_token(app.test_client(), path, data={**FORM, "email": f"f{n}@example.net"})
        for n in range(15)
    ]
    assert [r.status_code for r in families] == [302] * 15  # 15 families on one address
    bot = app.test_client()
    statuses = [
        post_with_token(bot, path, data={**FORM, "email": f"bot{n}@example.net"}).status_code
        for n in range(11)
    ]
    assert statuses == [302] * 10 + [429]
    session.commit()
    assert session.scalar(select(func.count()).select_from(WaitlistEntry)) == 25


def test_every_limit_is_on_form_posts_only(app):
    """Requests of other methods skip the limiter (``clinic.extensions._not_a_form_post``):
    a limit on another method would never count, so none may exist."""
    from clinic.extensions import LIMITED_METHODS, limiter

    manager = limiter.limit_manager
    limits = [limit for group in manager._decorated_limits.values() for limit in group]
    limits += [limit for group in manager._blueprint_limits.values() for limit in group]
    assert limits, "the app's limits were not found where Flask-Limiter keeps them"
    assert not manager.default_limits and not manager.application_limits
    for limit in limits:
        assert limit.methods and {m.upper() for m in limit.methods} <= LIMITED_METHODS, limit


def test_only_form_posts_go_through_the_limiter(app, client, slot):
    """``extensions.init_limiter``: Flask-Limiter's check and its headers run for a form
    post and skip every other request (a page read is never limited)."""
    app.config["BOOKING_LIMIT_PER_ADDRESS"] = "1 per hour"
    for _ in range(3):  # above the limit, and still answered
        page = client.get(f"/book/{slot.id}")
        assert page.status_code == 200
        assert "X-RateLimit-Limit" not in page.headers
    posted = fill_form(client, slot.id)
    assert posted.status_code == 302
    assert "X-RateLimit-Limit" in posted.headers  # the check ran, and said so
    assert fill_form(app.test_client(), slot.id, email="p2@example.net").status_code == 429
