"""Check-in on the day: marks and corrections, walk-ins, closing the clinic, and refusals."""

import pytest
from sqlalchemy import func, select, update

from clinic.attendance import checkin
from clinic.models import Booking, Clinic, Slot, WalkIn
from tests.helpers import csrf_token

from .conftest import audit_events
from .test_list import url

JSON = {"Accept": "application/json"}


def mark_url(clinic, booking):
    return url(clinic, f"/bookings/{booking.id}/mark")


def token(client, clinic) -> str:
    """The signed-in person's CSRF token (from the list page's "Send to school" button)."""
    return csrf_token(client.get(url(clinic)))


def reload(session, model, id_):
    session.expire_all()
    return session.get(model, id_)


@pytest.fixture
def booking(make, todays_clinic):
    return make.booking(todays_clinic.slots[0], parent_name="Alex Parent")


# --- marks --------------------------------------------------------------------------------


def test_a_tap_marks_a_parent_attended_without_javascript(
    officer_client, session, todays_clinic, booking, officer_user
):
    response = officer_client.post(
        mark_url(todays_clinic, booking),
        data={"csrf_token": token(officer_client, todays_clinic), "mark": "attended"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/check-in#booking-{booking.id}")
    marked = reload(session, Booking, booking.id)
    assert marked.status == "attended"
    assert marked.checked_in_by_id == officer_user.id
    assert marked.checked_in_at is not None
    (event,) = audit_events(session, "booking.mark")
    assert event.actor_id == officer_user.id
    assert event.object_type == "booking" and event.object_id == booking.id
    assert event.school_id == todays_clinic.school_id
    assert event.details == {"status": "attended", "previous": "confirmed"}

    page = officer_client.get(url(todays_clinic, "/check-in")).text
    assert "by Pat Officer at" in page
    assert "1</strong> attended" in page


def test_with_javascript_the_answer_is_the_new_row(officer_client, todays_clinic, booking):
    response = officer_client.post(
        mark_url(todays_clinic, booking),
        data={"csrf_token": token(officer_client, todays_clinic), "mark": "no_show"},
        headers=JSON,
    )

    assert response.status_code == 200
    answer = response.get_json()
    assert answer["id"] == f"booking-{booking.id}"
    assert answer["status"] == "no_show"
    assert answer["message"] == "Alex Parent is marked as a no-show."
    assert f'id="booking-{booking.id}"' in answer["row"]
    assert "No-show" in answer["row"] and "Undo" in answer["row"]
    assert 'name="csrf_token"' in answer["row"]
    assert "<strong>1</strong> no-show" in answer["totals"]
    assert "<strong>0</strong> not marked yet" in answer["totals"]


def test_a_mark_can_be_corrected(officer_client, session, todays_clinic, booking):
    csrf = token(officer_client, todays_clinic)
    officer_client.post(
        mark_url(todays_clinic, booking), data={"csrf_token": csrf, "mark": "attended"}
    )

    officer_client.post(
        mark_url(todays_clinic, booking), data={"csrf_token": csrf, "mark": "confirmed"}
    )

    undone = reload(session, Booking, booking.id)
    assert undone.status == "confirmed"
    assert undone.checked_in_by_id is None and undone.checked_in_at is None
    officer_client.post(
        mark_url(todays_clinic, booking), data={"csrf_token": csrf, "mark": "no_show"}
    )
    assert reload(session, Booking, booking.id).status == "no_show"
    assert [e.details["status"] for e in audit_events(session, "booking.mark")] == [
        "attended",
        "confirmed",
        "no_show",
    ]


def test_school_staff_can_check_people_in(
    school_client, session, todays_clinic, booking, school_user
):
    school_client.post(
        mark_url(todays_clinic, booking),
        data={"csrf_token": token(school_client, todays_clinic), "mark": "attended"},
    )

    assert reload(session, Booking, booking.id).checked_in_by_id == school_user.id


def test_a_second_tap_changes_nothing(officer_client, session, todays_clinic, booking):
    csrf = token(officer_client, todays_clinic)
    for _ in range(2):
        officer_client.post(
            mark_url(todays_clinic, booking), data={"csrf_token": csrf, "mark": "attended"}
        )

    assert len(audit_events(session, "booking.mark")) == 1


def test_a_mark_needs_its_csrf_token(officer_client, session, todays_clinic, booking):
    response = officer_client.post(mark_url(todays_clinic, booking), data={"mark": "attended"})

    assert response.status_code == 400
    assert reload(session, Booking, booking.id).status == "confirmed"


def test_an_unknown_mark_is_refused(officer_client, session, todays_clinic, booking):
    response = officer_client.post(
        mark_url(todays_clinic, booking),
        data={"csrf_token": token(officer_client, todays_clinic), "mark": "cancelled"},
    )

    assert response.status_code == 400
    assert reload(session, Booking, booking.id).status == "confirmed"


# --- refusals: 404 and nothing changed --------------------------------------------------------


def test_a_booking_of_another_clinic_is_not_found(
    officer_client, session, make, todays_clinic, clinic_on
):
    elsewhere = clinic_on(0)
    theirs = make.booking(elsewhere.slots[0])

    response = officer_client.post(
        mark_url(todays_clinic, theirs),
        data={"csrf_token": token(officer_client, todays_clinic), "mark": "attended"},
    )

    assert response.status_code == 404
    assert reload(session, Booking, theirs.id).status == "confirmed"
    assert audit_events(session, "booking.mark") == []


def test_a_cancelled_booking_cannot_be_marked(officer_client, session, make, todays_clinic):
    cancelled = make.booking(todays_clinic.slots[0], status="cancelled")

    response = officer_client.post(
        mark_url(todays_clinic, cancelled),
        data={"csrf_token": token(officer_client, todays_clinic), "mark": "attended"},
        headers=JSON,
    )

    assert response.status_code == 404
    assert reload(session, Booking, cancelled.id).status == "cancelled"
    assert audit_events(session, "booking.mark") == []


def test_a_booking_cancelled_meanwhile_is_not_brought_back(
    app, session, todays_clinic, booking, officer_user
):
    """The parent cancels between the page loading the booking and the mark being saved."""
    session.get(Booking, booking.id)  # the booking as the request first read it
    session.execute(
        update(Booking)
        .where(Booking.id == booking.id)
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )

    with pytest.raises(checkin.NotInClinic):
        checkin.mark_booking(session, todays_clinic, booking.id, "attended", actor=officer_user)

    assert reload(session, Booking, booking.id).status == "cancelled"


@pytest.mark.parametrize("who", ["other_officer_client", "other_school_client"])
def test_another_schools_staff_can_change_nothing(
    request, session, todays_clinic, booking, officer_client, who
):
    client = request.getfixturevalue(who)
    csrf = csrf_token(client.get("/staff/sign-out"))
    walk_in = WalkIn(clinic_id=todays_clinic.id, child_years=["Year 1"], topics=["roblox"])
    session.add(walk_in)
    session.commit()

    for path, data in [
        (f"/bookings/{booking.id}/mark", {"mark": "attended"}),
        ("/walk-ins/new", {"child_years": "Year 1", "topics": "roblox"}),
        (f"/walk-ins/{walk_in.id}/remove", {}),
        ("/close", {}),
        ("/send", {}),
        ("/sheet-pdf", {}),
    ]:
        response = client.post(url(todays_clinic, path), data={"csrf_token": csrf, **data})
        assert response.status_code == 404, path

    assert reload(session, Booking, booking.id).status == "confirmed"
    assert reload(session, Clinic, todays_clinic.id).closed_at is None
    assert session.scalar(select(func.count()).select_from(WalkIn)) == 1
    assert reload(session, Clinic, todays_clinic.id).list_sent_at is None


def test_marks_open_on_the_day_of_the_clinic(officer_client, session, make, clinic):
    booking = make.booking(clinic.slots[0])
    page = officer_client.get(url(clinic, "/check-in"))
    assert "Check-in opens on the day of the clinic" in page.text
    assert 'name="mark"' not in page.text

    response = officer_client.post(
        mark_url(clinic, booking),
        data={"csrf_token": token(officer_client, clinic), "mark": "attended"},
        headers=JSON,
    )

    assert response.status_code == 409
    assert response.get_json()["error"].startswith("Check-in opens on the day of the clinic")
    assert reload(session, Booking, booking.id).status == "confirmed"


# --- walk-ins -------------------------------------------------------------------------------


def test_a_walk_in_is_added_even_when_the_slot_is_full(
    officer_client, session, make, todays_clinic, officer_user
):
    slot = todays_clinic.slots[0]
    make.booking(slot)
    make.booking(slot)  # the slot is full (two places)
    page = officer_client.get(url(todays_clinic, "/walk-ins/new"))

    response = officer_client.post(
        url(todays_clinic, "/walk-ins/new"),
        data={
            "csrf_token": csrf_token(page),
            "parent_name": "  Wendy Walker ",
            "child_years": ["Year 5", "Year 2"],
            "topics": ["whatsapp", "android"],
            "slot": str(slot.id),
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/check-in#walk-ins")
    walk_in = session.scalars(select(WalkIn)).one()
    assert walk_in.parent_name == "Wendy Walker"
    assert walk_in.child_years == ["Year 2", "Year 5"]
    assert walk_in.topics == ["android", "whatsapp"]
    assert walk_in.slot_id == slot.id
    assert walk_in.added_by_id == officer_user.id
    assert reload(session, Slot, slot.id).booked == 2  # counted apart from bookings
    (event,) = audit_events(session, "walk_in.add")
    assert event.object_id == walk_in.id and event.school_id == todays_clinic.school_id
    check_in = officer_client.get(url(todays_clinic, "/check-in")).text
    assert "Wendy Walker" in check_in and "<strong>1</strong> walk-in" in check_in


def test_a_walk_in_needs_only_year_and_topics(officer_client, session, todays_clinic):
    page = officer_client.get(url(todays_clinic, "/walk-ins/new"))

    officer_client.post(
        url(todays_clinic, "/walk-ins/new"),
        data={"csrf_token": csrf_token(page), "child_years": "Year 1", "topics": "roblox"},
    )

    walk_in = session.scalars(select(WalkIn)).one()
    assert walk_in.parent_name is None and walk_in.slot_id is None


def test_a_walk_in_form_with_gaps_shows_each_message_and_saves_nothing(
    officer_client, session, todays_clinic
):
    page = officer_client.get(url(todays_clinic, "/walk-ins/new"))

    response = officer_client.post(
        url(todays_clinic, "/walk-ins/new"),
        data={"csrf_token": csrf_token(page), "parent_name": "Wendy Walker"},
    )

    assert response.status_code == 200
    html = response.text
    assert "<title>Error: Add a walk-in" in html
    assert 'id="child_years-error"' in html and "Select the child&#39;s school year" in html
    assert 'id="topics-error"' in html
    assert 'value="Wendy Walker"' in html  # the answer is kept
    assert session.scalar(select(func.count()).select_from(WalkIn)) == 0


def test_a_walk_in_in_another_clinics_slot_is_refused(
    officer_client, session, todays_clinic, clinic_on
):
    elsewhere = clinic_on(0)
    page = officer_client.get(url(todays_clinic, "/walk-ins/new"))

    response = officer_client.post(
        url(todays_clinic, "/walk-ins/new"),
        data={
            "csrf_token": csrf_token(page),
            "child_years": "Year 1",
            "topics": "roblox",
            "slot": str(elsewhere.slots[0].id),
        },
    )

    assert response.status_code == 200  # not one of the choices: shown as a message
    assert "Select a time from the list" in response.text
    assert session.scalar(select(func.count()).select_from(WalkIn)) == 0


def test_a_walk_in_added_by_mistake_can_be_removed(
    officer_client, session, todays_clinic, clinic_on
):
    mine = WalkIn(clinic_id=todays_clinic.id, parent_name="Mistake", child_years=["Year 1"])
    theirs = WalkIn(clinic_id=clinic_on(0).id, parent_name="Theirs", child_years=["Year 1"])
    session.add_all([mine, theirs])
    session.commit()
    csrf = token(officer_client, todays_clinic)
    mine_id = mine.id

    wrong = officer_client.post(
        url(todays_clinic, f"/walk-ins/{theirs.id}/remove"), data={"csrf_token": csrf}
    )
    right = officer_client.post(
        url(todays_clinic, f"/walk-ins/{mine.id}/remove"), data={"csrf_token": csrf}
    )

    assert wrong.status_code == 404
    assert right.status_code == 302
    session.expire_all()
    assert [w.parent_name for w in session.scalars(select(WalkIn))] == ["Theirs"]
    (event,) = audit_events(session, "walk_in.remove")
    assert event.object_id == mine_id


# --- closing the clinic ---------------------------------------------------------------------


def test_closing_asks_first_then_closes_once(officer_client, session, make, todays_clinic, booking):
    confirm = officer_client.get(url(todays_clinic, "/close"))
    assert confirm.status_code == 200
    assert "1 booking is not marked yet" in confirm.text
    csrf = csrf_token(confirm)

    response = officer_client.post(url(todays_clinic, "/close"), data={"csrf_token": csrf})

    assert response.status_code == 302
    closed = reload(session, Clinic, todays_clinic.id)
    assert closed.closed_at is not None
    (event,) = audit_events(session, "clinic.close")
    assert event.object_id == todays_clinic.id

    again = officer_client.post(
        url(todays_clinic, "/close"), data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "This clinic has already been closed." in again.text
    assert reload(session, Clinic, todays_clinic.id).closed_at == closed.closed_at
    assert len(audit_events(session, "clinic.close")) == 1


def test_a_clinic_cannot_be_closed_before_its_day(officer_client, session, clinic):
    page = officer_client.get(url(clinic, "/check-in"))
    assert "Close the clinic" not in page.text
    confirm = officer_client.get(url(clinic, "/close"), follow_redirects=True)
    assert "Check-in opens on the day of the clinic" in confirm.text

    response = officer_client.post(
        url(clinic, "/close"), data={"csrf_token": token(officer_client, clinic)}
    )

    assert response.status_code == 302
    assert reload(session, Clinic, clinic.id).closed_at is None


def test_after_closing_only_officers_correct_marks(
    officer_client, school_client, session, todays_clinic, booking
):
    csrf = token(officer_client, todays_clinic)
    officer_client.post(
        mark_url(todays_clinic, booking), data={"csrf_token": csrf, "mark": "attended"}
    )
    officer_client.post(url(todays_clinic, "/close"), data={"csrf_token": csrf})

    school_page = school_client.get(url(todays_clinic, "/check-in")).text
    assert "This clinic has been closed. Ask the officer" in school_page
    assert 'name="mark"' not in school_page
    refused = school_client.post(
        mark_url(todays_clinic, booking),
        data={"csrf_token": token(school_client, todays_clinic), "mark": "no_show"},
    )
    assert refused.status_code == 302
    assert reload(session, Booking, booking.id).status == "attended"

    officer_page = officer_client.get(url(todays_clinic, "/check-in")).text
    assert "You can still correct marks." in officer_page
    officer_client.post(
        mark_url(todays_clinic, booking), data={"csrf_token": csrf, "mark": "no_show"}
    )
    assert reload(session, Booking, booking.id).status == "no_show"
