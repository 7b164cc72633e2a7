"""Sending what is due from the outbox table, with retries (design rule 4): emails, and
text messages (``channel`` "sms", through ``clinic.outbox.sms``) the same way.

Whatever was not sent right after its commit — the mail server was down, the process
stopped — ``send_due`` picks up later, with growing delays, until it is sent or marked
failed.

Claiming is safe with several senders at once on both databases: a sender first commits a
claim (a conditional UPDATE from 'pending' to 'sending') and only then talks SMTP, with no
transaction open.  On PostgreSQL the candidates are read with ``FOR UPDATE SKIP LOCKED`` so
senders take different rows instead of queueing behind each other; on SQLite every
transaction starts with ``BEGIN IMMEDIATE``, which lets one writer in at a time.
Delivery is at least once: a sender that dies between the SMTP reply and recording it
leaves a stale claim, and the message is sent again after ``STALE_CLAIM``.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, select, update
from sqlalchemy.orm import Session

from .. import batch
from ..models import OutboxMessage, Partnership, utcnow
from ..partnership import PartnershipSettings, settings_for
from ..rows import changed
from .sender import MailServerUnavailable, build_email, open_transport
from .sms import Text, TextRefused, TextTransports

log = logging.getLogger(__name__)

# A claim older than this belongs to a sender that stopped; the message goes back in the queue.
STALE_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
ERROR_LENGTH = 500


@dataclass
class SendCounts:
    """What one round of sending did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed

    @property
    def all_sent(self) -> bool:
        """Every message this round took was sent (none waits for a retry or failed)."""
        return not (self.retrying or self.failed)

    def __str__(self) -> str:
        text = f"Sent {self.sent}, will try again {self.retrying}, failed {self.failed}"
        if self.recovered:
            text += f", took back {self.recovered} left unfinished"
        return text + "."


