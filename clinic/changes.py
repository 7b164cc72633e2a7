"""The change signal: an unchanged public page is served with no database trip.

A public page kept by ``clinic.pagecache`` is right while its key (what it shows, read
from the database) is the same.  Reading the key is a round trip on every request; this
module lets a worker skip it while it knows nothing the page shows can have changed:

- **PostgreSQL**: statement triggers on ``school``, ``clinic`` and ``slot`` (migration
  0015) run ``pg_notify('clinic_change', '')`` in every transaction that changes them.
  One thread per worker process ``LISTEN``s on its own autocommit connection; anything
  arriving on that socket moves this process's *generation*.  So every worker on every
  app server hears every commit, with nothing of ours to share.
- **SQLite**: ``PRAGMA data_version`` on a connection kept for the purpose, which never
  writes: it changes when any other connection (this process's pool included) commits.

Every commit through this process's sessions that wrote something also moves a local
count (``after_commit``), so a page is never trusted across our own commit, whatever the
signal's delay.

A **token** is the state of the signal now, or ``None`` when it cannot be trusted (the
listener not connected yet or any more, a notification arriving right now, no file to
watch).  A page is served unchanged only when the token taken *before* its key was read
equals the token now, and no time it shows (a slot starting, a booking window opening or
closing, midnight) has passed since.  The token is taken before the key is read, so a
commit between the two moves the token and costs one more key read, never a stale page;
``None`` means read the key, as before this module: a page may be drawn more often,
never shown stale.

The listener and the SQLite connection are made lazily, in the process that serves
(the first request after a fork; gunicorn's ``preload_app`` or not), and made again
when the process id changes.
"""

from __future__ import annotations

import logging
import os
import re
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import pagecache
from .extensions import db
from .i18n import current_language
from .localtime import clinic_zone
from .models import utcnow

CHANNEL = "clinic_change"
# The tables whose changes a public page can show (the school page's and the finder's
# keys read nothing else; a booking or cancellation changes ``slot.booked``; migration
# 0017 adds ``partnership``, whose name, notice and languages its schools' pages show).
TABLES = ("partnership", "school", "clinic", "slot")
HEARTBEAT_SECONDS = 10.0
BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
APPLICATION_NAME = "clinic-change-listener"

log = logging.getLogger(__name__)
T = TypeVar("T")

# Objects made before a fork: never closed in the child (closing a SQLite connection or a
# psycopg one there would release the parent's locks or end its session).
_INHERITED: list[object] = []


class _Counter:
    """Commits that wrote, through this process's sessions (``note_commits``)."""

    def __init__(self) -> None:
        self.value = 0
        self.local = threading.local()


_commits = _Counter()
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|WITH|MERGE|TRUNCATE)\b", re.IGNORECASE)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, cursor, statement, parameters, context, executemany):
    if _WRITE.match(statement):
        _commits.local.wrote = True


@event.listens_for(Session, "after_commit")
def _count_commit(session: Session) -> None:
    """After the database has the commit: a page trusted before it is not trusted now."""
    if getattr(_commits.local, "wrote", False) and not session.in_nested_transaction():
        _commits.local.wrote = False
        _commits.value += 1


@event.listens_for(Session, "after_rollback")
def _forget_write(session: Session) -> None:
    if not session.in_nested_transaction():
        _commits.local.wrote = False


class NoSignal:
    """Nothing to listen to (an in-memory database, the signal switched off)."""

    connected = False

    def token(self) -> Hashable | None:
        return None

    def wait_connected(self, timeout: float) -> bool:
        return False

    def stop(self) -> None:
        pass


class SQLiteSignal:
    """``PRAGMA data_version`` on a connection of this process that never writes."""

    connected = True

    def __init__(self, path: str):
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def token(self) -> Hashable | None:
        commits = _commits.value
        try:
            with self._lock:
                (version,) = self._conn.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:  # the file is unreadable: read the key (and meet the error)
            return None
        return commits, version

    def wait_connected(self, timeout: float) -> bool:
        return True

    def stop(self) -> None:
        with self._lock:
            self._conn.close()


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


