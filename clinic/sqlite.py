"""SQLite settings, and how each SQLite transaction begins: reads never wait, writes queue.

SQLite in WAL mode lets any number of readers run beside one writer: a reader sees the
last committed state and never waits for the write lock.  A writer must hold that lock,
and a *deferred* transaction that has read and then writes fails at once with "database
is locked" if another process committed in between (its snapshot is stale, so the busy
timeout cannot help).  So:

- a GET, HEAD or OPTIONS request begins ``DEFERRED`` (plain ``BEGIN``): a page view never
  queues behind a booking, an import or the outbox.  Such a request must not write
  (DESIGN.md rule 5); a write in one is refused with ``WriteInReadRequest`` instead of
  failing now and then with "database is locked" under load;
- everything else begins ``IMMEDIATE``, taking the write lock first and waiting up to the
  busy timeout for it: POST requests, CLI and cron commands, the outbox worker and the
  after-commit sender thread (it runs outside any request), tests' own sessions.

Flask-Login's user loader runs inside the request, so it reads in a GET's deferred
transaction and opens a POST's immediate one.  PostgreSQL is left alone: it relies on
conditional UPDATEs and row locks (see ``clinic/booking/places.py``).
"""

from __future__ import annotations

import re
import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 15000
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFERRED = "clinic_sqlite_deferred"
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


class WriteInReadRequest(RuntimeError):
    """A GET (or HEAD/OPTIONS) request tried to change the database (DESIGN.md rule 5)."""


def begins_deferred() -> bool:
    """Whether a transaction starting now is a read: only inside a GET/HEAD/OPTIONS request."""
    return has_request_context() and request.method in READ_METHODS


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL, foreign keys on, wait (not fail) when another writer holds the lock.

    The driver's own transaction handling is switched off so that ``_sqlite_begin``
    decides how a transaction starts."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """BEGIN (deferred) for a read request, BEGIN IMMEDIATE for everything else."""
    if conn.dialect.name != "sqlite":
        return
    deferred = begins_deferred()
    conn.info[_DEFERRED] = deferred
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(conn):
    # Only SQLite's connections carry the mark; a PostgreSQL connection that has just been
    # lost must not be touched while it is rolled back (it would raise instead).
    if conn.dialect.name == "sqlite" and not conn.invalidated:
        conn.info.pop(_DEFERRED, None)


@event.listens_for(Engine, "before_cursor_execute")
def _no_write_in_a_read(conn, cursor, statement, parameters, context, executemany):
    if conn.info.get(_DEFERRED) and _WRITE.match(statement):
        where = f"{request.method} {request.path}" if has_request_context() else "A read"
        raise WriteInReadRequest(
            f"{where} tried to write to the database; a GET never changes anything "
            "(DESIGN.md rule 5): make the change a POST"
        )
