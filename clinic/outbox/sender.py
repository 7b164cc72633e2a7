"""Turning an outbox row into an email and handing it to the mail server (or a folder).

Flask-Mail is the mail layer: each row becomes a Flask-Mail ``Message`` and goes out
through a Flask-Mail ``Connection`` from ``clinic.extensions.mail``, configured by
Flask-Mail's settings (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_USE_SSL``,
``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_DEFAULT_SENDER``, ``MAIL_SUPPRESS_SEND``) plus
``MAIL_TIMEOUT`` and ``MAIL_CA_FILE``.  ``clinic/mail.py`` holds the small
subclasses that close Flask-Mail's gaps: a ``method`` on the calendar part, 7-bit safe text
parts, and a connection with a timeout and a checked certificate.

This module adds what is the outbox's own: the same Message-ID on every try, one connection
per batch (opened on first use, reopened after an error), ``MailServerUnavailable`` when the
server cannot be reached at all, and ``.eml`` files under ``MAIL_FILE_DIR`` when no
``MAIL_SERVER`` is set.
"""

from __future__ import annotations

import base64
import logging
import smtplib
from contextlib import ExitStack
from email.utils import parseaddr
from pathlib import Path

from ..extensions import mail
from ..mail import Connection, Message
from ..models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

INVITE_FILENAME = "invite.ics"


class MailServerUnavailable(Exception):
    """The mail server could not be reached at all, so no message in the batch can go."""


def build_email(message: OutboxMessage, sender: str, *, reply_to: str | None = None) -> Message:
    """The email for one outbox row, addressed to its one recipient only.

    ``reply_to`` (``MAIL_REPLY_TO``) is a mailbox people read: with it every email has a
    Reply-To header, so a parent's reply to any email reaches the team even when the sender
    is an unread address.  Without it no Reply-To is set, and the pages do not promise
    that a reply is read (``templates/core/accessibility.html``).

    With a calendar invite the layout is what the big mail clients recognise::

        multipart/mixed
          multipart/alternative
            text/plain
            text/html
            text/calendar; method=REQUEST   (shown inline as an invite)
          application/ics  invite.ics        (for clients that only offer attachments)
          ...other attachments
    """
    email = Message(
        subject=message.subject,
        recipients=[message.recipient],
        sender=sender,
        body=message.text_body,
        html=message.html_body,
        reply_to=reply_to,
        # Tells auto-responders (out-of-office replies) not to answer.
        extra_headers={"Auto-Submitted": "auto-generated"},
        calendar_method=message.calendar_method,
    )
    email.msgId = message_id(message, sender)
    if message.calendar_body:
        email.alts["calendar"] = message.calendar_body  # after html: the parts keep this order
        email.attach(INVITE_FILENAME, "application/ics", message.calendar_body.encode())
    for item in message.attachments:
        email.attach(item["filename"], item["content_type"], base64.b64decode(item["data"]))
    return email


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID on every try, so a repeat after a lost reply can be spotted."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<outbox.{message.id}.{stamp}@{domain}>"


class SmtpTransport:
    """One Flask-Mail connection for a batch, opened on first use and reopened after an error."""

    def __init__(self, config):
        self.config = config
        self.connection: Connection | None = None
        self._open = ExitStack()

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, email: Message, outbox_id: int) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send(email)
        except Exception:
            self.close()  # the session may be half-way through a command
            raise

    def close(self) -> None:
        self.connection = None
        self._open.close()  # QUIT, or just close the socket if the server has gone

    def _connect(self) -> Connection:
        try:
            return self._open.enter_context(mail.connect())
        except (smtplib.SMTPException, OSError) as exc:
            host, port = self.config["MAIL_SERVER"], self.config["MAIL_PORT"]
            raise MailServerUnavailable(
                f"Could not connect to the mail server at {host}:{port}"
                f" ({type(exc).__name__}: {exc})"
            ) from exc


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

    def send(self, email: Message, outbox_id: int) -> None:
        path = self.folder / f"{utcnow():%Y%m%d-%H%M%S}-{outbox_id:06d}.eml"
        path.write_bytes(email.as_bytes())
        log.info("Email written to %s (open it with any mail client)", path)


def open_transport(config) -> SmtpTransport | FileTransport:
    """SMTP when a MAIL_SERVER is set, otherwise .eml files under MAIL_FILE_DIR."""
    if config.get("MAIL_SERVER"):
        return SmtpTransport(config)
    return FileTransport(Path(config["MAIL_FILE_DIR"]))
