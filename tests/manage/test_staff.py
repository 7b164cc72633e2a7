"""Staff cancel and move bookings of their own schools' clinics, and see the waiting
list; anyone else gets the not-found page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.manage import service as manage
from clinic.models import AuditEvent, Booking, utcnow
from clinic.waitlist import service as waitlist
from tests.conftest import sign_in

from .support import calendar_part, post_with_token, read_both, snapshot, subject


def test_an_officer_cancels_a_booking_with_a_reason(
    officer_client, session, smtp, officer_user, booking
):
    path = f"/booking/staff/{booking.id}/cancel"
    page = officer_client.get(path)
    assert booking.parent_name in page.get_data(as_text=True)

    response = post_with_token(officer_client, path, data={"reason": "The parent phoned."})

    assert response.status_code == 302
    shown = officer_client.get(path).get_data(as_text=True)
    assert f"Booking {booking.reference} is cancelled" in shown
    session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"
    (email,) = smtp.to(booking.email)
    assert subject(email).startswith("Your booking is cancelled")
    text = email.get_body(("plain",)).get_content()
    assert "Oakfield Primary School has cancelled your booking" in text
    assert "Reason: The parent phoned." in text
    assert read_both(calendar_part(email)[1])["method"] == "CANCEL"
    (audit,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.cancel"))
    assert (audit.actor_id, audit.details["reason"]) == (officer_user.id, "The parent phoned.")


def test_school_staff_move_a_booking(school_client, session, smtp, school_user, clinic, booking):
    path = f"/booking/staff/{booking.id}/move"
    response = post_with_token(school_client, path, data={"slot_id": str(clinic.slots[3].id)})

    assert response.status_code == 302
    session.expire_all()
    moved = session.get(Booking, booking.id)
    assert (moved.slot_id, moved.sequence) == (clinic.slots[3].id, 1)
    (email,) = smtp.to(booking.email)
    assert (
        "Oakfield Primary School has moved your booking" in email.get_body(("plain",)).get_content()
    )
    event = read_both(calendar_part(email)[1])
    assert (event["method"], event["uid"], event["sequence"]) == ("REQUEST", booking.uid, 1)
    (audit,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.move"))
    assert audit.actor_id == school_user.id


def test_staff_see_the_waiting_list(app, officer_client, session, full_clinic):
    people = ["Ann First", "Bob Second", "Cat Third"]
    for minutes_ago, name in zip((30, 20, 10), people, strict=True):
        email = name.split()[0].lower() + "@example.net"
        waitlist.join(
            session,
            full_clinic,
            {"parent_name": name, "email": email, "child_years": ["Year 1"], "topics": ["other"]},
            now=utcnow() - timedelta(minutes=minutes_ago),
        )
        session.commit()
    first_booking = session.scalars(
        select(Booking).where(Booking.clinic_id == full_clinic.id)
    ).first()
    manage.cancel_booking(session, first_booking, actor="parent")
    session.commit()

    page = officer_client.get(f"/booking/staff/clinics/{full_clinic.id}/waitlist")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index("Ann First") < html.index("Bob Second") < html.index("Cat Third")
    assert "Offered a place" in html and html.count("Waiting") >= 2


@pytest.mark.parametrize("who", ["other_officer", "other_school_staff"])
def test_staff_of_other_schools_get_not_found(
    request, app, session, make, other_school, full_clinic, booking, who
):
    if who == "other_officer":
        user = make.user(role="officer", schools=[other_school])
    else:
        user = make.user(role="school", school=other_school)
    client = sign_in(app.test_client(), user)
    before = snapshot(session)

    for path in (
        f"/booking/staff/{booking.id}/cancel",
        f"/booking/staff/{booking.id}/move",
        f"/booking/staff/clinics/{full_clinic.id}/waitlist",
        "/booking/staff/999999/cancel",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post(f"/booking/staff/{booking.id}/cancel", data={})
    assert response.status_code == 404
    assert snapshot(session) == before


def test_an_admin_may_act_for_any_school(admin_client, booking):
    assert admin_client.get(f"/booking/staff/{booking.id}/cancel").status_code == 200


def test_visitors_are_asked_to_sign_in(client, booking, clinic):
    for path in (
        f"/booking/staff/{booking.id}/cancel",
        f"/booking/staff/clinics/{clinic.id}/waitlist",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
