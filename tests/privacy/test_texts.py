"""Texts and the mobile number under the privacy rules: the subject-access export lists
the texts, erasure withdraws unsent ones and blanks sent ones, the purge blanks old ones."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from clinic.links import manage_token
from clinic.models import OutboxMessage, utcnow
from clinic.privacy.purge import purge
from tests.booking.conftest import move_back
from tests.booking.support import book
from tests.helpers import post_form
from tests.privacy.support import EMAIL, IDENTITY, find_everywhere, live_booking

MOBILE_TYPED = "07700 900321"
NEEDLES = ("7700900321", "7700 900321")


def book_with_texts(client, slot_id: int) -> None:
    typed = ("parent_name", "email", "other_topic", "access_needs")
    response = book(
        client,
        slot_id,
        **{name: IDENTITY[name] for name in typed},
        phone=MOBILE_TYPED,
        texts="y",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def sms(session) -> list[OutboxMessage]:
    session.commit()
    return list(
        session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.channel == "sms")
            .order_by(OutboxMessage.id)
        )
    )


def test_the_export_lists_the_texts(app, session, make, school, officer_user, admin_client):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    book_with_texts(app.test_client(), clinic.slots[0].id)
    (text,) = sms(session)

    download = post_form(
        admin_client, "/admin/privacy/download.json", {"email": EMAIL}, page_url="/admin/privacy"
    )
    held = json.loads(download.get_data(as_text=True))
    (listed,) = held["text_messages"]
    assert listed["to"] == "+447700900321" and listed["text"] == text.text_body
    assert held["bookings"][0]["texts"] is True
    assert all("Text message" not in e["subject"] for e in held["emails"])
    page = post_form(admin_client, "/admin/privacy", {"email": EMAIL})
    assert "Text messages we sent or will send (1)" in page.get_data(as_text=True)


def test_erasing_after_the_clinic_leaves_no_number_or_text(
    app, session, make, school, officer_user
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    client = app.test_client()
    book_with_texts(client, clinic.slots[0].id)
    booking = live_booking(session)
    assert find_everywhere(needles=NEEDLES)  # the number is held: booking and text
    move_back(session, clinic, 20)
    # a text still waiting (Notify was down) is withdrawn, never sent
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.channel == "sms")
        .values(status="pending", next_attempt_at=utcnow() + timedelta(hours=1))
    )
    session.commit()

    response = post_form(client, f"/booking/{manage_token(booking)}/delete", {})
    assert response.status_code == 200

    assert find_everywhere(needles=NEEDLES) == []
    (text,) = sms(session)
    assert text.status == "withdrawn" and text.recipient == "" and text.text_body == ""


def test_the_purge_blanks_old_texts(app, session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=1, capacity=2)
    book_with_texts(app.test_client(), clinic.slots[0].id)
    (text,) = sms(session)
    assert text.status == "sent"
    later = utcnow() + timedelta(days=app.config["PRIVACY_KEEP_SENT_EMAIL_DAYS"] + 1)
    purge(session, now=later)
    session.commit()
    (text,) = sms(session)
    assert text.recipient == "" and text.text_body == "" and text.purged_at is not None
