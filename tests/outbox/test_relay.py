"""The connection to the relay: its certificate is checked on STARTTLS and on implicit TLS,
a relay that goes quiet times out, and one that hangs up costs one message a try, not the batch.

Real TLS SMTP servers on loopback (aiosmtpd) with a self-signed certificate made for this run
by ``openssl req`` (no key is kept in the repository)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from clinic.extensions import mail
from clinic.outbox.delivery import send_due
from tests.conftest import IN_CI

from .support import make_due, reload


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Certificate:
    cert: Path
    key: Path


def make_certificate(folder: Path, names: str) -> Certificate:
    """A self-signed certificate for ``names`` (a subjectAltName value), with its key."""
    if shutil.which("openssl") is None:
        message = (
            "the TLS relay tests make their certificate with openssl (apt-get install openssl)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    cert, key = folder / "relay.pem", folder / "relay.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=Test relay", "-addext", f"subjectAltName={names}"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Certificate:
    """The relay's own certificate: for 127.0.0.1, where the tests reach it."""
    return make_certificate(tmp_path_factory.mktemp("relay-tls"), "IP:127.0.0.1")


@pytest.fixture(scope="module")
def other_host_certificate(tmp_path_factory) -> Certificate:
    """A certificate for some other host name."""
    return make_certificate(tmp_path_factory.mktemp("other-tls"), "DNS:relay.example.org")


@dataclass
class Received:
    """What a TLS relay was handed: (recipients, whether the session was encrypted)."""

    emails: list[tuple[list[str], bool]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.emails.append((envelope.rcpt_tos, encrypted))
        return "250 Message accepted for delivery"


@dataclass
class Relay:
    port: int
    settings: dict
    received: Received


@pytest.fixture(params=["starttls", "ssl"])
def tls_relay(request):
    """Starts a relay on loopback that speaks STARTTLS (and refuses mail without it) or
    implicit TLS, with the given certificate."""
    controllers = []

    def start(certificate: Certificate) -> Relay:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate.cert, certificate.key)
        received, port = Received(), free_port()
        if request.param == "starttls":
            controller = Controller(
                received,
                hostname="127.0.0.1",
                port=port,
                tls_context=context,
                require_starttls=True,
            )
            settings = {"MAIL_USE_TLS": True, "MAIL_USE_SSL": False}
        else:
            controller = Controller(received, hostname="127.0.0.1", port=port, ssl_context=context)
            settings = {"MAIL_USE_TLS": False, "MAIL_USE_SSL": True}
        controller.start()
        controllers.append(controller)
        return Relay(port, {"MAIL_PORT": port, **settings}, received)

    yield start
    for controller in controllers:
        controller.stop()


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(
    app, session, queue, tls_relay, certificate
):
    relay = tls_relay(certificate)
    app.config.update(relay.settings)  # MAIL_CA_FILE unset: the system's CAs only
    message = queue()
    session.commit()

    row = reload(session, message)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Could not connect to the mail server" in row.last_error
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert relay.received.emails == []


def test_a_relay_whose_certificate_is_trusted_gets_the_mail_encrypted(
    app, session, queue, tls_relay, certificate
):
    relay = tls_relay(certificate)
    app.config.update(relay.settings, MAIL_CA_FILE=str(certificate.cert))
    message = queue(to="parent@example.org")
    session.commit()

    assert reload(session, message).status == "sent"
    assert relay.received.emails == [(["parent@example.org"], True)]


def test_a_trusted_certificate_for_another_host_name_is_refused(
    app, session, queue, tls_relay, other_host_certificate
):
    relay = tls_relay(other_host_certificate)
    app.config.update(relay.settings, MAIL_CA_FILE=str(other_host_certificate.cert))
    message = queue()
    session.commit()

    row = reload(session, message)
    assert row.status == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error and "127.0.0.1" in row.last_error
    assert relay.received.emails == []


def test_a_relay_that_never_answers_times_out(app, session, queue):
    with socket.socket() as silent:  # the kernel accepts the connection; nobody says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config.update(MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=0.5)
        started = time.monotonic()
        message = queue()
        session.commit()
        waited = time.monotonic() - started

    row = reload(session, message)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Could not connect to the mail server" in row.last_error
    assert "timed out" in row.last_error
    assert waited < 5


class HangsUpOnce:
    """A relay that answers the first message with 421 and closes the connection."""

    def __init__(self):
        self.emails: list[list[str]] = []
        self.hung_up = False

    async def handle_DATA(self, server, session, envelope):
        if not self.hung_up:
            self.hung_up = True
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.3.2 Shutting down"
        self.emails.append(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def test_a_relay_that_hangs_up_fails_one_message_and_the_batch_goes_on(app, session, queue):
    relay, port = HangsUpOnce(), free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_PORT=port, OUTBOX_SEND_MODE="off")
        first, second = queue(to="one@example.org"), queue(to="two@example.org")
        session.commit()
        make_due(session, first.id, second.id)

        counts = send_due(session)
    finally:
        controller.stop()

    assert (counts.sent, counts.retrying) == (1, 1)
    row = reload(session, first)
    assert row.status == "pending"
    assert "421" in row.last_error and "Shutting down" in row.last_error  # not QUIT's failure
    assert reload(session, second).status == "sent"
    assert relay.emails == [["two@example.org"]]  # on a new connection


def test_the_smtp_conversation_is_never_printed_even_in_debug_mode(app):
    app.debug = True  # Flask-Mail's MAIL_DEBUG would follow it, printing parents' details
    assert mail.connect().mail.debug == 0
