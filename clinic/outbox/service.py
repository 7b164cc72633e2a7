"""Queueing and sending email through the outbox table (design rule 4).

A change that sends email calls ``queue_email`` with its own session; the message commits
with the change or not at all.  After the commit the app tries to send it at once
(``OUTBOX_SEND_MODE``); whatever is left — the mail server was down, the process stopped —
``send_due`` picks up later, with growing delays, until it is sent or marked failed.

Claiming is safe with several senders at once on both databases: a sender first commits a
claim (a conditional UPDATE from 'pending' to 'sending') and only then talks SMTP, with no
transaction open.  On PostgreSQL the candidates are read with ``FOR UPDATE SKIP LOCKED`` so
senders take different rows instead of queueing behind each other; on SQLite every
transaction starts with ``BEGIN IMMEDIATE``, which lets one writer in at a time.
Delivery is at least once: a sender that dies between the SMTP reply and recording it
leaves a stale claim, and the message is sent again after ``STALE_CLAIM``.
"""

from __future__ import annotations

import base64
import logging
import os
import smtplib
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import and_, case, event, select, update
from sqlalchemy.orm import Session

from .. import audit, batch
from ..extensions import db
from ..links import external_url
from ..models import OutboxMessage, User, utcnow
from ..rows import changed
from ..text import has_control, one_line
from .sender import MailServerUnavailable, build_email, open_transport

log = logging.getLogger(__name__)

# A claim older than this belongs to a sender that stopped; the message goes back in the queue.
STALE_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
ERROR_LENGTH = 500
SEND_MODES = ("sync", "after_commit", "off")
_NEW_IDS = "outbox_new_ids"


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (a PDF or CSV attendance list, for example)."""

    filename: str
    content_type: str
    data: bytes


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


# --- queueing -----------------------------------------------------------------------------


def queue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    kind: str,
    calendar: tuple[str, bytes] | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboxMessage:
    """Add an email to the session; it is sent once the caller commits (never before).

    The bodies come from ``templates/email/<template>.txt`` (required) and ``.html``
    (used when it exists).  ``calendar=(method, ics)`` adds an inline invite and an
    ``invite.ics`` attachment.  Links in the templates must come from ``external_url``.
    """
    # A subject is built from what staff typed (a clinic title, a school name): it is made
    # one line here, whatever was stored, so a line break can never add a header nor stop
    # the email.  An address cannot be mended that way: one that is not a single plain
    # address is refused (only a value written past the model's checks can be one).
    subject = one_line(subject)
    _check_header("to", to)
    _check_header("subject", subject)
    if "," in to or ";" in to:
        raise ValueError("an email goes to one recipient only")
    context = {**context, "subject": subject}
    message = OutboxMessage(
        kind=kind,
        recipient=to.strip(),
        subject=subject,
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=_render_optional(f"email/{template}.html", context),
        calendar_method=calendar[0].upper() if calendar else None,
        calendar_body=calendar[1].decode() if calendar else None,
        attachments=[_stored(item) for item in attachments],
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    return message


def _check_header(name: str, value: str) -> None:
    if not value or not value.strip() or has_control(value):
        raise ValueError(f"{name} must be one non-empty line")


def _render_optional(name: str, context: dict) -> str | None:
    try:
        template = current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return None
    return render_template(template, **context)


def _stored(item: Attachment) -> dict:
    return {
        "filename": item.filename,
        "content_type": item.content_type,
        "data": base64.b64encode(item.data).decode("ascii"),
    }


# --- sending right after the commit -------------------------------------------------------


def _remember_new_messages(session: Session, flush_context) -> None:
    """after_flush: note the ids of new outbox rows (they are only real once committed)."""
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if ids:
        session.info.setdefault(_NEW_IDS, set()).update(ids)


def _forget_new_messages(session: Session) -> None:
    """after_rollback: the rows are gone with the transaction.

    A savepoint rolled back keeps the list: rows queued before it still commit, and an id
    whose row was rolled back is simply not found when sending."""
    if not session.in_nested_transaction():
        session.info.pop(_NEW_IDS, None)


def _send_committed_messages(session: Session) -> None:
    """after_commit: try to send what this commit queued; a failure never reaches the caller.

    SQLAlchemy fires this when a savepoint is released too; nothing is committed then."""
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_NEW_IDS, None)
    if ids:
        send_soon(current_app._get_current_object(), sorted(ids))


def send_soon(app: Flask, ids: Sequence[int]) -> None:
    """Send these messages now, in the background, or not at all, as OUTBOX_SEND_MODE says."""
    mode = app.config["OUTBOX_SEND_MODE"]
    if mode == "sync":
        _send_in_own_session(app, ids)
    elif mode == "after_commit":
        thread = threading.Thread(
            target=_send_in_own_session, args=(app, ids), name="outbox-send", daemon=True
        )
        thread.start()


def _send_in_own_session(app: Flask, ids: Sequence[int]) -> None:
    """The caller's session is mid-commit (or in another thread): use a session of our own."""
    try:
        with app.app_context(), Session(db.engine) as session:
            send_messages(session, ids)
    except Exception:  # noqa: BLE001 - the message stays queued; the worker will send it
        log.exception("Could not send outbox messages %s straight away", list(ids))