def default_worker_id() -> str:
    """Names the sender in ``claimed_by``: host, process and thread."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def send_due(session: Session, *, limit: int = 50, worker_id: str | None = None) -> SendCounts:
    """Send up to ``limit`` messages whose time has come; safe with other senders running."""
    worker_id = worker_id or default_worker_id()
    recovered = recover_stale_claims(session)
    ids = _claim(session, worker_id, session.scalars(_due(limit)).all())
    session.commit()  # the claim is visible to other senders before any mail goes
    counts = _deliver(session, ids, worker_id)
    counts.recovered = recovered
    return counts


def send_messages(
    session: Session, ids: Iterable[int], *, worker_id: str | None = None
) -> SendCounts:
    """Send these messages now if they are still waiting (used right after they commit)."""
    worker_id = worker_id or default_worker_id()
    claimed = _claim(session, worker_id, ids)
    session.commit()
    return _deliver(session, claimed, worker_id)


def recover_stale_claims(session: Session) -> int:
    """Claims older than STALE_CLAIM go back to pending; the lost try counts as an attempt
    (so a message that kills its sender every time ends up failed, not looping)."""
    now = utcnow()
    attempts = OutboxMessage.attempts + 1
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(
            status=case((attempts >= _max_attempts(), "failed"), else_="pending"),
            attempts=attempts,
            next_attempt_at=now,
            claimed_by=None,
            claimed_at=None,
            last_error="Sending stopped before the mail server answered",
        )
        .execution_options(synchronize_session=False)
    )
    return changed(result)


def _due(limit: int):
    """Pending messages whose time has come, oldest first.

    ``FOR UPDATE SKIP LOCKED`` makes PostgreSQL senders pass over rows another sender is
    claiming instead of waiting for them.  SQLite has no row locks (SQLAlchemy leaves the
    clause out); there every transaction starts with ``BEGIN IMMEDIATE`` (see
    ``clinic/sqlite.py``), so one sender claims at a time.
    """
    return (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _claim(session: Session, worker_id: str, ids: Iterable[int]) -> list[int]:
    """Mark these messages as ours; the conditional UPDATE gives each row to one sender only,
    whatever the candidate list it was picked from.  The caller commits."""
    now = utcnow()
    claimed = []
    for message_id in ids:
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
            )
            .values(status="sending", claimed_by=worker_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if changed(result) == 1:
            claimed.append(message_id)
    return claimed


def _deliver(session: Session, ids: list[int], worker_id: str) -> SendCounts:
    """Send claimed messages one by one, recording each outcome as soon as it is known.

    Each message is a record of its own (``clinic.batch``): one that cannot be built or
    sent is recorded for a later try and the rest still go; a mail server that cannot be
    reached at all counts a try for each message left rather than waiting on each."""
    counts = SendCounts()
    run = batch.Run("outbox")
    config = current_app.config
    with open_transport(config) as transport, TextTransports(config) as texts:

        def send(session: Session, message_id: int) -> bool:
            if not _send_one(session, (transport, texts), message_id, worker_id):
                return False
            _record(session, message_id, worker_id, status="sent", sent_at=utcnow())
            counts.sent += 1
            return True

        def record_failure(session: Session, message_id: int, exc: Exception) -> None:
            _record_failure(session, message_id, worker_id, exc, counts)

        run.each(
            session,
            "outbox message",
            ids,
            send,
            stop_on=(MailServerUnavailable,),
            on_failure=record_failure,
        )
    return counts


def _send_one(session: Session, transports, message_id: int, worker_id: str) -> bool:
    """Send one claimed message; False if the claim was taken back as stale meanwhile.

    The claim is renewed first, so "stale" means no progress on this message for
    STALE_CLAIM, however long the batch before it took."""
    renewed = session.execute(
        update(OutboxMessage)
        .where(_still_ours(message_id, worker_id))
        .values(claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed(renewed) != 1:
        session.commit()
        return False
    message = session.get_one(OutboxMessage, message_id)
    transport, texts = transports
    if message.channel == "sms":
        text = Text(message.id, message.recipient, message.text_body)
        api_key = _settings_of(session, message).notify_api_key
        session.commit()  # no transaction stays open while Notify answers
        texts.send(text, api_key)
        return True
    # Its partnership's sender name (the address stays the installation's, so SPF and
    # DKIM still pass) and Reply-To; the installation's for its own mail.
    settings = _settings_of(session, message)
    email = build_email(message, settings.sender, reply_to=settings.reply_to)
    # No transaction stays open (on SQLite: no write lock held) while the mail server talks.
    session.commit()
    transport.send(email, message_id)
    return True


def _settings_of(session: Session, message: OutboxMessage) -> PartnershipSettings:
    partnership = (
        session.get(Partnership, message.partnership_id) if message.partnership_id else None
    )
    return settings_for(partnership)


def _record_failure(
    session: Session, message_id: int, worker_id: str, exc: Exception, counts: SendCounts
) -> None:
    """Count the try; wait longer before the next one, or give up after the last (or at
    once when the message can never go: a text Notify refused for good)."""
    # The row is there: this worker claimed it, and outbox rows are never deleted.
    attempts = session.execute(
        select(OutboxMessage.attempts).where(OutboxMessage.id == message_id)
    ).scalar_one()
    attempts += 1
    failed = attempts >= _max_attempts() or isinstance(exc, TextRefused)
    error = describe_error(exc)
    # The reason stays on the row for staff; the log gets no reply text (a relay's "550
    # <address> unknown" would put a parent's address in it).
    code = getattr(exc, "smtp_code", None)
    log.warning(
        "Outbox message %s not sent (try %s): %s%s",
        message_id,
        attempts,
        type(exc).__name__,
        f" {code}" if code else "",
    )
    _record(
        session,
        message_id,
        worker_id,
        status="failed" if failed else "pending",
        last_error=error,
        next_attempt_at=utcnow() + retry_delay(attempts),
    )
    if failed:
        counts.failed += 1
    else:
        counts.retrying += 1


def _record(session: Session, message_id: int, worker_id: str, **values) -> None:
    """Write an outcome and count the try, if the claim is still ours."""
    session.execute(
        update(OutboxMessage)
        .where(_still_ours(message_id, worker_id))
        .values(attempts=OutboxMessage.attempts + 1, claimed_by=None, claimed_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _still_ours(message_id: int, worker_id: str):
    """This sender's claim on the row; a claim taken back as stale belongs to another now."""
    return and_(
        OutboxMessage.id == message_id,
        OutboxMessage.status == "sending",
        OutboxMessage.claimed_by == worker_id,
    )


def retry_delay(attempts: int) -> timedelta:
    """1 minute after the first failure, then 2, 4, 8… up to LONGEST_RETRY."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def describe_error(exc: Exception) -> str:
    """A short, one-line reason for staff, with any mail credentials blanked out."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        if isinstance(reply, bytes):
            reply = reply.decode(errors="replace")
        text = f"{type(exc).__name__}: the mail server answered {exc.smtp_code} {reply}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    for secret in (
        current_app.config.get("MAIL_PASSWORD"),
        current_app.config.get("MAIL_USERNAME"),
        current_app.config.get("NOTIFY_API_KEY"),
    ):
        if secret:
            text = text.replace(secret, "***")
    return text[:ERROR_LENGTH]


def _max_attempts() -> int:
    return current_app.config["OUTBOX_MAX_ATTEMPTS"]
