"""`flask followup send` (cron) and `flask followup seed-guidance` (once, at set-up)."""

import click
from flask.cli import AppGroup

from .. import batch
from ..extensions import db
from ..ops.jobs import record_run
from ..outbox.cli import sends_its_mail
from . import service as followup

followup_cli = AppGroup("followup", help="Follow-up emails after a clinic, and guidance links.")


@followup_cli.command("send")
@record_run
@sends_its_mail
def send() -> None:
    """Email each parent who came to a closed clinic, once. Safe to run as often as you like."""
    run = followup.send_follow_ups(db.session)
    click.echo(f"Follow-up emails queued: {run.done}.")
    batch.exit_status(run)


@followup_cli.command("seed-guidance")
def seed_guidance() -> None:
    """Load the starting guidance links, only when there are none yet."""
    added = followup.seed_guidance(db.session)
    db.session.commit()
    if added:
        click.echo(f"Added {added} guidance links. Coordinators can change them on the website.")
    else:
        click.echo("There are guidance links already; nothing added.")
