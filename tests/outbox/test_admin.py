"""The admin page of emails that could not be sent, and its "Try again" button."""

import pytest
from sqlalchemy import select

from clinic.models import AuditEvent
from clinic.outbox.delivery import send_due
from tests.helpers import csrf_token

from .support import make_due, reload

PAGE = "/admin/outbox/failed"


@pytest.fixture
def failed_message(app, session, smtp, queue):
    """An email the server refused until the service gave up (after 2 tries)."""
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    smtp.refuse = True
    message = queue(to="gave-up@example.org", subject="Booking confirmed")
    session.commit()
    make_due(session, message.id)
    send_due(session)
    smtp.refuse = False
    assert reload(session, message).status == "failed"
    return message


def retry_url(message) -> str:
    return f"/admin/outbox/{message.id}/retry"


def test_lists_failed_and_retrying_emails(session, smtp, queue, failed_message, admin_client):
    smtp.refuse = True
    queue(to="still-trying@example.org", subject="Reminder")
    session.commit()

    page = admin_client.get(PAGE)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Email problems" in html
    for text in ("gave-up@example.org", "Booking confirmed", "still-trying@example.org"):
        assert text in html
    assert "the mail server answered 451 Try again later" in html
    assert html.count("Try again<span") == 2


def test_page_says_when_there_is_nothing_wrong(admin_client):
    page = admin_client.get(PAGE)
    assert "There are no email problems." in page.get_data(as_text=True)


def test_try_again_sends_the_email(session, smtp, failed_message, admin_client, admin_user):
    page = admin_client.get(PAGE)
    response = admin_client.post(
        retry_url(failed_message), data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "The email to gave-up@example.org has been sent." in response.get_data(as_text=True)
    assert len(smtp.to("gave-up@example.org")) == 1
    row = reload(session, failed_message)
    assert (row.status, row.attempts) == ("sent", 1)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.retry"))
    assert (event.actor_id, event.object_id) == (admin_user.id, failed_message.id)


def test_try_again_tells_staff_when_it_fails_again(session, smtp, failed_message, admin_client):
    smtp.refuse = True
    page = admin_client.get(PAGE)
    response = admin_client.post(
        retry_url(failed_message), data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "could not be sent yet" in response.get_data(as_text=True)
    row = reload(session, failed_message)
    assert (row.status, row.attempts) == ("pending", 1)


def test_try_again_needs_the_form_token(session, smtp, failed_message, admin_client):
    response = admin_client.post(retry_url(failed_message), data={}, follow_redirects=True)

    assert "send the form again" in response.get_data(as_text=True)
    assert reload(session, failed_message).status == "failed"
    assert smtp.messages == []


def test_try_again_on_a_sent_email_changes_nothing(session, smtp, queue, admin_client):
    message = queue(to="done@example.org")
    session.commit()
    page = admin_client.get("/staff/sign-out")  # any page with a form has the session's token
    response = admin_client.post(
        retry_url(message), data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )

    assert "already being sent or has been sent" in response.get_data(as_text=True)
    assert len(smtp.to("done@example.org")) == 1


@pytest.mark.parametrize("who", ["officer_client", "school_client"])
def test_other_staff_get_not_found(request, who, failed_message):
    client = request.getfixturevalue(who)
    assert client.get(PAGE).status_code == 404
    assert client.post(retry_url(failed_message)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]
