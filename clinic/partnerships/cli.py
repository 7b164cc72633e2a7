"""`flask partnerships create NAME --coordinator-email E --coordinator-name N` and
`flask partnerships list`: the service owner's pages from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from . import service

partnerships_cli = AppGroup("partnerships", help="Partnerships on this installation.")


@partnerships_cli.command("create")
@click.argument("name")
@click.option("--coordinator-email", required=True, help="Their first coordinator's email.")
@click.option("--coordinator-name", required=True, help="Their first coordinator's name.")
@click.option("--slug", default="", help="Short name (default: made from the name).")
def create(name, coordinator_email, coordinator_name, slug):
    """Add a partnership and its first coordinator, who is emailed a set-password link."""
    try:
        partnership, coordinator = service.create_partnership(
            db.session,
            "cli",
            name=name,
            slug=slug,
            coordinator_name=coordinator_name,
            coordinator_email=coordinator_email,
        )
    except service.PartnershipRuleError as error:
        db.session.rollback()
        raise click.UsageError(str(error.message)) from error
    db.session.commit()
    click.echo(
        f"Created partnership {partnership.name} ({partnership.slug}); "
        f"invitation emailed to {coordinator.email}."
    )


@partnerships_cli.command("list")
def list_command():
    """Each partnership with its schools and staff counted."""
    for row in service.list_partnerships(db.session):
        click.echo(f"{row.slug}\t{row.name}\t{row.schools} schools\t{row.staff} staff")
