"""The mail server goes away, and an outbox worker dies mid-send (issue 12, rule 4).

Each test runs an SMTP server of its own (aiosmtpd on a free loopback port), not the
shared ``smtp`` fixture's, so it can stop it, start it again on the same port, or make it
slow.  What must hold: every email is delivered; each booking's exactly once when the
server was simply down; after a worker is killed, at most the one message it was sending
goes twice, with the same Message-ID (README: "What may be sent twice").
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from clinic.models import Booking, OutboxMessage, utcnow
from clinic.outbox.queue import queue_email
from clinic.outbox.sender import message_id
from tests.booking.support import book
from tests.conftest import ROOT

from .pgserver import free_port

pytestmark = pytest.mark.slow


class Relay:
    """An SMTP server that keeps what it accepted; ``delay`` seconds before each 250."""

    def __init__(self, port: int, delay: float = 0.0):
        self.port, self.delay = port, delay
        self.received: list = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def ids(self) -> Counter:
        return Counter(str(message["Message-ID"]) for message in self.received)


@pytest.fixture
def relay():
    server = Relay(free_port())
    yield server
    server.stop()


def _pending(session) -> int:
    """Messages not sent yet; the read ends at once (on SQLite it holds the write lock)."""
    session.commit()
    count = session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
    )
    session.commit()
    return count


def test_every_invite_is_delivered_once_after_the_mail_server_comes_back(
    app, session, make, school, officer_user, relay
):
    app.config["MAIL_PORT"] = relay.port  # nothing listens there yet: the server is down
    clinic = make.clinic(school, officer_user, slots=4, capacity=3)
    for n in range(12):  # a burst of parents, each with their own browser
        response = book(app.test_client(), clinic.slots[n % 4].id, email=f"parent{n}@example.net")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    bookings = session.scalars(select(Booking)).all()
    assert len(bookings) == 12  # every booking committed, with its email in the outbox
    assert _pending(session) == 12

    relay.start()  # the mail server is back, on the same port
    runner = app.test_cli_runner()
    for _ in range(10):  # bounded: each round is "later", when the retries are due
        if not _pending(session):
            break
        session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(1)))
        session.commit()
        result = runner.invoke(args=["outbox", "send"])
        assert result.exit_code in (0, 1), result.output
    assert _pending(session) == 0

    sender = app.config["MAIL_DEFAULT_SENDER"]
    expected = {
        message_id(row, sender): row.recipient for row in session.scalars(select(OutboxMessage))
    }
    assert relay.ids() == Counter(expected.keys())  # each one, exactly once
    delivered_to = sorted(str(m["To"]) for m in relay.received)
    assert delivered_to == sorted(b.email for b in bookings)
    for message in relay.received:
        assert any(p.get_content_type() == "text/calendar" for p in message.walk())


def _worker(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "ROBUST_DATABASE_URL": database_url,
        "ROBUST_MAIL_PORT": str(port),
        "CLINIC_CONFIG": "test",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "flask", "--app", "tests.robust.procapp"]
    return subprocess.Popen(
        [*command, "outbox", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_worker_killed_mid_send_loses_nothing(app, session, database_url, tmp_path):
    relay = Relay(free_port(), delay=0.4)  # slow: the kill lands in the middle of a batch
    relay.start()
    app.config["OUTBOX_SEND_MODE"] = "off"
    try:
        for n in range(8):
            queue_email(
                session,
                to=f"staff{n}@example.org",
                subject="Your account",
                template="staff_invite",
                context={"name": "Staff", "link": "http://localhost/x", "email": "x"},
                kind="test",
            )
        session.commit()

        first = _worker(database_url, relay.port)
        try:
            _wait(lambda: len(relay.received) >= 3, 60, "the first emails")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        session.commit()
        left = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.status != "sent")
        ).all()
        session.commit()
        assert left and set(left) <= {"sending", "pending"}  # the batch was cut short

        # Ten minutes later a claim with no progress is stale: the next worker takes it back.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending")
            .values(claimed_at=utcnow() - timedelta(minutes=11))
        )
        session.commit()
        second = _worker(database_url, relay.port)
        try:
            _wait(lambda: _pending(session) == 0, 90, "every message to be sent")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)

        sender = app.config["MAIL_DEFAULT_SENDER"]
        rows = session.scalars(select(OutboxMessage)).all()
        expected = {message_id(row, sender) for row in rows}
        received = relay.ids()
        assert set(received) == expected  # nothing lost
        twice = [mid for mid, count in received.items() if count > 1]
        # At most the one in flight when the worker died: the relay had said 250 (or was
        # about to) but the row was never marked sent.  Its copy has the same Message-ID.
        assert len(twice) <= 1 and all(received[mid] == 2 for mid in twice), received
    finally:
        relay.stop()
