"""Cancelling: the place is freed, the parent's calendar gets METHOD:CANCEL for the same
event (same UID, higher SEQUENCE), and the change is audited; once only."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.extensions import db
from clinic.manage import service as manage
from clinic.models import AuditEvent, Booking, Slot

from .support import calendar_part, manage_path, post_with_token, read_both, snapshot, subject


def test_a_parent_cancels_from_the_link(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0])
    (confirmation,) = smtp.to("ann.parent@example.net")
    method, ics = calendar_part(confirmation)
    first = read_both(ics)
    assert (method, first["method"], first["sequence"]) == ("REQUEST", "REQUEST", 0)

    page = client.get(f"{manage_path(booking)}/cancel")
    assert "Are you sure you want to cancel?" in page.get_data(as_text=True)
    response = post_with_token(client, f"{manage_path(booking)}/cancel")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(manage_path(booking))
    shown = client.get(manage_path(booking)).get_data(as_text=True)
    assert "Your booking is cancelled" in shown and "Cancelled" in shown
    session.expire_all()
    booking = session.get(Booking, booking.id)
    assert booking.status == "cancelled" and booking.cancelled_at is not None
    assert booking.sequence == 1
    assert session.get(Slot, clinic.slots[0].id).booked == 0

    cancelled = smtp.to("ann.parent@example.net")[-1]
    assert subject(cancelled) == "Your booking is cancelled: Parental controls clinic"
    method, ics = calendar_part(cancelled)
    event = read_both(ics)
    assert method == event["method"] == "CANCEL"
    assert event["uid"] == first["uid"] == booking.uid
    assert event["sequence"] == 1 > first["sequence"]
    assert event["status"] == "CANCELLED"
    assert [address for address, _ in event["attendees"]] == ["mailto:ann.parent@example.net"]
    assert "cancelled, as you asked" in cancelled.get_body(("plain",)).get_content()

    (audit,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.cancel"))
    assert (audit.actor_label, audit.object_id, audit.school_id) == (
        "parent",
        booking.id,
        clinic.school_id,
    )


def test_cancelling_twice_frees_one_place(session, smtp, clinic, booking):
    other = clinic.slots[0]
    manage.cancel_booking(session, booking, actor="parent")
    session.commit()

    with pytest.raises(manage.BookingLocked):
        manage.cancel_booking(session, booking, actor="parent")
    session.rollback()

    assert session.get(Slot, other.id).booked == 0
    assert len(smtp.to(booking.email)) == 1


def test_a_stale_copy_of_the_booking_cannot_cancel_again(app, session, smtp, clinic, booking):
    """Two tabs: the second still holds the booking as it was; the database refuses."""
    booking_id = booking.id
    session.commit()
    with Session(db.engine, expire_on_commit=False) as other_tab:
        stale = other_tab.get(Booking, booking_id)
        assert stale.slot.clinic.slots and stale.status == "confirmed"  # all loaded now
        other_tab.commit()

        manage.cancel_booking(session, booking, actor="parent")
        session.commit()

        with pytest.raises(manage.BookingLocked):
            manage.cancel_booking(other_tab, stale, actor="parent")
        other_tab.rollback()

    assert session.get(Slot, clinic.slots[0].id).booked == 0
    assert len(smtp.to(booking.email)) == 1


def test_cancelling_without_telling_sends_nothing(session, smtp, clinic, booking):
    before = snapshot(session)["outbox"]
    manage.cancel_booking(session, booking, actor="parent", notify=False)
    session.commit()
    assert snapshot(session)["outbox"] == before
    assert smtp.messages == []


@pytest.mark.parametrize("contact_email", ["office@oakfield.example.org", ""])
def test_the_cancellation_names_the_schools_address_only_when_it_has_one(
    session, smtp, clinic, booking, contact_email
):
    """A school imported from GIAS has no contact email until its coordinator adds one
    (clinic/schools/importing.py): the email then has no "contact the school at ." line."""
    clinic.school.contact_email = contact_email
    session.commit()

    manage.cancel_booking(session, booking, actor="parent")
    session.commit()

    (cancelled,) = smtp.to(booking.email)
    for part in ("plain", "html"):
        body = cancelled.get_body((part,)).get_content()
        assert ("If you did not cancel this, contact" in body) == bool(contact_email)
        assert " at ." not in body
