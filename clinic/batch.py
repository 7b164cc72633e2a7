"""Batch commands handle each record on its own (design rule 8).

Every cron or worker command that walks many records — reminders, waiting-list offers,
attendance lists, follow-ups, the outbox, the privacy purge — runs its step for one
record at a time through ``each``: the step's work commits as that record's own
transaction, and a step that fails is rolled back, logged with the record's id only (never
a name, an address or an error text that could hold one), counted, and skipped.  The rest
are done; the command's exit status says whether any failed (``exit_status``).

Use it like this (a step takes the session and one id, and does not commit)::

    run = batch.Run("privacy purge")
    run.each(session, "booking", booking_ids, anonymise_booking)
    run.each(session, "outbox message", message_ids, strip_message)
    click.echo(f"Anonymised {run.done} records. {run}")
    batch.exit_status(run)      # in a click command: exits 1 when any record failed

A step returns something true when it did its work, false when there was nothing to do
(another run got there first); ``Run.done`` counts the first.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import click
from sqlalchemy.orm import Session

Answer = TypeVar("Answer")  # what one step returns; each() returns them in order

log = logging.getLogger(__name__)


@dataclass
class Run:
    """One command's run: how many records were done, and which failed."""

    name: str
    done: int = 0
    failed: list[str] = field(default_factory=list)

    def each(
        self,
        session: Session,
        kind: str,
        ids: Iterable[int],
        step: Callable[[Session, int], Answer],
        *,
        stop_on: tuple[type[BaseException], ...] = (),
        on_failure: Callable[[Session, int, Exception], None] | None = None,
    ) -> list[Answer]:
        """Run ``step(session, id)`` for each id, each in its own transaction.

        A failure is rolled back and logged (``kind`` and id, the exception's type and
        where it was raised), then ``on_failure(session, id, exc)`` runs, in a transaction
        of its own, to record it on the row if the caller wants (its own failure is logged
        too).  An exception in ``stop_on`` means no record can be done now (the mail server
        is down): that one and every id after it go to ``on_failure``, and the run stops.
        Returns the step's answers, in order, for the ids that did not fail."""
        ids = list(ids)
        answers: list[Answer] = []
        for position, record_id in enumerate(ids):
            try:
                answer = step(session, record_id)
                session.commit()
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop the rest
                session.rollback()
                if stop_on and isinstance(exc, stop_on):
                    self._stopped(kind, ids[position:], exc)
                    for unsent in ids[position:]:
                        self._record_failure(session, on_failure, kind, unsent, exc)
                    break
                self._failed(kind, record_id, exc)
                self._record_failure(session, on_failure, kind, record_id, exc)
                continue
            answers.append(answer)
            if answer:
                self.done += 1
        return answers

    def _failed(self, kind: str, record_id: int, exc: BaseException) -> None:
        self.failed.append(f"{kind} {record_id}")
        log.error(
            "%s: %s %s failed and was skipped (%s at %s)",
            self.name,
            kind,
            record_id,
            type(exc).__name__,
            where(exc),
        )

    def _stopped(self, kind: str, left: list[int], exc: BaseException) -> None:
        self.failed.extend(f"{kind} {record_id}" for record_id in left)
        log.warning(
            "%s: stopped (%s); %s %s(s) left for the next run",
            self.name,
            type(exc).__name__,
            len(left),
            kind,
        )

    def _record_failure(self, session, on_failure, kind: str, record_id: int, exc) -> None:
        if on_failure is None:
            return
        try:
            on_failure(session, record_id, exc)
            session.commit()
        except Exception as again:  # noqa: BLE001 - logged; the next run tries again
            session.rollback()
            log.error(
                "%s: could not record the failure of %s %s (%s at %s)",
                self.name,
                kind,
                record_id,
                type(again).__name__,
                where(again),
            )

    def __bool__(self) -> bool:
        """True when every record was done (or had nothing to do)."""
        return not self.failed

    def __str__(self) -> str:
        if not self.failed:
            return ""
        shown = ", ".join(self.failed[:20]) + (" …" if len(self.failed) > 20 else "")
        return f"Failed, and skipped (see the log): {len(self.failed)} ({shown})."


def where(exc: BaseException) -> str:
    """The file and line an exception was raised at: enough to find the bug, with none of
    the values (an error's text can quote the row it failed on)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    ours = [
        f for f in frames if "site-packages" not in f.filename and f.filename != __file__
    ] or frames
    frame = ours[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}"


def exit_status(*runs: Run) -> None:
    """In a click command: print what failed and exit 1 when any record of these runs did."""
    failed = [run for run in runs if not run]
    for run in failed:
        click.echo(str(run), err=True)
    if failed:
        raise click.exceptions.Exit(1)
