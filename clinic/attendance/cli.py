"""`flask attendance send-lists`: email each clinic's attendance list to its school (cron)."""

import click
from flask.cli import AppGroup

from .. import batch
from ..extensions import db
from ..ops.jobs import record_run
from ..outbox.cli import sends_its_mail
from . import sending

attendance_cli = AppGroup("attendance", help="Attendance lists for schools.")


@attendance_cli.command("send-lists")
@record_run
@sends_its_mail
def send_lists() -> None:
    """Email the lists that are due (ATTENDANCE_LIST_SEND_AT, default 09:00, on the working
    day before each clinic). Safe to run as often as you like: a list is sent once."""
    result = sending.send_due_lists(db.session)
    click.echo(str(result))
    batch.exit_status(result.run)
