"""`flask reminders send` (cron): safe to run every few minutes, and two at once, since each
reminder is claimed by a conditional UPDATE and committed on its own."""

import click
from flask.cli import AppGroup

from .. import batch
from ..extensions import db
from ..ops.jobs import record_run
from ..outbox.cli import sends_its_mail
from . import reminders, still_coming

reminders_cli = AppGroup("reminders", help="Reminder emails to parents.")


@reminders_cli.command("send")
@record_run
@sends_its_mail
def send() -> None:
    """Email each confirmed parent once, a day or two before their slot."""
    counts = reminders.send_reminders(db.session)
    click.echo(str(counts))
    batch.exit_status(counts.run)


@reminders_cli.command("still-coming")
@record_run
@sends_its_mail
def ask_still_coming() -> None:
    """Ask each family once, CONFIRM_ATTENDANCE_DAYS before their slot, whether they are
    still coming (0 or empty: nobody is asked)."""
    if not still_coming.days():
        click.echo("Nobody is asked: CONFIRM_ATTENDANCE_DAYS is 0.")
        return
    counts = still_coming.ask_all(db.session)
    click.echo(str(counts))
    batch.exit_status(counts.run)
