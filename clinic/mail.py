"""Flask-Mail, with the few things this service needs that Flask-Mail 0.10 does not do.

Flask-Mail is the mail layer: ``clinic.extensions.mail`` is the ``Mail`` below, the
``MAIL_*`` settings are Flask-Mail's own, and every email is a Flask-Mail ``Message`` sent by
a Flask-Mail ``Connection`` (headers, addresses, attachments, the SMTP conversation,
``MAIL_SUPPRESS_SEND`` and the ``email_dispatched`` signal are all Flask-Mail's).  Read
against Flask-Mail 0.10's source, these gaps are closed here and nowhere else:

``Message._mimetext`` (each text part: plain, html, calendar)
    Flask-Mail registers UTF-8 as an 8-bit body charset, so non-ASCII text went out as raw
    8-bit without ``BODY=8BITMIME`` (a relay without 8BITMIME may mangle it), and it has no
    way to put ``method=REQUEST``/``CANCEL`` on the ``text/calendar`` part, which Gmail,
    Outlook and Apple Mail need before they show an invite.  Here the standard library's
    ``EmailMessage.set_content`` makes the part under a 7-bit policy: ASCII with short lines
    stays ``7bit``, anything else becomes quoted-printable or base64 (whichever is shorter),
    and the calendar part gets its ``method``.
``Message._message``
    drops the ``multipart/mixed`` wrapper Flask-Mail puts around the alternatives even when
    nothing is attached, so such an email is plain ``multipart/alternative``.
``Connection.configure_host``
    Flask-Mail opens the socket with no timeout (a silent relay would hang the outbox worker
    for ever) and calls ``starttls()`` without an SSL context (the relay's certificate is not
    checked).  Here the socket has ``MAIL_TIMEOUT``, and STARTTLS (``MAIL_USE_TLS``) and
    implicit TLS (``MAIL_USE_SSL``) use ``ssl.create_default_context()``: the certificate and
    host name are verified against the system's trusted CAs, or against ``MAIL_CA_FILE`` alone
    when it is set (a relay with a private CA).
``Connection.__exit__``
    closes the socket when the relay has already hung up, instead of raising from ``QUIT``
    (which would hide the relay's own answer).
``Mail.connect``
    reads the settings when a connection opens (once per outbox batch), not once at start,
    so a changed setting needs no new app.

Two of these override Flask-Mail's underscore methods: the version is pinned in
requirements.txt, tests/core/test_library_seams.py fails when any method overridden here
changes its signature or source, and tests/outbox (test_queue.py, test_relay.py) fail if an
upgrade changes what the emails look like.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.policy import SMTP
from typing import cast

import flask_mail
from flask import current_app

# RFC 5322 lines, CRLF, and no 8-bit bodies: set_content then picks 7bit, QP or base64.
SEVEN_BIT = SMTP.clone(cte_type="7bit")


class Message(flask_mail.Message):
    """A Flask-Mail message whose text parts are 7-bit safe and whose calendar part (the
    ``calendar`` entry of ``alts``) carries ``calendar_method``."""

    def __init__(self, *args, calendar_method: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar_method = calendar_method

    # Flask-Mail declares MIMEText, but its _message only attaches the part to a multipart
    # or sends it as it is, which any email Message (EmailMessage here) can be.
    def _mimetext(  # type: ignore[override]
        self, text: str | None, subtype: str = "plain"
    ) -> EmailMessage:
        params = {}
        if subtype == "calendar" and self.calendar_method:
            params["method"] = self.calendar_method
        part = EmailMessage(policy=SEVEN_BIT)
        part.set_content(text or "", subtype, charset=self.charset or "utf-8", params=params)
        return part

    def _message(self):
        message = super()._message()
        if self.alts and not self.attachments:
            # With alternatives and no attachment, Flask-Mail's message is a multipart whose
            # one part is the multipart/alternative (a list payload; the stubs allow a str).
            (alternative,) = cast("list[MIMEBase]", message.get_payload())
            message.set_payload(alternative.get_payload())
            message.set_type("multipart/alternative")
        return message


class Connection(flask_mail.Connection):
    """A Flask-Mail connection with a timeout and a checked certificate."""

    def __init__(self, mail, *, timeout: float, ca_file: str | None):
        super().__init__(mail)
        self.timeout = timeout
        self.ca_file = ca_file

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        context = ssl.create_default_context(cafile=self.ca_file)
        host: smtplib.SMTP  # SMTP_SSL is one
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=self.timeout, context=context)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=self.timeout)
        try:
            host.set_debuglevel(int(mail.debug))
            if mail.use_tls and not mail.use_ssl:  # STARTTLS; already encrypted with SSL
                host.starttls(context=context)
            if mail.username and mail.password:
                host.login(mail.username, mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, *exc_info) -> None:
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()
            self.host = None


class Mail(flask_mail.Mail):
    """Flask-Mail's extension, handing out the connection above with today's settings."""

    def connect(self) -> Connection:
        app = current_app
        return Connection(
            self.init_mail(app.config, app.debug, app.testing),
            timeout=app.config["MAIL_TIMEOUT"],
            ca_file=app.config.get("MAIL_CA_FILE") or None,
        )
