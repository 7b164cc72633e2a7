"""Erasure and access: a parent deletes their details from their link (before and after
the clinic), an admin finds, downloads and erases everything held for an address; every
step is audited without the erased values, and old links answer a friendly page."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from clinic.links import manage_token, waitlist_token
from clinic.models import AuditEvent, Booking, OutboxMessage, WaitlistEntry, utcnow
from clinic.outbox import delivery as outbox
from tests.booking.conftest import move_back
from tests.helpers import csrf_token, post_form
from tests.privacy.support import (
    EMAIL,
    NAME,
    book_as_household,
    find_everywhere,
    join_waitlist,
    live_booking,
)


def _only_in_emails_still_to_go(found):
    """The one last email (the cancellation) still holds the details until it is purged."""
    return all(place.startswith("outbox_message.") for place in found)


def _audit_holds_no_personal_data(session):
    for event in session.scalars(sa.select(AuditEvent)):
        text = json.dumps(event.details).lower() + event.actor_label.lower()
        assert "zebedee" not in text and "quarrington" not in text, event.action


def test_a_parent_deletes_a_live_booking_it_is_cancelled_then_erased(
    app, session, make, school, officer_user, smtp
):
    clinic = make.clinic(school, officer_user, slots=2, capacity=1)
    client = app.test_client()
    book_as_household(client, clinic.slots[0].id)
    booking = live_booking(session)
    token = manage_token(booking)
    page = client.get(f"/booking/{token}")
    assert "Delete my details" in page.get_data(as_text=True)
    smtp.clear()

    confirm = client.get(f"/booking/{token}/delete")
    assert confirm.status_code == 200
    assert "This also cancels your booking" in confirm.get_data(as_text=True)
    session.expire_all()
    assert session.get(Booking, booking.id).email == EMAIL  # opening the page changed nothing

    done = client.post(f"/booking/{token}/delete", data={"csrf_token": csrf_token(confirm)})
    assert done.status_code == 200
    assert "Your details have been deleted" in done.get_data(as_text=True)

    session.expire_all()
    erased = session.get(Booking, booking.id)
    assert erased.status == "cancelled" and erased.anonymised_at is not None
    assert erased.email is None and erased.parent_name is None and erased.phone is None
    assert session.get(type(clinic.slots[0]), clinic.slots[0].id).booked == 0
    (cancellation,) = smtp.to(EMAIL)
    assert "cancelled" in cancellation["Subject"].lower()
    calendar = [p for p in cancellation.walk() if p.get_content_type() == "text/calendar"]
    assert calendar and "METHOD:CANCEL" in calendar[0].get_content()
    assert _only_in_emails_still_to_go(find_everywhere())

    events = {e.action: e for e in session.scalars(sa.select(AuditEvent))}
    assert events["privacy.erase"].details["records"] >= 1
    _audit_holds_no_personal_data(session)

    for path in ("", "/move", "/cancel", "/invite.ics", "/delete"):
        gone = client.get(f"/booking/{token}{path}")
        assert gone.status_code == 410, path
        assert "These details have been deleted" in gone.get_data(as_text=True)
    assert client.post(f"/booking/{token}/cancel", data={}).status_code in (400, 410)


def test_after_the_clinic_deleting_leaves_nothing_at_all(
    app, session, make, school, officer_user, smtp
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    client = app.test_client()
    book_as_household(client, clinic.slots[0].id)
    booking = live_booking(session)
    session.execute(sa.update(Booking).where(Booking.id == booking.id).values(status="attended"))
    session.commit()
    move_back(session, clinic, 20)
    smtp.clear()

    response = post_form(client, f"/booking/{manage_token(booking)}/delete", {})
    assert response.status_code == 200
    assert smtp.to(EMAIL) == []  # nothing to cancel: no email
    assert find_everywhere() == []
    session.expire_all()
    assert session.get(Booking, booking.id).status == "attended"  # the count stays


def test_unsent_emails_are_withdrawn_and_never_sent(app, session, make, school, officer_user, smtp):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    booking = make.booking(clinic.slots[0], parent_name=NAME, email=EMAIL)
    session.execute(
        sa.insert(OutboxMessage).values(
            kind="booking_reminder",
            recipient=EMAIL,
            subject="Reminder",
            text_body=NAME,
            status="pending",
            attempts=1,
            attachments=[],
            next_attempt_at=utcnow(),
        )
    )
    session.commit()
    move_back(session, clinic, 20)

    post_form(app.test_client(), f"/booking/{manage_token(booking)}/delete", {})
    message = session.scalar(sa.select(OutboxMessage))
    session.refresh(message)
    assert message.status == "withdrawn" and message.text_body == "" and message.recipient == ""
    assert outbox.send_due(session).claimed == 0
    assert smtp.to(EMAIL) == []


def test_a_parent_deletes_their_waiting_list_place(app, session, make, school, officer_user):
    full = make.clinic(school, officer_user, slots=1, capacity=1)
    make.booking(full.slots[0])
    client = app.test_client()
    join_waitlist(client, full.id)
    entry = session.scalar(sa.select(WaitlistEntry))
    assert entry.consent_version == app.config["CONSENT_VERSION"]
    token = waitlist_token(entry)
    assert "Delete my details" in client.get(f"/booking/waitlist/{token}").get_data(as_text=True)

    response = post_form(client, f"/booking/waitlist/{token}/delete", {})
    assert response.status_code == 200
    session.expire_all()
    entry = session.get(WaitlistEntry, entry.id)
    assert entry.status == "removed" and entry.email is None
    assert find_everywhere() == []  # the joining email went before: it is blanked too
    assert client.get(f"/booking/waitlist/{token}").status_code == 410
    _audit_holds_no_personal_data(session)


def test_an_admin_finds_downloads_and_erases_everything_for_an_address(
    app, session, make, school, officer_user, admin_client, smtp
):
    upcoming = make.clinic(school, officer_user, slots=1, capacity=2)
    past = make.clinic(school, officer_user, slots=1, capacity=2, title="Earlier clinic")
    full = make.clinic(school, officer_user, slots=1, capacity=1, title="Full clinic")
    make.booking(full.slots[0])
    parent = app.test_client()
    book_as_household(parent, upcoming.slots[0].id)
    book_as_household(parent, past.slots[0].id)
    join_waitlist(parent, full.id)
    move_back(session, past, 30)
    make.booking(upcoming.slots[0], email="someone.else@example.net", parent_name="Other Parent")

    page = post_form(admin_client, "/admin/privacy", {"email": EMAIL.upper()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and NAME in html and "Other Parent" not in html
    assert "Bookings (2)" in html and "Waiting lists (1)" in html

    download = post_form(
        admin_client, "/admin/privacy/download.json", {"email": EMAIL}, page_url="/admin/privacy"
    )
    assert download.headers["Content-Disposition"].startswith("attachment")
    held = json.loads(download.get_data(as_text=True))
    assert {b["parent_name"] for b in held["bookings"]} == {NAME}
    assert len(held["bookings"]) == 2 and len(held["waiting_lists"]) == 1
    assert held["bookings"][0]["privacy_notice_version"] == app.config["CONSENT_VERSION"]
    assert len(held["emails"]) >= 3
    readable = post_form(
        admin_client, "/admin/privacy/download.html", {"email": EMAIL}, page_url="/admin/privacy"
    )
    assert NAME in readable.get_data(as_text=True)
    assert readable.headers["Content-Type"].startswith("text/html")

    confirm = post_form(
        admin_client, "/admin/privacy/erase", {"email": EMAIL}, page_url="/admin/privacy"
    )
    assert "Yes, delete it all" in confirm.get_data(as_text=True)
    assert _count(session, Booking.email.is_not(None)) == 4  # the first press changes nothing
    smtp.clear()
    done = admin_client.post(
        "/admin/privacy/erase",
        data={"email": EMAIL, "confirm": "yes", "csrf_token": csrf_token(confirm)},
    )
    assert done.status_code == 200 and "records deleted" in done.get_data(as_text=True)

    assert len(smtp.to(EMAIL)) == 1  # the upcoming booking's cancellation; the past one: none
    assert _only_in_emails_still_to_go(find_everywhere())
    assert _count(session, Booking.email.is_not(None)) == 2  # the other parents'
    actions = [e.action for e in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("privacy.access") == 3 and actions[-1] == "privacy.erase"
    for event in session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("privacy.%"))):
        assert set(event.details) == {"records"}
    _audit_holds_no_personal_data(session)

    # Once the cancellation's retention has passed, nothing at all is left.
    from clinic.privacy import purge

    purge.purge(session, now=utcnow() + timedelta(days=31))
    assert find_everywhere() == []


def _count(session, condition) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(Booking).where(condition))


def test_only_admins_reach_the_privacy_page(officer_client, client):
    assert officer_client.get("/admin/privacy").status_code in (403, 404)
    assert client.get("/admin/privacy").status_code in (302, 401, 403, 404)


def test_a_booking_cancelled_a_moment_before_is_still_erased(session, make, school, officer_user):
    from clinic.privacy import service as privacy

    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    booking = make.booking(clinic.slots[0], parent_name=NAME, email=EMAIL)
    # Another request cancels it while this one still holds the confirmed booking.
    session.execute(
        sa.update(Booking)
        .where(Booking.id == booking.id)
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    assert booking.status == "confirmed"
    assert privacy.erase_booking(session, booking, now=utcnow()) >= 1
    session.commit()
    assert find_everywhere() == []
