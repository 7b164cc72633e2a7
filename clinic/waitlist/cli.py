"""`flask waitlist expire-offers` (cron): safe to run every few minutes, and two at once,
since each step is claimed by a conditional UPDATE and committed on its own."""

import click
from flask.cli import AppGroup

from .. import batch
from ..extensions import db
from ..ops.jobs import record_run
from ..outbox.cli import sends_its_mail
from . import service

waitlist_cli = AppGroup("waitlist", help="Waiting lists of full clinics.")


@waitlist_cli.command("expire-offers")
@record_run
@sends_its_mail
def expire_offers() -> None:
    """Pass unclaimed offers on, close the lists of clinics that have started, and offer
    any free place (one freed by a change elsewhere) to the household first in line."""
    counts = service.run_due_steps(db.session)
    click.echo(str(counts))
    batch.exit_status(counts.run)
