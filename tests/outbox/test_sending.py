"""Sending: retries with growing delays, giving up, stale claims, and safe claiming."""

import socket
import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clinic.extensions import db
from clinic.models import OutboxMessage, utcnow
from clinic.outbox import delivery
from clinic.outbox.delivery import describe_error, retry_delay, send_due

from .support import make_due, reload


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refused_email_waits_and_is_sent_once_the_server_is_back(session, smtp, queue):
    smtp.refuse = True
    message = queue()
    session.commit()  # the request that queued it carries on

    row = reload(session, message)
    assert row.status == "pending"
    assert row.attempts == 1
    assert "451" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert smtp.messages == []

    smtp.refuse = False
    assert send_due(session).claimed == 0  # not due yet
    make_due(session, message.id)
    counts = send_due(session)

    assert (counts.sent, counts.retrying, counts.failed) == (1, 0, 0)
    assert len(smtp.to("parent@example.org")) == 1
    row = reload(session, message)
    assert (row.status, row.attempts) == ("sent", 2)


def test_every_try_carries_the_same_message_id(session, smtp, queue):
    smtp.refuse = True
    message = queue()
    session.commit()
    smtp.refuse = False
    make_due(session, message.id)
    assert send_due(session).sent == 1

    refused, accepted = (message_from_bytes(e.content) for e in smtp.envelopes)
    assert refused["Message-ID"] == accepted["Message-ID"]
    assert refused["Message-ID"].startswith(f"<outbox.{message.id}.")
    [email] = smtp.messages
    assert email["Message-ID"] == accepted["Message-ID"]


def test_unreachable_server_counts_a_try_for_every_message(app, session, smtp, queue):
    app.config["MAIL_PORT"] = closed_port()
    first, second = queue(to="one@example.org"), queue(to="two@example.org")
    session.commit()

    for message in (first, second):
        row = reload(session, message)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "Could not connect to the mail server" in row.last_error
    assert smtp.messages == []


def test_gives_up_after_the_last_try(app, session, smtp, queue):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    smtp.refuse = True
    message = queue()
    session.commit()
    for expected in (2, 3):
        make_due(session, message.id)
        send_due(session)
        assert reload(session, message).attempts == expected

    row = reload(session, message)
    assert row.status == "failed"
    make_due(session, message.id)
    smtp.refuse = False
    assert send_due(session).claimed == 0  # failed messages wait for staff
    assert smtp.messages == []


def test_delays_grow_and_are_capped():
    minutes = [retry_delay(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 120, 120]


def test_errors_never_show_mail_credentials(app):
    app.config.update(MAIL_USERNAME="clinic-relay", MAIL_PASSWORD="hunter2-secret")
    error = describe_error(OSError("login clinic-relay with hunter2-secret refused\nagain"))
    assert "hunter2-secret" not in error
    assert "clinic-relay" not in error
    assert "\n" not in error


def test_stale_claims_are_taken_back_and_sent(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "off"
    stale, fresh = queue(to="stale@example.org"), queue(to="fresh@example.org")
    session.commit()
    for message, age in ((stale, timedelta(minutes=11)), (fresh, timedelta(minutes=1))):
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(status="sending", claimed_by="stopped-worker", claimed_at=utcnow() - age)
        )
    session.commit()

    counts = send_due(session)

    assert (counts.recovered, counts.sent) == (1, 1)
    assert len(smtp.to("stale@example.org")) == 1
    assert smtp.to("fresh@example.org") == []  # its sender may still be talking to SMTP
    assert (reload(session, stale).status, reload(session, stale).attempts) == ("sent", 2)
    assert reload(session, fresh).status == "sending"


def test_a_claim_never_takes_a_message_another_sender_holds(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "off"
    message = queue()
    session.commit()
    assert delivery._claim(session, "first", [message.id]) == [message.id]
    session.commit()

    # The second sender picked the same id before the first committed its claim.
    assert delivery._claim(session, "second", [message.id]) == []
    session.commit()
    assert reload(session, message).claimed_by == "first"


def test_a_slow_sender_whose_claim_was_taken_back_does_not_send_again(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "off"
    message = queue()
    session.commit()
    assert delivery._claim(session, "slow", [message.id]) == [message.id]
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(claimed_at=utcnow() - timedelta(minutes=11))
    )
    session.commit()
    assert send_due(session, worker_id="fast").sent == 1  # takes the stale claim and sends

    counts = delivery._deliver(session, [message.id], "slow")  # the slow sender carries on

    assert counts.claimed == 0
    assert len(smtp.messages) == 1
    assert reload(session, message).status == "sent"


def test_postgresql_senders_skip_rows_another_sender_has_locked(app, session, smtp, queue):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole transactions")
    app.config["OUTBOX_SEND_MODE"] = "off"
    message = queue()
    session.commit()

    with Session(db.engine) as other:
        other.execute(select(OutboxMessage).where(OutboxMessage.id == message.id).with_for_update())
        assert send_due(session).claimed == 0  # passes over it instead of waiting
    assert send_due(session).sent == 1


def test_concurrent_senders_send_each_message_exactly_once(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "off"
    total, senders = 30, 4
    for n in range(total):
        queue(to=f"parent{n}@example.org", subject=f"Message {n}")
    session.commit()
    start = threading.Barrier(senders)
    sent_by: dict[str, int] = {}
    errors = []

    def sender(name: str) -> None:
        try:
            with app.app_context(), Session(db.engine) as own_session:
                own_session.connection()  # connect first, so that the senders start together
                own_session.commit()
                start.wait()
                sent = 0
                while (counts := send_due(own_session, limit=3, worker_id=name)).claimed:
                    sent += counts.sent
                sent_by[name] = sent
        except Exception as exc:  # noqa: BLE001 - reported below; a thread cannot fail a test
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(f"sender-{n}",)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    received = Counter(email["Subject"] for email in smtp.messages)
    assert received == Counter({f"Message {n}": 1 for n in range(total)})
    assert sum(sent_by.values()) == total
    statuses = session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"] * total
