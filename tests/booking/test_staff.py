"""School staff and officers book on a parent's behalf (a phone call to the school office)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.models import AuditEvent, Booking, Clinic
from tests.booking.support import book, fill_form, wait_for_mail

STAFF = "/staff"


@pytest.fixture(params=["school", "officer"])
def staff_client(request):
    """Signed in as the school's own staff, or as the officer who covers it."""
    return request.getfixturevalue(f"{request.param}_client")


def test_staff_book_for_a_parent(request, staff_client, session, clinic, slot, smtp):
    form = staff_client.get(f"{STAFF}/book/{slot.id}").get_data(as_text=True)
    assert "Book for a parent or carer" in form
    assert "Parent or carer&#39;s full name" in form or "Parent or carer's full name" in form

    response = book(staff_client, slot.id, STAFF)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/book/confirmation")
    page = staff_client.get("/staff/book/confirmation").get_data(as_text=True)

    booking = session.scalars(select(Booking)).one()
    assert booking.reference in page and "We have emailed the confirmation" in page
    staff = booking.booked_by
    assert staff is not None and staff.role in ("school", "officer")
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_id, event.details["on_behalf"]) == (
        "booking.create",
        staff.id,
        True,
    )

    (message,) = wait_for_mail(smtp, "alex.example@example.net")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert f"{clinic.school.name} has booked a place for you" in text
    assert any(p.get_content_type() == "text/calendar" for p in message.walk())


def test_staff_may_book_after_booking_closed_but_never_over_capacity(
    staff_client, client, session, make, clinic
):
    clinic = session.get(Clinic, clinic.id)
    clinic.booking_closes_at = datetime.now(UTC) - timedelta(hours=1)
    session.commit()
    open_slot, full_slot = clinic.slots[0], clinic.slots[1]
    make.booking(full_slot)
    make.booking(full_slot)

    assert client.get(f"/book/{open_slot.id}").status_code == 409  # parents: closed
    assert book(staff_client, open_slot.id, STAFF).status_code == 302

    full = staff_client.get(f"{STAFF}/book/{full_slot.id}")
    assert full.status_code == 409
    assert "now full" in full.get_data(as_text=True)
    assert session.scalars(
        select(Booking.slot_id).where(Booking.booked_by_id.is_not(None))
    ).all() == [open_slot.id]


def test_staff_cannot_book_draft_cancelled_or_past(
    staff_client, session, make, school, officer, past_clinic
):
    draft = make.clinic(school, officer, status="draft")
    cancelled = make.clinic(school, officer, status="cancelled")
    assert staff_client.get(f"{STAFF}/book/{draft.slots[0].id}").status_code == 404
    response = staff_client.get(f"{STAFF}/book/{cancelled.slots[0].id}")
    assert response.status_code == 409 and "cancelled" in response.get_data(as_text=True)
    response = staff_client.get(f"{STAFF}/book/{past_clinic.slots[0].id}")
    assert response.status_code == 409 and "already passed" in response.get_data(as_text=True)


def test_other_schools_are_not_found(app, school_client, officer_client, make, other_school):
    foreign = make.clinic(other_school, make.user(role="officer", schools=[other_school]))
    slot_id = foreign.slots[0].id
    for client in (school_client, officer_client):
        assert client.get(f"{STAFF}/book/{slot_id}").status_code == 404
        assert client.get(f"{STAFF}/book/{slot_id}/check").status_code == 404


def test_only_officers_and_school_staff(admin_client, client, slot):
    assert admin_client.get(f"{STAFF}/book/{slot.id}").status_code == 404
    anonymous = client.get(f"{STAFF}/book/{slot.id}")
    assert anonymous.status_code == 302 and "/staff/sign-in" in anonymous.headers["Location"]


def test_school_page_offers_staff_booking_to_the_schools_own_staff(
    school_client, client, make, other_school, clinic, slot
):
    link = f'href="/staff/book/{slot.id}"'
    assert link in school_client.get(f"/schools/{clinic.school.slug}").get_data(as_text=True)
    assert link not in client.get(f"/schools/{clinic.school.slug}").get_data(as_text=True)


def test_staff_form_errors_are_next_to_the_fields(staff_client, session, slot):
    response = fill_form(staff_client, slot.id, STAFF, consent=None, email="nope")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="consent-error"' in html and "Confirm the parent or carer agrees" in html
    assert 'id="email-error"' in html
    session.commit()
    assert session.scalars(select(Booking)).all() == []


def test_staff_back_after_booking_shows_it_and_the_next_family_can_be_booked(
    staff_client, session, make, school, officer
):
    clinic = make.clinic(school, officer, slots=2, capacity=2)
    slot = clinic.slots[0]
    assert book(staff_client, slot.id, STAFF).status_code == 302
    booking = session.scalars(select(Booking)).one()

    back = staff_client.get(f"{STAFF}/book/{slot.id}/check")  # Back from the confirmation
    html = back.get_data(as_text=True)
    assert back.status_code == 200 and "This time is booked for them" in html
    assert booking.reference in html and "/booking/" not in html  # no parent's link to staff
    # A place is left: the form is there for the next family's phone call.
    assert "Book for a parent or carer" in staff_client.get(f"{STAFF}/book/{slot.id}").get_data(
        as_text=True
    )
    assert book(staff_client, slot.id, STAFF, email="sam.other@example.net").status_code == 302
    # Now full: Back shows the booking just made, not "Sorry, this time is now full".
    full = staff_client.get(f"{STAFF}/book/{slot.id}")
    assert full.status_code == 200 and "This time is booked for them" in full.get_data(as_text=True)
