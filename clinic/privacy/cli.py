"""`flask privacy purge` (cron, once a day): safe to run again, and twice at once.
`flask privacy export|erase EMAIL`: the installation operator answering a subject access
or erasure request, across every partnership or for one (``--partnership SLUG``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .. import batch
from ..extensions import db
from ..models import Partnership
from ..ops.jobs import record_run
from . import purge as retention

privacy_cli = AppGroup("privacy", help="Personal data: retention, access and erasure.")

partnership_option = click.option(
    "--partnership",
    "slug",
    metavar="SLUG",
    help="Only this partnership's records (default: every partnership's).",
)


def _partnership(slug: str | None) -> Partnership | None:
    if slug is None:
        return None
    found = db.session.scalar(select(Partnership).where(Partnership.slug == slug.strip()))
    if found is None:
        raise click.BadParameter(
            f"no partnership has the slug {slug!r}", param_hint="--partnership"
        )
    return found


@privacy_cli.command("purge")
@partnership_option
@record_run
def purge(slug: str | None) -> None:
    """Anonymise bookings, waiting lists, walk-ins and feedback comments each partnership's
    retention (its own, else PRIVACY_KEEP_DAYS) after their clinic; blank sent emails after
    PRIVACY_KEEP_SENT_EMAIL_DAYS; take personal details out of old audit events; delete
    expired booking drafts.  Says what it did for each partnership."""
    result = retention.purge(db.session, partnership=_partnership(slug))
    click.echo(str(result))
    batch.exit_status(result.run)
