"""`flask privacy purge` (cron, once a day): safe to run again, and twice at once."""

import click
from flask.cli import AppGroup

from .. import batch
from ..extensions import db
from ..ops.jobs import record_run
from . import purge as retention

privacy_cli = AppGroup("privacy", help="Personal data: retention.")


@privacy_cli.command("purge")
@record_run
def purge() -> None:
    """Anonymise bookings, waiting lists, walk-ins and feedback comments PRIVACY_KEEP_DAYS
    after their clinic; blank sent emails after PRIVACY_KEEP_SENT_EMAIL_DAYS; take
    personal details out of old audit events; delete expired booking drafts."""
    result = retention.purge(db.session)
    click.echo(str(result))
    batch.exit_status(result.run)
