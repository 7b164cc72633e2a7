"""Cron commands: `flask reminders send` and `flask waitlist expire-offers`.

Both are safe to run every few minutes, and two at once: each change is claimed by a
conditional UPDATE and committed on its own.
"""

import click
from flask.cli import AppGroup

from ..extensions import db
from ..ops.jobs import record_run
from . import reminders, waitlist

reminders_cli = AppGroup("reminders", help="Reminder emails to parents.")
waitlist_cli = AppGroup("waitlist", help="Waiting lists of full clinics.")


@reminders_cli.command("send")
@record_run
def send() -> None:
    """Email each confirmed parent once, a day or two before their slot."""
    counts = reminders.send_reminders(db.session)
    click.echo(str(counts))


@waitlist_cli.command("expire-offers")
@record_run
def expire_offers() -> None:
    """Pass unclaimed offers on, close the lists of clinics that have started, and offer
    any free place (one freed by a change elsewhere) to the household first in line."""
    counts = waitlist.run_due_steps(db.session)
    click.echo(str(counts))
