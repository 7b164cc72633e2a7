"""Text messages through the outbox to a Notify-compatible API on loopback (tests/fake_notify.py):
what is texted and to whom, the request Notify gets, its errors (retried or failed), the
files written without a key, and that no number or body reaches a log."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from clinic.booking.service import book_place
from clinic.extensions import db
from clinic.models import Booking, OutboxMessage
from clinic.notices import manage_url
from clinic.outbox.delivery import send_due
from tests.booking.support import details
from tests.outbox.support import make_due, reload

MOBILE = "+447700900982"


@pytest.fixture
def clinic(make, school, officer_user):
    return make.clinic(school, officer_user, slots=3, capacity=2)


def book(session, clinic, **changes) -> Booking:
    booking = book_place(
        session,
        slot_id=clinic.slots[0].id,
        details=details(**{"phone": MOBILE, "texts": True, **changes}),
        submission_id=str(uuid.uuid4()),
    )
    session.commit()
    return booking


def texts(session, kind: str | None = None) -> list[OutboxMessage]:
    session.commit()
    query = select(OutboxMessage).where(OutboxMessage.channel == "sms").order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.scalars(query))


def test_a_booking_is_texted_through_notify_with_its_link(session, clinic, notify, smtp):
    booking = book(session, clinic)

    (message,) = texts(session, "booking_confirmed")
    assert message.status == "sent"
    assert message.recipient == MOBILE
    (sent,) = notify.sent
    assert sent["phone_number"] == MOBILE
    assert sent["template_id"] == notify.template_id
    assert sent["reference"] == f"outbox-{message.id}"
    body = sent["personalisation"]["body"]
    assert body == message.text_body
    assert manage_url(booking) in body and "lang=en" in body
    assert clinic.school.name in body and booking.reference in body
    assert len(body) <= 3 * 153 + 20  # about three fragments, with the link
    # the email went too
    assert smtp.to(booking.email)


def test_nothing_is_texted_without_the_tick(session, clinic, notify):
    book(session, clinic, texts=False)
    assert texts(session) == []
    assert notify.sent == []


def test_the_text_is_in_the_households_language(session, clinic, notify):
    book(session, clinic, language="pl")
    (sent,) = notify.sent
    assert "lang=pl" in sent["personalisation"]["body"]


@pytest.mark.parametrize("status", [429, 500])
def test_notify_busy_or_failing_is_tried_again_later(session, clinic, notify, status):
    notify.fail_next(status)
    book(session, clinic)

    (message,) = texts(session)
    assert message.status == "pending"
    assert message.attempts == 1
    assert str(status) in message.last_error
    assert notify.sent == []

    make_due(session, message.id)
    counts = send_due(session)
    assert counts.sent == 1
    message = reload(session, message)
    assert message.status == "sent"
    # the same reference on the retry: Notify's records show it is the same text
    assert [r["body"]["reference"] for r in notify.requests] == [f"outbox-{message.id}"] * 2


@pytest.mark.parametrize(
    ("status", "words"),
    [(400, "phone_number Not a UK mobile number"), (403, "Invalid token")],
)
def test_a_refused_text_fails_at_once_and_staff_see_it(
    session, clinic, notify, admin_client, status, words
):
    notify.fail_next(status)
    book(session, clinic)

    (message,) = texts(session)
    assert message.status == "failed"
    assert message.attempts == 1
    assert f"GOV.UK Notify answered {status}: {words}" in message.last_error
    page = admin_client.get("/admin/outbox/failed").get_data(as_text=True)
    assert MOBILE in page and "Text message: booking_confirmed" in page
    # never picked up again
    make_due(session, message.id)
    assert send_due(session).claimed == 0


def test_a_wrong_secret_is_refused_by_notify_and_fails(session, clinic, notify, app):
    app.config["NOTIFY_API_KEY"] = f"clinics_test-{notify.service_id}-{uuid.uuid4()}"
    book(session, clinic)
    (message,) = texts(session)
    assert message.status == "failed"
    assert "403" in message.last_error
    assert app.config["NOTIFY_API_KEY"] not in message.last_error


def test_without_a_key_texts_are_written_as_files(session, clinic, app):
    book(session, clinic)
    (message,) = texts(session)
    assert message.status == "sent"
    (written,) = Path(app.config["SMS_FILE_DIR"]).glob("*.txt")
    content = written.read_text()
    assert f"To: {MOBILE}" in content and message.text_body in content


def test_no_number_or_text_reaches_the_log(session, clinic, notify, caplog):
    caplog.set_level(logging.DEBUG)
    notify.fail_next(400)
    book(session, clinic)
    notify.fail_next(500)
    booking = session.scalars(select(Booking)).one()
    from clinic.manage.service import cancel_booking

    cancel_booking(session, booking, actor="parent")
    session.commit()
    bodies = [m.text_body for m in texts(session)]
    assert len(bodies) == 2
    logged = caplog.text
    assert caplog.records  # the failures were logged
    for secret in (MOBILE, "7700900982", "7700 900982", *bodies, notify.secret):
        assert secret not in logged
    for body in bodies:
        assert body.splitlines()[0] not in logged


def test_a_text_and_its_email_commit_with_the_booking_or_not_at_all(session, clinic, notify):
    """A booking rolled back leaves no text behind (rule 4)."""
    book_place(
        session,
        slot_id=clinic.slots[0].id,
        details=details(phone=MOBILE, texts=True),
        submission_id=str(uuid.uuid4()),
    )
    session.flush()
    session.rollback()
    assert texts(session) == []
    assert notify.sent == []
    assert db.session.scalars(select(Booking)).all() == []
