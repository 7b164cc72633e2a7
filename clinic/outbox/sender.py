"""Turning an outbox row into a MIME email and handing it to the mail server (or a folder).

The email is built with the standard library's ``email.message.EmailMessage`` and sent
with ``smtplib`` rather than through Flask-Mail, for three reasons found in Flask-Mail
0.10's source:

- its ``Message`` makes each alternative part as ``text/<subtype>; charset=...`` with no
  way to add the ``method=REQUEST`` parameter that Gmail, Outlook and Apple Mail need on
  the ``text/calendar`` part before they show an invite with accept/decline buttons;
- its ``Connection`` opens the socket with no timeout (a silent relay would hang the
  worker for ever) and calls ``starttls()`` without an SSL context, so the relay's
  certificate is not checked;
- it suppresses sending whenever ``TESTING`` is on, and the tests deliver to a real SMTP
  server on loopback.

The settings are Flask-Mail's own (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``,
``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_DEFAULT_SENDER``), read
when a batch is sent so that a change of settings needs no new app.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path

from ..models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# Seconds to wait for the mail server at each step; keep well under the stale-claim limit.
SMTP_TIMEOUT = 30
INVITE_FILENAME = "invite.ics"


class MailServerUnavailable(Exception):
    """The mail server could not be reached at all, so no message in the batch can go."""


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME email for one outbox row, addressed to its one recipient only.

    With a calendar invite the layout is what the big mail clients recognise::

        multipart/mixed
          multipart/alternative
            text/plain
            text/html
            text/calendar; method=REQUEST   (shown inline as an invite)
          application/ics  invite.ics        (for clients that only offer attachments)
          ...other attachments
    """
    email = EmailMessage(policy=SMTP)
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message_id(message, sender)
    # Tells auto-responders (out-of-office replies) not to answer.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    if message.calendar_body:
        email.add_alternative(
            message.calendar_body, subtype="calendar", params={"method": message.calendar_method}
        )
        email.add_attachment(
            message.calendar_body.encode(),
            maintype="application",
            subtype="ics",
            filename=INVITE_FILENAME,
        )
    for item in message.attachments:
        maintype, _, subtype = item["content_type"].partition("/")
        email.add_attachment(
            base64.b64decode(item["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=item["filename"],
        )
    return email


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID on every try, so a repeat after a lost reply can be spotted."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<outbox.{message.id}.{stamp}@{domain}>"


class SmtpTransport:
    """One SMTP connection for a batch, opened on first use and reopened after an error."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, email: EmailMessage, outbox_id: int) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(email)
        except Exception:
            self.close()  # the session may be half-way through a command
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
        context = ssl.create_default_context()
        try:
            if config.get("MAIL_USE_SSL"):
                smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls(context=context)
            if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except (smtplib.SMTPException, OSError) as exc:
            raise MailServerUnavailable(
                f"Could not connect to the mail server at {host}:{port}"
                f" ({type(exc).__name__}: {exc})"
            ) from exc
        return smtp


class FileTransport:
    """Writes each email as a .eml file (the embedded default, when no MAIL_SERVER is set).

    A newcomer opens the files with any mail client to see exactly what would be sent."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> FileTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def send(self, email: EmailMessage, outbox_id: int) -> None:
        path = self.folder / f"{utcnow():%Y%m%d-%H%M%S}-{outbox_id:06d}.eml"
        path.write_bytes(email.as_bytes())
        log.info("Email written to %s (open it with any mail client)", path)


def open_transport(config) -> SmtpTransport | FileTransport:
    """SMTP when a MAIL_SERVER is set, otherwise .eml files under MAIL_FILE_DIR."""
    if config.get("MAIL_SERVER"):
        return SmtpTransport(config)
    return FileTransport(Path(config["MAIL_FILE_DIR"]))
