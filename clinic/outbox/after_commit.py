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

``after_the_answer`` goes one step further for a page whose answer must not depend on what
the work finds ("Forgotten your password?": an account or not): the whole step — looking
the address up, writing the email, committing it — runs once the answer is on its way, so
the page takes the same time for everyone.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, after_this_request, current_app, g, has_request_context
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


_BACKGROUND: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
ANSWER_WAIT = 60  # seconds


def after_the_answer(work: Callable[..., Any], *args: Any) -> None:
    """Run ``work(session, *args)`` once the answer has gone, in a background thread with an
    app context and a session of its own, then commit it and send what it queued.

    The thread waits until the server has sent the answer and closed it (WSGI's ``close``,
    which gunicorn and every server call), so the work never competes with the answer for
    the interpreter: the answer takes the same time whatever the work finds.  With
    ``OUTBOX_SEND_MODE=sync`` (the tests') it runs here and now, before the answer, as
    everything is sent then.

    A failure is logged (without ``args``: they may be an address someone typed) and the
    step is lost: the person asks again."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["OUTBOX_SEND_MODE"] == "sync":
        _run_in_own_context(app, work, args, None)
        return
    answered = threading.Event()
    if has_request_context():

        @after_this_request
        def when_sent(response: Response) -> Response:
            response.call_on_close(answered.set)
            return response

    else:
        answered.set()
    thread = threading.Thread(
        target=_run_in_own_context,
        args=(app, work, args, answered),
        name="after-answer",
        daemon=True,
    )
    _BACKGROUND.add(thread)
    thread.start()


def _run_in_own_context(
    app: Flask, work: Callable[..., Any], args: tuple, answered: threading.Event | None
) -> None:
    if answered is not None:
        answered.wait(ANSWER_WAIT)  # a server that never closes it: run anyway
    try:
        with app.app_context():
            with held_for_the_end() as queued:
                work(db.session, *args)
                db.session.commit()
            if queued and app.config["OUTBOX_SEND_MODE"] != "off":
                send_now(sorted(queued))  # already in the background: no thread more
    except Exception:  # what was committed stays queued; the worker sends it
        log.exception("Could not finish %s after answering", getattr(work, "__name__", work))


def wait_for_the_background(timeout: float = 30.0) -> None:
    """Wait for the work ``after_the_answer`` started (tests, and anyone who must know it
    is done)."""
    for thread in list(_BACKGROUND):
        thread.join(timeout)


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
