"""Queueing: the email commits with its cause, and arrives as mail clients expect it."""

import base64
import time
from email import message_from_bytes, policy
from pathlib import Path

import flask_mail
import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.extensions import mail
from clinic.links import external_url
from clinic.models import OutboxMessage
from clinic.outbox.queue import Attachment

from .support import ICS, reload


def count_messages(session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_email_with_invite_arrives_after_commit(session, smtp, queue):
    message = queue(to="parent@example.org", calendar=("request", ICS))
    session.flush()
    assert smtp.messages == []  # nothing leaves before the commit

    session.commit()

    [email] = smtp.to("parent@example.org")
    assert email["To"] == "parent@example.org"
    assert email["X-Envelope-To"] == "parent@example.org"
    assert email["From"] == "Parental controls clinics <clinics@example.org>"
    assert email["Subject"] == "Your booking"
    assert email["Date"] and email["Message-ID"]

    assert email.get_content_type() == "multipart/mixed"
    alternative, attachment = email.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert "Hello Alex." in text.get_content()
    assert "Your booking: http://localhost/" in text.get_content()
    assert html.get_content_type() == "text/html"
    assert '<a href="http://localhost/">Your booking</a>' in html.get_content()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_content().encode() == ICS

    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content() == ICS

    row = reload(session, message)
    assert row.status == "sent"
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.claimed_by is None


def test_every_email_is_a_flask_mail_message_sent_by_flask_mail(app, session, smtp, queue):
    assert app.extensions["mail"].suppress is False  # TestConfig turns Flask-Mail's default off
    with mail.record_messages() as dispatched:  # Flask-Mail's own signal, sent as it sends
        queue(to="parent@example.org", calendar=("request", ICS))
        session.commit()

    [message] = dispatched
    assert isinstance(message, flask_mail.Message)
    assert message.recipients == ["parent@example.org"]
    [email] = smtp.to("parent@example.org")
    assert email["Message-ID"] == message.msgId


NON_ASCII = "Café – Zoë’s school"


@pytest.mark.parametrize("template", ["test", "plain_only"])
def test_non_ascii_parts_travel_7_bit_and_read_back_the_same(session, smtp, queue, template):
    ics = ICS.replace(b"SUMMARY:Parental controls clinic", f"SUMMARY:{NON_ASCII}".encode())
    queue(template=template, context={"name": NON_ASCII}, subject=f"Your place at {NON_ASCII}")
    queue(
        to="invited@example.org",
        template=template,
        context={"name": NON_ASCII},
        calendar=("request", ics),
    )
    session.commit()

    assert len(smtp.envelopes) == 2
    for envelope in smtp.envelopes:
        # Every byte is 7-bit, so no relay needs 8BITMIME (and none was claimed).
        assert envelope.content.isascii()
        assert max(len(line) for line in envelope.content.splitlines()) <= 998
        assert "BODY=8BITMIME" not in envelope.mail_options
        email = message_from_bytes(envelope.content, policy=policy.default)
        for part in email.walk():
            if not part.is_multipart():
                assert part["Content-Transfer-Encoding"] in ("7bit", "quoted-printable", "base64")

    [plain] = smtp.to("parent@example.org")
    assert plain["Subject"] == f"Your place at {NON_ASCII}"
    assert f"{NON_ASCII}." in plain.get_body(("plain",)).get_content()
    [invited] = smtp.to("invited@example.org")
    bodies = {part.get_content_type(): part for part in invited.walk()}
    assert f"{NON_ASCII}." in bodies["text/plain"].get_content()
    if template == "test":
        assert f"<p>Hello {NON_ASCII}.</p>" in bodies["text/html"].get_content()
    assert bodies["text/calendar"].get_param("method") == "REQUEST"
    assert bodies["text/calendar"].get_content().encode() == ics
    assert bodies["application/ics"].get_content() == ics


def test_rollback_queues_and_sends_nothing(session, smtp, queue):
    queue()
    session.flush()
    session.rollback()
    session.commit()  # a later commit must not send what was rolled back

    assert count_messages(session) == 0
    assert smtp.messages == []


def test_html_body_is_left_out_when_there_is_no_html_template(session, smtp, queue):
    queue(template="plain_only")
    session.commit()

    [email] = smtp.messages
    assert email.get_content_type() == "text/plain"
    assert email.get_content().strip() == "Only text for Alex."


def test_text_template_is_required(session, queue):
    with pytest.raises(Exception, match="email/missing.txt"):
        queue(template="missing")


def test_attachments_are_delivered_byte_for_byte(session, smtp, queue):
    pdf = b"%PDF-1.4 \x00\xff attendance"
    queue(
        attachments=[
            Attachment("attendance.pdf", "application/pdf", pdf),
            Attachment("attendance.csv", "text/csv", b"name,year\r\nA,3\r\n"),
        ]
    )
    session.commit()

    [email] = smtp.messages
    files = {part.get_filename(): part for part in email.iter_attachments()}
    assert files["attendance.pdf"].get_content_type() == "application/pdf"
    assert files["attendance.pdf"].get_content() == pdf
    assert files["attendance.csv"].get_content_type() == "text/csv"
    assert files["attendance.csv"].get_payload(decode=True) == b"name,year\r\nA,3\r\n"

    stored = session.scalar(select(OutboxMessage.attachments))
    assert base64.b64decode(stored[0]["data"]) == pdf


@pytest.mark.parametrize(
    "to, subject",
    [
        ("one@example.org, two@example.org", "Hi"),
        ("one@example.org; two@example.org", "Hi"),
        ("one@example.org\nBcc: two@example.org", "Hi"),
        ("one@example.org\x00", "Hi"),
        ("", "Hi"),
        ("one@example.org", "\r\n"),
    ],
)
def test_one_recipient_and_one_line_headers_only(session, queue, to, subject):
    with pytest.raises(ValueError):
        queue(to=to, subject=subject)


def test_a_subject_with_a_line_break_is_sent_as_one_line(session, smtp, queue):
    """A subject comes from what staff typed (a clinic title): it is mended, not refused,
    so one stored line break cannot stop a parent's email (issue 12)."""
    queue(to="one@example.org", subject="Hi\r\nBcc: two@example.org")
    session.commit()

    (message,) = smtp.messages
    assert str(message["Subject"]) == "Hi Bcc: two@example.org"
    assert message["Bcc"] is None
    assert message["X-Envelope-To"] == "one@example.org"


def test_each_email_goes_to_its_own_recipient_only(session, smtp, queue):
    queue(to="first@example.org")
    queue(to="second@example.org")
    session.commit()

    assert len(smtp.messages) == 2
    for address in ("first@example.org", "second@example.org"):
        [email] = smtp.to(address)
        assert email["To"] == address
        assert email["X-Envelope-To"] == address
        assert "Cc" not in email and "Bcc" not in email


def test_external_url_uses_base_url_with_or_without_a_request(app):
    app.config["BASE_URL"] = "https://clinics.example.org/app"
    expected = "https://clinics.example.org/app/staff/set-password/abc"

    assert external_url("auth.set_password", token="abc") == expected
    with app.test_request_context("/", base_url="http://other-host.example"):
        assert external_url("auth.set_password", token="abc") == expected
    assert external_url("core.home", ref="email") == "https://clinics.example.org/app/?ref=email"


def test_off_mode_leaves_sending_to_the_worker(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "off"
    message = queue()
    session.commit()

    assert smtp.messages == []
    assert reload(session, message).status == "pending"


def test_without_a_mail_server_emails_are_written_as_eml_files(app, session, smtp, queue):
    app.config["MAIL_SERVER"] = ""
    message = queue(calendar=("REQUEST", ICS))
    session.commit()

    [path] = Path(app.config["MAIL_FILE_DIR"]).glob("*.eml")
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert email["To"] == "parent@example.org"
    assert email.get_body(("plain",)).get_content().startswith("Hello Alex.")
    assert reload(session, message).status == "sent"
    assert smtp.messages == []


def test_an_unknown_send_mode_stops_the_app_starting(app):
    with pytest.raises(ValueError, match="OUTBOX_SEND_MODE"):
        create_app({"OUTBOX_SEND_MODE": "later"})


def wait_for_status(session, message, wanted: str, seconds: float = 10) -> str:
    """Poll without holding a transaction (on SQLite that would keep the sender out)."""
    deadline = time.monotonic() + seconds
    while (status := reload(session, message).status) != wanted and time.monotonic() < deadline:
        session.commit()
        time.sleep(0.05)
    session.commit()
    return status


def test_after_commit_mode_sends_in_the_background(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "after_commit"
    message = queue()
    session.commit()

    assert wait_for_status(session, message, "sent") == "sent"
    assert len(smtp.to("parent@example.org")) == 1


def test_savepoints_neither_send_early_nor_forget(session, smtp, queue):
    """A savepoint released or rolled back inside the transaction sends nothing yet; the
    outer commit sends what was queued."""
    queue(subject="Before")
    session.flush()
    with session.begin_nested():
        pass
    try:
        with session.begin_nested():
            raise ValueError("rolled back")
    except ValueError:
        pass
    assert smtp.messages == []
    session.commit()
    assert [m["Subject"] for m in smtp.messages] == ["Before"]
