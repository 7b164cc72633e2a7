"""Readiness: may a load balancer send this app server parents' requests?

``/healthz`` (``clinic/core.py``) stays one ``SELECT 1``.  ``readiness()`` looks further:

- the database answers and holds the schema this code needs (a database *behind* the
  code, i.e. ``flask db upgrade`` not run yet, is not ready; one *ahead* of it is, so
  old servers keep serving for the moments between a release's upgrade and restart);
- the outbox is moving: no more than ``READY_OUTBOX_MAX_PENDING`` messages waiting, the
  oldest waiting no longer than ``READY_OUTBOX_MAX_AGE_MINUTES``, and, if
  ``READY_OUTBOX_MAX_FAILED`` is above 0, no more failed messages than that.  Set a
  threshold to 0 to leave it out.

Failed messages stay failed until an admin retries them, so counting them is off by
default: one bad address would otherwise take every server out of the load balancer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from ..models import OutboxMessage, utcnow

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory


@dataclass
class Readiness:
    ready: bool = True
    database: str = "ok"
    schema: str = "ok"
    outbox: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "status": "ready" if self.ready else "not ready",
            "database": self.database,
            "schema": self.schema,
            "outbox": self.outbox,
            "problems": self.problems,
        }

    def fail(self, problem: str) -> None:
        self.ready = False
        self.problems.append(problem)


def script_directory(app: Flask) -> ScriptDirectory:
    """The migrations this code carries (read once per app: parsing them is not cheap)."""
    scripts = app.extensions.get("ops_scripts")
    if scripts is None:
        from alembic.script import ScriptDirectory  # not in a worker that is never asked

        scripts = ScriptDirectory(app.extensions["migrate"].directory)
        app.extensions["ops_scripts"] = scripts
    return scripts


def current_revisions(session: Session) -> tuple[str, ...]:
    """The database's Alembic revisions, read directly (Alembic's own reader logs a line
    each time, and a load balancer asks every few seconds)."""
    if not inspect(session.connection()).has_table("alembic_version"):
        return ()
    return tuple(session.scalars(text("SELECT version_num FROM alembic_version")))


def schema_state(session: Session, app: Flask) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """("ok" | "behind" | "ahead" | "empty", database revisions, code heads)."""
    scripts = script_directory(app)
    heads = tuple(scripts.get_heads())
    current = current_revisions(session)
    if not current:
        return "empty", current, heads
    if set(current) == set(heads):
        return "ok", current, heads
    known = {script.revision for script in scripts.walk_revisions()}
    if all(revision in known for revision in current):
        return "behind", current, heads
    return "ahead", current, heads


def outbox_figures(session: Session) -> dict:
    now = utcnow()
    waiting = OutboxMessage.status.in_(("pending", "sending"))
    pending = session.scalar(select(func.count()).where(waiting)) or 0
    oldest = session.scalar(select(func.min(OutboxMessage.created_at)).where(waiting))
    failed = session.scalar(select(func.count()).where(OutboxMessage.status == "failed")) or 0
    return {
        "pending": pending,
        "oldest_pending_minutes": round((now - oldest).total_seconds() / 60, 1) if oldest else 0,
        "failed": failed,
    }


def readiness(session: Session) -> Readiness:
    # The proxy's own method (werkzeug's), which mypy misses: Flask types current_app as Flask.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    result = Readiness()
    try:
        session.execute(text("SELECT 1"))
        state, current, heads = schema_state(session, app)
        result.outbox = outbox_figures(session)
    except Exception:  # noqa: BLE001 - any database failure means not ready
        session.rollback()
        result.database = "unreachable"
        result.schema = "unknown"
        result.fail("the database does not answer")
        return result
    finally:
        session.rollback()  # a read only; on SQLite it would hold the write lock
    result.schema = state
    if state in ("behind", "empty"):
        result.fail(
            f"the database is at {', '.join(current) or 'no migration'}; "
            f"this code needs {', '.join(heads)}"
        )
    outbox = result.outbox
    most = config["READY_OUTBOX_MAX_PENDING"]
    if most and outbox["pending"] > most:
        result.fail(f"{outbox['pending']} emails are waiting to be sent (more than {most})")
    longest = config["READY_OUTBOX_MAX_AGE_MINUTES"]
    if longest and outbox["oldest_pending_minutes"] > longest:
        result.fail(
            f"the oldest email has waited {outbox['oldest_pending_minutes']:g} minutes "
            f"(more than {longest})"
        )
    failed = config["READY_OUTBOX_MAX_FAILED"]
    if failed and outbox["failed"] > failed:
        result.fail(f"{outbox['failed']} emails have failed (more than {failed})")
    return result
