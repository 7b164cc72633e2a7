"""A record of each cron command's last run, for ``flask doctor`` and ``/metrics``.

Put ``@record_run`` under a command's ``@group.command(...)`` line::

    @reminders_cli.command("send")
    @record_run
    def send(): ...

The run is named after the command (``"reminders send"``) and gets its own log reference
(``job-…``) on every line it logs.  Its start, then its success or failure, is written to
``job_run`` on a connection of its own, committed at once, so the command's transactions
are untouched.  A command fails when it raises or exits non-zero; ``last_error`` keeps
the kind of error and its first line, with tokens and email addresses blanked.  Writing
the record never makes the command fail: a database too broken for that is reported by
the command itself.
"""

from __future__ import annotations

import functools
import logging
import secrets
from datetime import datetime
from typing import overload

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import utcnow
from ..upsert import insert_into
from .logs import log_context
from .models import JobRun
from .redact import redact

log = logging.getLogger(__name__)
ERROR_LENGTH = 300


def job_name(ctx: click.Context) -> str:
    """``flask reminders send`` -> ``"reminders send"`` (the root command is left out)."""
    names: list[str] = []
    while ctx.parent is not None:
        if ctx.info_name is not None:  # a subcommand always has one; Click's command_path
            names.append(ctx.info_name)  # leaves out a context that has none, as here
        ctx = ctx.parent
    return " ".join(reversed(names))


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, click.exceptions.Exit | SystemExit):
        code = getattr(exc, "exit_code", None)
        code = getattr(exc, "code", None) if code is None else code
        return f"exit status {code}"
    if isinstance(exc, click.ClickException):
        text = exc.format_message()
    else:
        text = str(exc)
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    summary = f"{type(exc).__name__}: {first_line}" if first_line else type(exc).__name__
    return redact(summary)[:ERROR_LENGTH]


def _succeeded(exc: BaseException) -> bool:
    """Click's own way of ending with status 0 is not a failure."""
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code == 0
    if isinstance(exc, SystemExit):
        return exc.code in (0, None)
    return False


def record_run(command):
    """Decorator for a cron command's function: records its start, success and failure."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        name = job_name(click.get_current_context())
        run_id = f"job-{secrets.token_hex(6)}"
        with log_context(run_id):
            _write(name, last_started_at=utcnow(), last_run_id=run_id)
            log.debug("%s started", name)
            try:
                result = command(*args, **kwargs)
            except BaseException as exc:
                _end_transaction()
                if _succeeded(exc):
                    _write(name, last_succeeded_at=utcnow())
                else:
                    _write(name, last_failed_at=utcnow(), last_error=describe_failure(exc))
                    log.warning("%s failed: %s", name, describe_failure(exc))
                raise
            _end_transaction()
            _write(name, last_succeeded_at=utcnow())
            log.debug("%s finished", name)
            return result

    return run


def _end_transaction() -> None:
    """Whatever the command left uncommitted is ended, as the app context's teardown would
    next; on SQLite an open transaction holds the write lock the record needs.  The
    session itself stays (a caller's objects stay attached)."""
    if db.session().in_transaction():
        db.session.rollback()


def _write(name: str, **values) -> None:
    """Upsert one job's row on a connection of its own."""
    try:
        with db.engine.begin() as conn:
            statement = insert_into(conn, JobRun).values(name=name, **values)
            conn.execute(statement.on_conflict_do_update(index_elements=["name"], set_=values))
    except Exception:  # the record is for operators; the command goes on
        log.exception("Could not record the run of %s in job_run", name)


def last_runs(session: Session) -> dict[str, JobRun]:
    return {run.name: run for run in session.scalars(select(JobRun))}


@overload
def age_hours(when: datetime, now: datetime) -> float: ...
@overload
def age_hours(when: None, now: datetime) -> None: ...
@overload
def age_hours(when: datetime | None, now: datetime) -> float | None: ...
def age_hours(when: datetime | None, now: datetime) -> float | None:
    return None if when is None else (now - when).total_seconds() / 3600
