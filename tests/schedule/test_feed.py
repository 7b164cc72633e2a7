"""The officer's private calendar feed: issued, served without sign-in, revoked."""

from datetime import timedelta

import icalendar
import pytest

from clinic.models import User
from clinic.schedule import service
from tests.invites.test_calendar import read_icalendar, read_icaljs

from .conftest import post_page

FEED_PAGE = "/staff/clinics/calendar-feed"


def moved_back(session, clinic, days: int):
    """The clinic as if it had happened ``days`` ago (the factory makes future clinics)."""
    clinic.date -= timedelta(days=days)
    for slot in clinic.slots:
        slot.starts_at -= timedelta(days=days)
        slot.ends_at -= timedelta(days=days)
    clinic.booking_opens_at -= timedelta(days=days + 30)
    clinic.booking_closes_at -= timedelta(days=days)
    session.commit()
    return clinic


def issue(officer_client) -> str:
    response = post_page(officer_client, f"{FEED_PAGE}/new", {}, page_url=FEED_PAGE)
    assert response.status_code == 302
    html = officer_client.get(FEED_PAGE).get_data(as_text=True)
    (path,) = {
        line.split("http://localhost", 1)[1].split("<", 1)[0]
        for line in html.splitlines()
        if "http://localhost/staff/clinics/feed/" in line
    }
    assert "webcal://localhost/staff/clinics/feed/" in html
    return path


def test_the_feed_page_makes_a_private_address(officer_client, officer_user, session):
    assert "Make my calendar address" in officer_client.get(FEED_PAGE).get_data(as_text=True)
    path = issue(officer_client)
    session.expire_all()
    token = session.get(User, officer_user.id).calendar_token
    assert path == f"/staff/clinics/feed/{token}.ics"
    assert len(token) >= 43  # secrets.token_urlsafe(32)


def test_the_feed_has_the_officers_clinics_and_no_parents(
    app, officer_client, officer_user, school, make, session
):
    published = make.clinic(school, officer_user, slots=4)
    make.booking(published.slots[0], parent_name="Ann Parent", email="ann@example.net")
    cancelled = make.clinic(school, officer_user, days_ahead=20)
    service.cancel_clinic(
        session, officer_user, cancelled, "Unwell", expected_version=cancelled.version
    )
    session.commit()
    draft = make.clinic(school, officer_user, status="draft", days_ahead=21)
    recent = moved_back(session, make.clinic(school, officer_user, days_ahead=1), 11)
    old = moved_back(session, make.clinic(school, officer_user, days_ahead=1), 41)
    colleague = make.user(role="officer", schools=[school])
    theirs = make.clinic(school, colleague, days_ahead=15)
    path = issue(officer_client)

    response = app.test_client().get(path)  # no sign-in
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("private")
    data = response.data
    assert b"Ann Parent" not in data and b"ann@example.net" not in data
    assert b"ATTENDEE" not in data

    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == f"Clinics – {officer_user.name}"
    assert "REFRESH-INTERVAL" in cal and str(cal["METHOD"]) == "PUBLISH"
    assert [str(tz["TZID"]) for tz in cal.timezones] == ["Europe/London"]
    for parsed in (read_icalendar(data), read_icaljs(data)):
        events = {event["uid"]: event for event in parsed["events"]}
        assert set(events) == {published.uid, cancelled.uid, recent.uid}
        assert draft.uid not in events and old.uid not in events and theirs.uid not in events
        event = events[published.uid]
        assert event["start"] == published.slots[0].starts_at
        assert event["end"] == published.slots[-1].ends_at
        assert event["sequence"] == published.sequence
        assert "Places booked: 1 of 4" in event["description"]
        assert f"Clinic page: http://localhost/staff/clinics/{published.id}" in event["description"]
        assert "Attendance list" not in event["description"]  # the link opens the clinic page
        assert school.name in event["location"] and "School library" in event["location"]
        assert event["start_tzid"] == "Europe/London"
        assert events[cancelled.uid]["status"] == "CANCELLED"
        assert events[published.uid]["status"] == "CONFIRMED"


def test_turning_off_and_making_a_new_address(app, officer_client, session, officer_user):
    first = issue(officer_client)
    visitor = app.test_client()
    assert visitor.get(first).status_code == 200

    second = issue(officer_client)  # a new address: the old one stops
    assert second != first
    assert visitor.get(first).status_code == 404
    assert visitor.get(second).status_code == 200

    response = post_page(officer_client, f"{FEED_PAGE}/turn-off", {}, page_url=FEED_PAGE)
    assert response.status_code == 302
    assert visitor.get(second).status_code == 404
    session.expire_all()
    assert session.get(User, officer_user.id).calendar_token is None
    assert "Make my calendar address" in officer_client.get(FEED_PAGE).get_data(as_text=True)


@pytest.mark.parametrize("token", ["nope", "x" * 43, ""])
def test_unknown_addresses_are_not_found(client, token):
    assert client.get(f"/staff/clinics/feed/{token}.ics").status_code == 404


def test_a_deactivated_officers_feed_stops(app, officer_client, officer_user, session):
    path = issue(officer_client)
    officer_user.active = False
    session.commit()
    assert app.test_client().get(path).status_code == 404


def test_the_feed_address_is_changed_only_by_a_button(officer_client, officer_user, session):
    officer_client.get(f"{FEED_PAGE}/new")
    officer_client.get(f"{FEED_PAGE}/turn-off")
    session.expire_all()
    assert session.get(User, officer_user.id).calendar_token is None


@pytest.mark.parametrize("who", ["school_client", "admin_client"])
def test_only_officers_have_a_feed_page(app, request, who):
    assert request.getfixturevalue(who).get(FEED_PAGE).status_code == 404


def test_the_feed_is_built_once_until_something_in_it_changes(
    app, officer_client, officer_user, school, make, session
):
    published = make.clinic(school, officer_user, slots=2, capacity=3)
    path = issue(officer_client)
    feed = app.test_client()

    first = feed.get(path).data
    assert feed.get(path).data == first  # the same bytes, built once by this worker
    assert b"Places booked: 0 of 6" in first.replace(b"\r\n ", b"")

    make.booking(published.slots[1])
    again = feed.get(path).data.replace(b"\r\n ", b"")
    assert b"Places booked: 1 of 6" in again

    published.title = "Evening clinic"
    session.commit()
    assert b"Evening clinic" in feed.get(path).data