class PostgresListener:
    """One thread that LISTENs on its own autocommit connection, reconnecting with backoff.

    Anything the server sends on that connection moves ``generation`` *before* it is read
    (so a request never sees the socket drained and the generation unmoved), and so does
    connecting and losing the connection.  ``token()`` is ``None`` while not connected,
    while the thread is reading, or while bytes wait unread on the socket."""

    def __init__(self, conninfo: str, app: Flask):
        self.conninfo = conninfo
        self.generation = 0
        self.connected = False
        self.notifications = 0
        self._busy = False
        self._fd = -1
        self._stop = threading.Event()
        self._wake_read, self._wake_write = os.pipe()  # stop() wakes the thread at once
        self._app = weakref.ref(app)
        self._thread = threading.Thread(target=self._run, name=APPLICATION_NAME, daemon=True)
        self._thread.start()

    def token(self) -> Hashable | None:
        commits, generation = _commits.value, self.generation
        fd = self._fd
        if not self.connected or self._busy or fd < 0 or _readable(fd):
            return None
        if self._busy or not self.connected or self.generation != generation:
            return None
        return commits, generation

    def wait_connected(self, timeout: float) -> bool:
        """For tests and the bench: True once the listener is connected."""
        deadline = time.monotonic() + timeout
        while not self.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.connected

    def stop(self) -> None:
        self._stop.set()
        os.write(self._wake_write, b"x")
        self._thread.join(timeout=HEARTBEAT_SECONDS + 5)
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        import psycopg

        failures = 0
        while not self._stop.is_set() and self._app() is not None:
            try:
                with psycopg.connect(
                    self.conninfo,
                    autocommit=True,
                    application_name=APPLICATION_NAME,
                    connect_timeout=5,
                    # A connection lost without a word (a cable, a failover) is found
                    # within about 10 s even with nothing to read.
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=3,
                ) as conn:
                    try:
                        conn.execute(f"LISTEN {CHANNEL}")
                        self._fd = conn.pgconn.socket
                        self.generation += 1  # what committed before LISTEN: read afresh
                        self.connected = True
                        failures = 0
                        log.info("change signal: listening on %s", CHANNEL)
                        self._listen(conn)
                    finally:  # before the connection closes: never trusted after
                        self.connected = False
                        self._fd = -1
                        self.generation += 1
                        self._busy = False
            except Exception as exc:  # noqa: BLE001 - any failure: not trusted, try again
                log.warning("change signal: listener lost (%s); pages read their keys", exc)
            delay = BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)]
            failures += 1
            self._stop.wait(delay)

    def _listen(self, conn) -> None:
        pgconn = conn.pgconn
        poller = select.poll()
        poller.register(self._fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        poller.register(self._wake_read, select.POLLIN)
        while True:
            ready = poller.poll(HEARTBEAT_SECONDS * 1000)
            if self._stop.is_set() or self._app() is None:
                return
            self._busy = True
            self.generation += 1
            if ready:
                pgconn.consume_input()  # raises once the connection is gone
                while (notify := pgconn.notifies()) is not None:
                    del notify
                    self.notifications += 1
            else:  # quiet: make sure the connection still answers
                conn.execute("SELECT 1")
            if pgconn.status != 0:  # psycopg.pq.ConnStatus.OK
                raise ConnectionError("connection closed")
            self.generation += 1
            self._busy = False


def _make_signal(app: Flask) -> Any:
    if not app.config.get("CHANGE_SIGNAL", True):
        return NoSignal()
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if not path or path == ":memory:" or path.startswith("file:"):
            return NoSignal()
        return SQLiteSignal(path)
    if url.get_backend_name() == "postgresql":
        listen_url = app.config.get("CHANGE_SIGNAL_DATABASE_URL") or url
        from sqlalchemy.engine import make_url

        parts = make_url(listen_url).set(drivername="postgresql")
        return PostgresListener(parts.render_as_string(hide_password=False), app)
    return NoSignal()


_making = threading.Lock()


def signal(app: Flask | None = None) -> Any:
    """This process's change signal for ``app``, made on first use after a fork."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    made = app.extensions.get("change_signal")
    if made is not None and made[0] == os.getpid():
        return made[1]
    with _making:
        made = app.extensions.get("change_signal")
        if made is not None and made[0] == os.getpid():
            return made[1]
        if made is not None:
            _INHERITED.append(made[1])  # the parent's: left alone
        sig = _make_signal(app)
        app.extensions["change_signal"] = (os.getpid(), sig)
        return sig


def stop(app: Flask) -> None:
    """Stop this process's signal for ``app`` (tests; a worker's exit needs nothing)."""
    made = app.extensions.pop("change_signal", None)
    if made is not None and made[0] == os.getpid():
        made[1].stop()


def token() -> Hashable | None:
    """The signal's state now; ``None``: not to be trusted (read the key).  Also ``None``
    when this request's session already holds a transaction: on SQLite its snapshot
    may be older than the token."""
    # Asked only of a session this request already made: making one to ask, then closing
    # it at teardown, was a tenth of an unchanged school page.
    sessions = db.session.registry
    if sessions.has() and sessions().in_transaction():
        return None
    return signal().token()


def _kept() -> pagecache.PageStore:
    return pagecache.store("unchanged pages")


def unchanged(name: Hashable) -> Any | None:
    """The page kept for ``name`` when nothing it shows can have changed since its key was
    read; ``None``: read the key (and call ``remember``).  Only for a request that may be
    handed a shared page (``pagecache.shareable``): the caller checks."""
    entry = _kept().get(f"{current_language()}:{name!r}")
    if entry is None:
        return None
    seen, until, page = entry
    if seen is None or utcnow() >= until:
        return None
    if token() != seen:
        return None
    return page


def remember(name: Hashable, seen: Hashable | None, until: datetime, page: T) -> T:
    """Keep ``page`` for ``name``: drawn or checked from a key read after ``seen`` was
    taken, and right until ``until`` (the first time it shows that will pass).  ``seen``
    is None (nothing kept) for a request that may not share the page (``served``)."""
    if seen is not None:
        _kept().put(f"{current_language()}:{name!r}", (seen, until, page))
    return page


def next_midnight(now: datetime) -> datetime:
    """The next local midnight: "today" moves then."""
    zone = clinic_zone()
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone)


def served(name: Hashable, read: Callable[[Hashable | None], T]) -> T:
    """The page ``name``: unchanged if nothing it shows can have changed, else
    ``read(seen)``, which reads the key and returns the page, calling ``remember``.
    Whether the page may be shared is decided before anything is drawn (drawing a page
    takes its flashed messages)."""
    if not pagecache.shareable():
        return read(None)
    page = unchanged(name)
    if page is not None:
        return page
    return read(token())