def register(app: Flask) -> None:
    """Hook sending into the app's session and offer ``external_url`` to templates."""
    if app.config["OUTBOX_SEND_MODE"] not in SEND_MODES:
        raise ValueError(f"OUTBOX_SEND_MODE must be one of: {', '.join(SEND_MODES)}")
    app.add_template_global(external_url)
    hooks = {
        "after_flush": _remember_new_messages,
        "after_commit": _send_committed_messages,
        "after_rollback": _forget_new_messages,
    }
    for name, hook in hooks.items():
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)


def add_worker_job(app: Flask, job) -> None:
    """Have ``flask outbox worker`` run ``job(session)`` at the start of every round, before
    it sends what is due: work that ends in emails but is too slow for a request (building
    an attendance list's PDF).  A job commits its own work and is safe to run twice at once."""
    app.extensions.setdefault("outbox_worker_jobs", []).append(job)


def worker_jobs(app: Flask) -> list:
    return list(app.extensions.get("outbox_worker_jobs", []))


# --- sending what is due ------------------------------------------------------------------


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
    ``clinic/__init__.py``), so one sender claims at a time.
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
    with open_transport(current_app.config) as transport:

        def send(session: Session, message_id: int) -> bool:
            if not _send_one(session, transport, message_id, worker_id):
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


def _send_one(session: Session, transport, message_id: int, worker_id: str) -> bool:
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
    email = build_email(message, current_app.config["MAIL_DEFAULT_SENDER"])
    # No transaction stays open (on SQLite: no write lock held) while the mail server talks.
    session.commit()
    transport.send(email, message_id)
    return True


def _record_failure(
    session: Session, message_id: int, worker_id: str, exc: Exception, counts: SendCounts
) -> None:
    """Count the try; wait longer before the next one, or give up after the last."""
    attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == message_id))
    attempts += 1
    failed = attempts >= _max_attempts()
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
    ):
        if secret:
            text = text.replace(secret, "***")
    return text[:ERROR_LENGTH]


def _max_attempts() -> int:
    return current_app.config["OUTBOX_MAX_ATTEMPTS"]


# --- staff: problems and retries ----------------------------------------------------------


@dataclass
class Problems:
    """The two lists on the admin page."""

    failed: list[OutboxMessage]
    retrying: list[OutboxMessage]


def problems(session: Session, *, limit: int = 200) -> Problems:
    """Messages staff should know about: failed ones, and pending ones that have failed."""
    newest_first = (OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    failed = select(OutboxMessage).where(OutboxMessage.status == "failed")
    retrying = select(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.attempts > 0
    )
    return Problems(
        failed=list(session.scalars(failed.order_by(*newest_first).limit(limit))),
        retrying=list(session.scalars(retrying.order_by(*newest_first).limit(limit))),
    )


def retry(session: Session, message_id: int, *, actor: User) -> bool:
    """Put a failed or waiting message back in the queue for now, with a fresh set of tries.

    False when it is being sent or already sent: the conditional UPDATE keeps a sender
    that claimed it meanwhile from sending it twice.  The caller commits."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(("failed", "pending")))
        .values(status="pending", attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed(result) != 1:
        return False
    message = session.get_one(OutboxMessage, message_id)
    audit.record(session, actor, "outbox.retry", message, kind=message.kind)
    return True
