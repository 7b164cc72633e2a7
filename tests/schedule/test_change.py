"""Changing a clinic or a slot that households have booked: who is told, and what they get."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.filters import format_date, format_time
from clinic.models import Booking, Clinic, OutboxMessage, Slot
from tests.invites.test_calendar import read_icalendar, read_icaljs

from .conftest import (
    LONDON,
    actions,
    date_parts,
    field_error,
    invite_of,
    post_page,
    text_of,
    wait_for_mail,
)


@pytest.fixture
def booked(make, clinic):
    """Two households in the first two slots, and a cancelled booking that is told nothing."""
    first = make.booking(clinic.slots[0], parent_name="Ann Parent", email="ann@example.net")
    second = make.booking(clinic.slots[1], parent_name="Bo Carer", email="bo@example.net")
    make.booking(
        clinic.slots[2], parent_name="Gone Away", email="gone@example.net", status="cancelled"
    )
    return first, second


def edit_form(clinic, **changes) -> dict:
    data = {
        "version": str(clinic.version),
        "title": clinic.title,
        "description": clinic.description,
        "venue": clinic.venue,
        "date": date_parts(clinic.date),
    }
    return data | changes


def invites(message) -> list[dict]:
    data = invite_of(message)
    return [read_icalendar(data), read_icaljs(data)]


def test_moving_the_date_asks_first_then_tells_each_booked_household(
    officer_client, clinic, booked, session, smtp
):
    ann, bo = booked
    old_date, old_sequence, clinic_sequence = clinic.date, ann.sequence, clinic.sequence
    new_date = old_date + timedelta(days=7)
    url = f"/staff/clinics/{clinic.id}/edit"
    # (a weekend or bank holiday would warn first: not what this test is about)
    form = edit_form(clinic, date=date_parts(new_date), venue="Main hall", allow_closed_day="y")

    asked = post_page(officer_client, url, form)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "2 households will be emailed" in html
    assert "Ann Parent (reference " in html and "Bo Carer (reference " in html
    assert "Gone Away" not in html
    expected_date = f"The date has changed from {format_date(old_date)} to {format_date(new_date)}"
    assert expected_date in html
    session.expire_all()
    assert session.get(Clinic, clinic.id).date == old_date  # nothing saved yet
    assert smtp.messages == []

    confirmed = post_page(officer_client, url, form | {"confirmed": "yes"})
    assert confirmed.status_code == 302
    page = officer_client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "We have emailed 2 booked households an updated calendar invite" in page

    session.expire_all()
    clinic = session.get(Clinic, clinic.id)
    assert clinic.date == new_date and clinic.venue == "Main hall"
    assert clinic.sequence == clinic_sequence + 1
    assert clinic.slots[0].starts_at.date() == new_date  # same wall-clock time, a week on
    for booking in (ann, bo):
        booking = session.get(Booking, booking.id)
        assert booking.sequence == old_sequence + 1
        (message,) = wait_for_mail(smtp, booking.email)
        assert message["Subject"] == f"Your clinic booking has changed – {clinic.school.name}"
        body = text_of(message)
        assert expected_date in body
        assert "Where to go has changed from “School library” to “Main hall”" in body
        for parsed in invites(message):
            assert parsed["method"] == "REQUEST"
            (event,) = parsed["events"]
            assert event["uid"] == booking.uid
            assert event["sequence"] == booking.sequence
            assert event["start"] == booking.slot.starts_at
            assert "Main hall" in event["location"]
            assert [a[0].lower() for a in event["attendees"]] == [f"mailto:{booking.email}"]
    assert smtp.to("gone@example.net") == []
    assert actions(session).count("booking.told_of_change") == 2
    assert "clinic.change" in actions(session)


def test_going_back_from_the_check_page_keeps_the_answers(officer_client, clinic, booked):
    url = f"/staff/clinics/{clinic.id}/edit"
    form = edit_form(clinic, venue="Main hall")
    response = post_page(officer_client, url, form | {"back": "yes"})
    html = response.get_data(as_text=True)
    assert "Change clinic details" in html and ">Main hall</textarea>" in html


def test_a_change_parents_need_not_hear_about_sends_nothing(
    officer_client, clinic, booked, session, smtp
):
    url = f"/staff/clinics/{clinic.id}/edit"
    response = post_page(officer_client, url, edit_form(clinic, title="Online safety clinic"))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Clinic, clinic.id).title == "Online safety clinic"
    assert session.scalars(select(OutboxMessage)).all() == []


def test_moving_a_booked_slot_tells_only_that_slots_household(
    officer_client, clinic, booked, session, smtp
):
    ann, bo = booked
    uid, sequence = ann.uid, ann.sequence
    slot = clinic.slots[0]
    old_start = slot.starts_at
    new_start = old_start + timedelta(hours=1)
    url = f"/staff/clinics/{clinic.id}/slots/{slot.id}/edit"
    form = {
        "version": str(clinic.version),
        "start_time": format_time(new_start),
        "end_time": format_time(new_start + timedelta(minutes=15)),
        "capacity": "1",
    }
    asked = post_page(officer_client, url, form).get_data(as_text=True)
    assert (
        "1 household will be emailed" in asked and "Ann Parent" in asked and "Bo Carer" not in asked
    )

    assert post_page(officer_client, url, form | {"confirmed": "yes"}).status_code == 302
    (message,) = wait_for_mail(smtp, ann.email)
    sentence = f"The time has changed from {format_time(old_start)} to {format_time(new_start)}"
    assert sentence in text_of(message)
    for parsed in invites(message):
        (event,) = parsed["events"]
        assert (event["uid"], event["sequence"]) == (uid, sequence + 1)
        assert event["start"] == new_start
        assert parsed["method"] == "REQUEST"
    assert smtp.to(bo.email) == []
    session.expire_all()
    assert session.get(Slot, slot.id).starts_at == new_start


def test_a_longer_slot_says_when_it_now_ends(officer_client, clinic, booked, smtp):
    ann, _ = booked
    slot = clinic.slots[0]
    url = f"/staff/clinics/{clinic.id}/slots/{slot.id}/edit"
    old_end = slot.ends_at
    new_end = old_end + timedelta(minutes=10)
    form = {
        "version": str(clinic.version),
        "start_time": format_time(slot.starts_at),
        "end_time": format_time(new_end),
        "capacity": "1",
        "confirmed": "yes",
    }
    assert post_page(officer_client, url, form).status_code == 302
    body = text_of(wait_for_mail(smtp, ann.email)[0])
    assert f"It now ends at {format_time(new_end)} instead of {format_time(old_end)}" in body
    assert "The time has changed" not in body


def test_a_slot_cannot_shrink_below_its_bookings(officer_client, clinic, make, session):
    slot = clinic.slots[3]
    slot.capacity = 3
    session.commit()
    make.booking(slot, parent_name="Cal Parent")
    make.booking(slot, parent_name="Dee Parent")
    url = f"/staff/clinics/{clinic.id}/slots/{slot.id}/edit"
    form = {
        "version": str(session.get(Clinic, clinic.id).version),
        "start_time": format_time(slot.starts_at),
        "end_time": format_time(slot.ends_at),
        "capacity": "1",
    }
    html = post_page(officer_client, url, form).get_data(as_text=True)
    assert "2 households have booked this slot, so it needs at least 2 places" in field_error(
        html, "capacity"
    )
    assert "Cal Parent (reference T" in html and "Dee Parent (reference T" in html
    session.expire_all()
    assert session.get(Slot, slot.id).capacity == 3


def test_a_booked_slot_cannot_be_removed(officer_client, clinic, booked, session):
    slot = clinic.slots[0]
    url = f"/staff/clinics/{clinic.id}/slots/{slot.id}/remove"
    page = officer_client.get(url).get_data(as_text=True)
    assert "This slot cannot be removed" in page and "Ann Parent (reference " in page
    assert "Remove the slot</button>" not in page
    token_page = f"/staff/clinics/{clinic.id}/edit"  # a page with a form, as a hand-made POST
    response = post_page(officer_client, url, {"version": str(clinic.version)}, page_url=token_page)
    assert "Households have booked this slot" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Slot, slot.id) is not None


def test_an_empty_slot_is_removed(officer_client, clinic, session):
    slot_id = clinic.slots[3].id
    url = f"/staff/clinics/{clinic.id}/slots/{slot_id}/remove"
    assert post_page(officer_client, url, {"version": str(clinic.version)}).status_code == 302
    session.expire_all()
    assert session.get(Slot, slot_id) is None
    assert len(session.get(Clinic, clinic.id).slots) == 3
    assert "slot.remove" in actions(session)


def test_adding_a_slot_defaults_to_straight_after_the_last(officer_client, clinic, session):
    url = f"/staff/clinics/{clinic.id}/slots/new"
    last = clinic.slots[-1]
    page = officer_client.get(url).get_data(as_text=True)
    assert f'value="{format_time(last.ends_at)}"' in page
    form = {
        "version": str(clinic.version),
        "start_time": format_time(last.ends_at),
        "end_time": format_time(last.ends_at + timedelta(minutes=15)),
        "capacity": "2",
    }
    assert post_page(officer_client, url, form).status_code == 302
    session.expire_all()
    slots = session.get(Clinic, clinic.id).slots
    assert len(slots) == 5 and slots[-1].capacity == 2 and slots[-1].starts_at == last.ends_at


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": "2pm", "start_time": "3pm"}, "end_time", "end time must be after"),
        ({"capacity": "51"}, "capacity", "between 1 and 50"),
        ({"start_time": ""}, "start_time", "Enter the time the slot starts"),
        # Spaces alone passed InputRequired and reached the service as no value (a 500).
        ({"start_time": "   "}, "start_time", "Enter the time the slot starts"),
        ({"capacity": " "}, "capacity", "Enter how many households this slot takes"),
    ],
)
def test_bad_slot_input_saves_nothing(officer_client, clinic, session, changes, field, message):
    url = f"/staff/clinics/{clinic.id}/slots/new"
    form = {
        "version": str(clinic.version),
        "start_time": "6pm",
        "end_time": "6:15pm",
        "capacity": "1",
    }
    html = post_page(officer_client, url, form | changes).get_data(as_text=True)
    assert message in field_error(html, field)
    session.expire_all()
    assert len(session.get(Clinic, clinic.id).slots) == 4


def test_publish_makes_a_draft_visible(officer_client, make, school, officer_user, session):
    draft = make.clinic(school, officer_user, status="draft")
    url = f"/staff/clinics/{draft.id}"
    assert "Publish the clinic" in officer_client.get(url).get_data(as_text=True)
    response = post_page(
        officer_client, f"{url}/publish", {"version": str(draft.version)}, page_url=url
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Clinic, draft.id).status == "published"
    assert "clinic.publish" in actions(session)


def test_a_clinic_without_slots_cannot_be_published(
    officer_client, make, school, officer_user, session
):
    draft = make.clinic(school, officer_user, status="draft", slots=0)
    url = f"/staff/clinics/{draft.id}"
    response = post_page(
        officer_client, f"{url}/publish", {"version": str(draft.version)}, page_url=f"{url}/edit"
    )
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Add at least one slot before you publish the clinic" in page
    session.expire_all()
    assert session.get(Clinic, draft.id).status == "draft"


def test_a_past_clinic_cannot_be_changed(officer_client, make, school, officer_user, session):
    past = make.clinic(school, officer_user)
    past.date -= timedelta(days=20)
    session.commit()
    url = f"/staff/clinics/{past.id}/edit"
    html = post_page(officer_client, url, edit_form(past, venue="Hall")).get_data(as_text=True)
    assert "This clinic has already happened, so it cannot be changed" in html


def test_the_last_slot_of_a_published_clinic_stays(officer_client, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=1)
    url = f"/staff/clinics/{clinic.id}/slots/{clinic.slots[0].id}/remove"
    html = post_page(officer_client, url, {"version": str(clinic.version)}).get_data(as_text=True)
    assert "A published clinic needs at least one slot. Cancel the clinic instead" in html


def test_moving_onto_another_of_the_officers_clinics_warns(
    officer_client, clinic, make, school, officer_user, session
):
    later = make.clinic(school, officer_user, days_ahead=21)
    url = f"/staff/clinics/{clinic.id}/edit"
    form = edit_form(clinic, date=date_parts(later.date), allow_closed_day="y")
    html = post_page(officer_client, url, form).get_data(as_text=True)
    assert "You already have a clinic at this time" in field_error(html, "date")
    assert "Save it anyway" in html
    assert post_page(officer_client, url, form | {"allow_overlap": "y"}).status_code == 302
    session.expire_all()
    assert session.get(Clinic, clinic.id).date == later.date


def test_an_emptied_draft_keeps_a_sensible_booking_window(
    officer_client, make, school, officer_user, session
):
    draft = make.clinic(school, officer_user, status="draft", slots=1)
    remove = f"/staff/clinics/{draft.id}/slots/{draft.slots[0].id}/remove"
    assert post_page(officer_client, remove, {"version": str(draft.version)}).status_code == 302
    session.expire_all()
    draft = session.get(Clinic, draft.id)
    opens = draft.booking_opens_at.astimezone(LONDON)
    url = f"/staff/clinics/{draft.id}/edit"
    form = edit_form(
        draft,
        booking_opens_date=date_parts(opens.date()),
        booking_opens_time="9am",
        booking_closes_date=date_parts(opens.date() - timedelta(days=1)),
        booking_closes_time="9am",
    )
    html = post_page(officer_client, url, form).get_data(as_text=True)
    assert "Booking must close after it opens" in field_error(html, "booking_closes_date")
