"""Cancelling a clinic: every booking cancelled, each parent sent METHOD:CANCEL, the waiting
list told and cleared, places freed, all audited."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic.models import Booking, Clinic, Slot, WaitlistEntry, normalise_email
from clinic.schedule import service
from tests.invites.test_calendar import read_icalendar, read_icaljs

from .conftest import actions, field_error, invite_of, post_page, text_of, wait_for_mail

REASON = "The officer is unwell. We will add a new date soon."


def waiting(session, clinic, name: str, status: str = "waiting") -> WaitlistEntry:
    email = f"{name.split()[0].lower()}@example.net"
    entry = WaitlistEntry(
        clinic_id=clinic.id,
        parent_name=name,
        email=email,
        email_normalised=normalise_email(email),
        consent_at=datetime.now(UTC),
        status=status,
    )
    session.add(entry)
    session.commit()
    return entry


@pytest.fixture
def full_house(make, clinic, session):
    """Two booked households, one cancelled earlier, and a waiting list of three."""
    ann = make.booking(clinic.slots[0], parent_name="Ann Parent", email="ann@example.net")
    bo = make.booking(clinic.slots[1], parent_name="Bo Carer", email="bo@example.net")
    make.booking(
        clinic.slots[2], parent_name="Gone Away", email="gone@example.net", status="cancelled"
    )
    entries = [
        waiting(session, clinic, "Wes Waiting"),
        waiting(session, clinic, "Olu Offered", "offered"),
        waiting(session, clinic, "Cy Claimed", "claimed"),
    ]
    return [ann, bo], entries


def test_cancel_page_says_who_will_be_told(officer_client, clinic, full_house):
    html = officer_client.get(f"/staff/clinics/{clinic.id}/cancel").get_data(as_text=True)
    assert "2 households will be emailed the reason" in html
    assert "Ann Parent (reference " in html and "Bo Carer (reference " in html
    assert "Gone Away" not in html
    assert "2 households are on the waiting list" in html
    assert "Why is the clinic cancelled?" in html


def test_a_reason_is_needed(officer_client, clinic, full_house, session, smtp):
    url = f"/staff/clinics/{clinic.id}/cancel"
    response = post_page(officer_client, url, {"version": str(clinic.version), "reason": "  "})
    html = response.get_data(as_text=True)
    assert "Enter the reason parents will be given" in field_error(html, "reason")
    session.expire_all()
    assert session.get(Clinic, clinic.id).status == "published"
    assert smtp.messages == []


def test_cancelling_tells_everyone_and_frees_every_place(
    officer_client, clinic, full_house, session, smtp, school
):
    (ann, bo), (wes, olu, cy) = full_house
    before = {b.id: (b.uid, b.sequence) for b in (ann, bo)}
    url = f"/staff/clinics/{clinic.id}/cancel"
    response = post_page(officer_client, url, {"version": str(clinic.version), "reason": REASON})
    assert response.status_code == 302
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    told = "We have emailed 2 households booked and 2 households on the waiting list."
    assert f"The clinic is cancelled. {told}" in page
    assert REASON in page

    session.expire_all()
    clinic = session.get(Clinic, clinic.id)
    assert (clinic.status, clinic.cancelled_reason) == ("cancelled", REASON)
    assert [slot.booked for slot in clinic.slots] == [0, 0, 0, 0]
    other_clinics = f"http://localhost/schools/{school.slug}"
    for booking in (ann, bo):
        booking = session.get(Booking, booking.id)
        uid, sequence = before[booking.id]
        assert booking.status == "cancelled" and booking.cancelled_at is not None
        assert booking.sequence == sequence + 1
        (message,) = wait_for_mail(smtp, booking.email)
        assert message["Subject"] == f"Clinic cancelled – {school.name}"
        body = text_of(message)
        assert REASON in body and other_clinics in body
        assert booking.reference in body
        data = invite_of(message)
        assert b"METHOD:CANCEL" in data
        for parsed in (read_icalendar(data), read_icaljs(data)):
            assert parsed["method"] == "CANCEL"
            (event,) = parsed["events"]
            assert (event["uid"], event["sequence"]) == (uid, sequence + 1)
            assert event["status"] == "CANCELLED"
    assert smtp.to("gone@example.net") == []

    for entry, told in ((wes, True), (olu, True), (cy, False)):
        entry = session.get(WaitlistEntry, entry.id)
        assert entry.status == ("removed" if told else "claimed")
        received = smtp.to(entry.email)
        assert len(received) == (1 if told else 0)
        if told:
            body = text_of(received[0])
            assert "taken you off its waiting list" in body
            assert REASON in body and other_clinics in body
            assert received[0].get_content_type() == "multipart/alternative"  # no invite

    done = actions(session)
    assert done.count("booking.cancel") == 2 and done.count("waitlist.remove") == 2
    assert "clinic.cancel" in done


def test_a_cancelled_clinic_cannot_be_changed_or_cancelled_again(
    officer_client, clinic, session, officer_user
):
    service.cancel_clinic(session, officer_user, clinic, REASON, expected_version=clinic.version)
    session.commit()
    page = officer_client.get(f"/staff/clinics/{clinic.id}").get_data(as_text=True)
    assert "Cancel the clinic" not in page and "Add a slot" not in page
    response = officer_client.get(f"/staff/clinics/{clinic.id}/cancel")
    assert response.status_code == 302
    with pytest.raises(service.ClinicError, match="has been cancelled"):
        service.publish_clinic(session, officer_user, clinic, expected_version=clinic.version)


def test_a_clinic_that_has_started_cannot_be_cancelled(clinic, session, officer_user):
    started = clinic.slots[0].starts_at + timedelta(minutes=1)
    with pytest.raises(service.ClinicError, match="already started"):
        service.cancel_clinic(
            session, officer_user, clinic, REASON, expected_version=clinic.version, now=started
        )


def test_slots_hold_no_places_after_cancelling(clinic, make, session, officer_user):
    slot = clinic.slots[0]
    slot.capacity = 5
    session.commit()
    for _ in range(3):
        make.booking(slot)
    service.cancel_clinic(session, officer_user, clinic, REASON, expected_version=clinic.version)
    session.commit()
    session.expire_all()
    assert session.scalar(select(Slot.booked).where(Slot.id == slot.id)) == 0
    live = session.scalars(select(Booking).where(Booking.status != "cancelled")).all()
    assert live == []
