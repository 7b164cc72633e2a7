"""Sending what a commit queued, right after the commit (``OUTBOX_SEND_MODE``).

Session hooks note the ids of new outbox rows as they are flushed, forget them when the
transaction rolls back, and once it commits hand them to ``clinic.outbox.delivery`` in a
session of its own (at once, in a thread, or not at all).  A failure here never reaches
the caller: the message stays queued and the worker sends it.

A cron command is a process that ends when its work is done, and a background thread
dies with it (the claim it took would then wait ``STALE_CLAIM`` before another sender
retried).  So inside ``held_for_the_end`` nothing is sent after each commit: the ids are
kept, and ``clinic.outbox.cli.sends_its_mail`` sends them, in the command's own process,
before it exits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import OutboxMessage
from .delivery import SendCounts, send_messages

log = logging.getLogger(__name__)

_NEW_IDS = "outbox_new_ids"
_HELD = "outbox_held_ids"


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
    if ids and (held := g.get(_HELD)) is not None:
        held.update(ids)
    elif ids:
        # The proxy's own method (werkzeug's), which mypy misses: Flask types current_app as Flask.
        send_soon(current_app._get_current_object(), sorted(ids))  # type: ignore[attr-defined]


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


@contextmanager
def held_for_the_end() -> Iterator[set[int]]:
    """Within this block (in an app context) what commits is not sent after its commit:
    the ids of the new messages gather in the set yielded, for the caller to send."""
    held: set[int] = set()
    outer = g.pop(_HELD, None)
    setattr(g, _HELD, held)
    try:
        yield held
    finally:
        g.pop(_HELD, None)
        if outer is not None:
            setattr(g, _HELD, outer)


def send_now(ids: Sequence[int]) -> SendCounts:
    """Send these messages in this process, in a session of its own, if still waiting."""
    with Session(db.engine) as session:
        return send_messages(session, ids)


def _send_in_own_session(app: Flask, ids: Sequence[int]) -> None:
    """The caller's session is mid-commit (or in another thread): use a session of our own."""
    try:
        with app.app_context(), Session(db.engine) as session:
            send_messages(session, ids)
    except Exception:  # the message stays queued; the worker will send it
        log.exception("Could not send outbox messages %s straight away", list(ids))


def listen() -> None:
    """Hook the three handlers into the app's session (once, however many apps are made)."""
    hooks: dict[str, Callable[..., None]] = {
        "after_flush": _remember_new_messages,
        "after_commit": _send_committed_messages,
        "after_rollback": _forget_new_messages,
    }
    for name, hook in hooks.items():
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)
