"""`flask privacy purge` (cron, once a day): safe to run again, and twice at once.
`flask privacy export|erase EMAIL`: the installation operator answering a subject access
or erasure request, across every partnership or for one (``--partnership SLUG``)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import select

from .. import batch
from ..extensions import db
from ..models import Partnership, utcnow
from ..ops.jobs import record_run
from . import purge as retention
from . import service

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


def _found(email: str, slug: str | None):
    return service.holdings(db.session, email, _partnership(slug))


OPERATOR = "operator (flask privacy)"


@privacy_cli.command("export")
@click.argument("email")
@partnership_option
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="File.")
def export(email: str, slug: str | None, output) -> None:
    """Everything held for EMAIL (a subject access request), as JSON: every partnership's
    records, each naming its partnership and data controller, or one partnership's."""
    found = _found(email, slug)
    service.record_access(db.session, OPERATOR, found)
    db.session.commit()
    held = service.export(db.session, _found(email, slug))
    output.write(json.dumps(held, indent=2, ensure_ascii=False) + "\n")


@privacy_cli.command("erase")
@click.argument("email")
@partnership_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str, slug: str | None, yes: bool) -> None:
    """Erase everything held for EMAIL (an erasure request): every partnership's records,
    or one partnership's (the others' stay).  Live bookings are cancelled first."""
    found = _found(email, slug)
    held = service.export(db.session, found)
    db.session.rollback()
    where = f"partnership {slug}" if slug else "every partnership"
    click.echo(
        f"Held for {found.email} by {where}: {len(held['bookings'])} bookings, "
        f"{len(held['waiting_lists'])} waiting-list places, {found.count} records in all."
    )
    for controller in held["controllers"]:
        click.echo(f"  {controller['partnership']} (controller: {controller['data_controller']})")
    if not yes:
        click.confirm("Erase all of it?", abort=True)
    erased = service.erase_subject(
        db.session, email, actor=OPERATOR, partnership=_partnership(slug), now=utcnow()
    )
    db.session.commit()
    click.echo(f"Erased {erased} records.")
