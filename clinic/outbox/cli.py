"""`flask outbox send` and `flask outbox worker`: sending queued email from the command line,
and the jobs the worker runs each round before it sends."""

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..extensions import db
from ..ops.jobs import record_run
from .delivery import send_due

outbox_cli = AppGroup("outbox", help="Send queued email.")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Outbox worker stopped.")


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
