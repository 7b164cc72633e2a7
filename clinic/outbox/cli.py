"""`flask outbox send` and `flask outbox worker`: sending queued email from the command line,
and the jobs the worker runs each round before it sends."""

import functools
import signal
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..extensions import db
from ..ops.jobs import record_run
from .after_commit import held_for_the_end, send_now
from .delivery import send_due

outbox_cli = AppGroup("outbox", help="Send queued email.")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def sends_its_mail(command):
    """Decorator for a cron command that queues email (put it under ``@record_run``).

    What the command's commits queue is sent in its own process before it exits, and the
    command says how many went: a thread sending after each commit would die with the
    command and leave its claim for the worker to take back ten minutes later.  With
    ``OUTBOX_SEND_MODE=off`` the messages stay queued for ``flask outbox worker``.  The
    command's exit status is its own: what could not be sent waits in the outbox for a
    retry (``/admin/outbox/failed``)."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        with held_for_the_end() as queued:
            try:
                return command(*args, **kwargs)
            finally:
                if db.session().in_transaction():
                    db.session.rollback()  # what the command left uncommitted never goes
                _send_queued(sorted(queued))

    return run


def _send_queued(ids: list[int]) -> None:
    if current_app.config["OUTBOX_SEND_MODE"] == "off":
        click.echo(f"Left {_emails(len(ids))} queued for the outbox worker (OUTBOX_SEND_MODE=off).")
        return
    try:
        counts = send_now(ids)
    except Exception:  # the messages stay queued; the worker sends them
        current_app.logger.exception("Could not send the emails this command queued")
        click.echo(f"Could not send {_emails(len(ids))} now: they wait for the outbox worker.")
        return
    text = f"Sent {_emails(counts.sent)}, {counts.retrying} to retry, {counts.failed} failed"
    if others := len(ids) - counts.claimed:
        text += f", {others} sent by another sender"
    click.echo(text + ".")


def _emails(count: int) -> str:
    return f"{count} email" if count == 1 else f"{count} emails"


def add_worker_job(app: Flask, job) -> None:
    """Have ``flask outbox worker`` run ``job(session)`` at the start of every round, before
    it sends what is due: work that ends in emails but is too slow for a request (building
    an attendance list's PDF).  A job commits its own work and is safe to run twice at once."""
    app.extensions.setdefault("outbox_worker_jobs", []).append(job)


def worker_jobs(app: Flask) -> list:
    return list(app.extensions.get("outbox_worker_jobs", []))


@outbox_cli.command("send")
@record_run
@click.option("--limit", default=50, show_default=True, help="Most messages to send.")
def send(limit: int) -> None:
    """Send the messages that are due, once. Exits 1 when any could not be sent (each is
    tried again later; see /admin/outbox/failed)."""
    counts = send_due(db.session, limit=limit)
    click.echo(str(counts))
    if not counts.all_sent:
        raise click.exceptions.Exit(1)


@outbox_cli.command("worker")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Do one round and stop.")
def worker(interval: float, once: bool) -> None:
    """Keep sending due messages until stopped.

    SIGTERM (what process managers send) and Ctrl+C let the round in hand finish, so no
    message is left claimed half-way, then the worker exits."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
    click.echo(f"Outbox worker started: sending every {interval:g} seconds.")
    try:
        while not stop.is_set():
            _one_round()
            if once:
                break
            _wait(stop, interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Outbox worker stopped.")


def _wait(stop: threading.Event, seconds: float) -> None:
    """Wait ``seconds`` or until stopped, waking each second: a signal sent to the process
    may be taken by another of its threads, and then Python runs the handler only when the
    main thread next runs (a single 60-second wait would hold a SIGTERM for a minute)."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        stop.wait(min(left, 1.0))


def _one_round() -> None:
    """Run the features' jobs (``add_worker_job``), then send what is due; a database
    or mail problem is logged and the next round tries again."""
    for job in worker_jobs(current_app):
        try:
            if done := job(db.session):
                click.echo(str(done))
        except Exception:  # one job's trouble must not stop the sending
            current_app.logger.exception("Outbox worker job %s failed", job.__name__)
            db.session.rollback()
    try:
        counts = send_due(db.session)
    except Exception:  # the worker must outlive a database restart
        current_app.logger.exception("Outbox worker round failed")
        db.session.rollback()
        return
    if counts.claimed or counts.recovered:
        click.echo(str(counts))
