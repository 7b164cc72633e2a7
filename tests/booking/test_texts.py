"""'Also send me text messages' on the booking forms (parent's, staff's, the waiting list's):
a UK mobile is needed, bad numbers are told next to the field, the check page shows the
choice; and every message the issue names is texted to a household that ticked it."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from sqlalchemy import select

from clinic.booking.service import book_place
from clinic.links import waitlist_token
from clinic.manage import service as manage
from clinic.models import Booking, OutboxMessage, WaitlistEntry, utcnow
from clinic.waitlist import service as waitlist
from tests.booking.support import confirm, details, fill_form
from tests.conftest import sign_in
from tests.helpers import csrf_token

MOBILE = "+447700900982"


def sms(session, kind: str | None = None) -> list[OutboxMessage]:
    session.commit()
    query = select(OutboxMessage).where(OutboxMessage.channel == "sms").order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.scalars(query))


def phone_error(response) -> str:
    """The error message drawn next to the phone number box ('' when none)."""
    page = response.get_data(as_text=True)
    found = re.search(r'<p id="phone-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found[1])).split()) if found else ""


def test_a_parent_ticks_texts_and_sees_it_on_the_check_page(client, session, slot, notify):
    form = client.get(f"/book/{slot.id}").get_data(as_text=True)
    assert "Also send me text messages" in form
    assert 'name="texts"' in form

    response = fill_form(client, slot.id, phone="07700 900982", texts="y")
    assert response.status_code == 302
    check = client.get(f"/book/{slot.id}/check").get_data(as_text=True)
    assert "Text messages" in check and f"Yes, to {MOBILE}" in check
    assert f'href="/book/{slot.id}#texts"' in check  # the change link

    confirm(client, slot.id)
    booking = session.scalars(select(Booking)).one()
    assert (booking.phone, booking.texts) == (MOBILE, True)
    (sent,) = notify.sent
    assert sent["phone_number"] == MOBILE


def test_without_the_tick_nothing_is_texted_and_the_check_page_says_no(client, session, slot):
    fill_form(client, slot.id, phone="07700 900982")
    check = client.get(f"/book/{slot.id}/check").get_data(as_text=True)
    assert re.search(r"Text messages\s*</dt>\s*<dd[^>]*>\s*No\s*</dd>", check)
    confirm(client, slot.id)
    assert session.scalars(select(Booking)).one().texts is False
    assert sms(session) == []


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "Enter a UK mobile number to get text messages, or untick text messages"),
        ("020 7946 0000", "We can only text a UK mobile number"),  # a landline
        ("+33 6 12 34 56 78", "We can only text a UK mobile number"),  # a French mobile
        ("0800 123 4567", "We can only text a UK mobile number"),
    ],
)
def test_texts_need_a_uk_mobile_told_next_to_the_number(client, session, slot, phone, message):
    response = fill_form(client, slot.id, phone=phone, texts="y")
    assert response.status_code == 200
    assert phone_error(response).startswith("Error: " + message)
    page = response.get_data(as_text=True)
    assert 'href="#phone"' in page  # the error summary leads to the box
    assert session.scalars(select(Booking)).all() == []


def test_a_landline_is_still_fine_without_texts(client, session, slot):
    response = fill_form(client, slot.id, phone="020 7946 0000")
    assert response.status_code == 302


def test_staff_can_tick_texts_for_the_parent(app, session, slot, school_user, notify):
    staff = sign_in(app.test_client(), school_user)
    page = staff.get(f"/staff/book/{slot.id}").get_data(as_text=True)
    assert "Also send them text messages" in page
    response = fill_form(staff, slot.id, prefix="/staff", phone="07700900982", texts="y")
    assert response.status_code == 302, phone_error(response)
    confirm(staff, slot.id, prefix="/staff")
    booking = session.scalars(select(Booking)).one()
    assert booking.texts is True
    assert [s["phone_number"] for s in notify.sent] == [MOBILE]


def test_the_waiting_list_form_asks_too_and_the_offer_is_texted(
    client, session, make, school, officer, notify
):
    clinic = make.clinic(school, officer, slots=1, capacity=1)
    booked = make.booking(clinic.slots[0])
    path = f"/booking/clinics/{clinic.id}/waitlist"
    page = client.get(path)
    assert "Also send me text messages" in page.get_data(as_text=True)
    refused = client.post(
        path,
        data={
            "parent_name": "Wendy Waiting",
            "email": "wendy@example.net",
            "phone": "01632 960 001",
            "texts": "y",
            "child_years": ["Year 2"],
            "topics": ["tiktok"],
            "consent": "y",
            "csrf_token": csrf_token(page),
        },
    )
    assert phone_error(refused).startswith("Error: We can only text a UK mobile number")
    entry = waitlist.join(
        session, clinic, details(email="wendy@example.net", phone=MOBILE, texts=True)
    )
    session.commit()
    assert entry.texts is True

    manage.cancel_booking(session, booked, actor="parent")
    session.commit()

    (offer,) = sms(session, "waitlist_offer")
    assert offer.status == "sent" and offer.recipient == MOBILE
    assert waitlist_token(entry) in offer.text_body  # the offer's own link
    assert session.get(WaitlistEntry, entry.id).status == "offered"


# --- every message the issue names --------------------------------------------------------


@pytest.fixture
def texting(session, clinic, notify) -> Booking:
    booking = book_place(
        session,
        slot_id=clinic.slots[0].id,
        details=details(phone=MOBILE, texts=True),
        submission_id=str(uuid.uuid4()),
    )
    session.commit()
    return booking


def test_a_move_is_texted(session, clinic, texting, notify):
    manage.move_booking(session, texting, clinic.slots[1].id, actor="parent")
    session.commit()
    (moved,) = sms(session, "booking_moved")
    assert moved.status == "sent" and "has moved to" in moved.text_body


def test_a_cancellation_is_texted(session, texting, notify):
    manage.cancel_booking(session, texting, actor="parent")
    session.commit()
    (cancelled,) = sms(session, "booking_cancelled")
    assert cancelled.status == "sent" and "is cancelled" in cancelled.text_body


def test_the_reminder_is_texted(app, session, clinic, texting, notify):
    from clinic.booking.reminders import send_reminder

    assert send_reminder(session, texting.id, now=utcnow())
    session.commit()
    (reminder,) = sms(session, "booking_reminder")
    assert reminder.status == "sent" and reminder.text_body.startswith("Reminder:")


def test_still_coming_is_texted_with_its_link(app, session, texting, notify):
    from clinic.booking.still_coming import ask, still_coming_url

    assert ask(session, texting.id, now=utcnow())
    session.commit()
    (asked,) = sms(session, "still_coming")
    assert asked.status == "sent" and asked.text_body.startswith("Are you still coming")
    assert still_coming_url(texting) in asked.text_body
    assert notify.sent[-1]["personalisation"]["body"] == asked.text_body


def test_a_cancelled_clinic_is_texted(session, clinic, texting, officer, notify):
    from clinic.schedule import service as schedule

    schedule.cancel_clinic(
        session, officer, clinic, "The hall is flooded", expected_version=clinic.version
    )
    session.commit()
    (told,) = sms(session, "clinic_cancelled")
    assert told.status == "sent" and "is cancelled" in told.text_body


def test_a_changed_clinic_is_texted(session, clinic, texting, officer, notify):
    from clinic.schedule import service as schedule

    schedule.update_clinic(
        session,
        officer,
        clinic,
        schedule.ClinicDetails(clinic.title, clinic.description, "Main hall", clinic.date),
        expected_version=clinic.version,
        confirmed=True,
    )
    session.commit()
    (told,) = sms(session, "clinic_changed")
    assert told.status == "sent" and "has changed" in told.text_body
    assert told.recipient == MOBILE


def test_a_live_service_without_notify_does_not_offer_texts(app, client, slot):
    from clinic.ops import doctor

    app.config["PRODUCTION"] = True
    page = client.get(f"/book/{slot.id}").get_data(as_text=True)
    assert "Also send me text messages" not in page
    (finding,) = doctor.check_texts(app.config)
    assert finding.ok and "do not offer text messages" in finding.line()
