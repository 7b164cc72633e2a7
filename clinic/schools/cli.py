"""`flask schools import-gias`: a partnership's schools from the DfE register's extract.

It prints the same preview as the coordinator's page (added, changed, skipped with a
reason), then imports it in one transaction unless ``--dry-run``.
"""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import Partnership
from ..partnership import PartnershipError, partnership_for
from . import gias, importing

schools_cli = AppGroup("schools", help="Manage schools.")


def _address(establishment: gias.Establishment) -> str:
    parts = [*establishment.address.splitlines(), establishment.town, establishment.postcode]
    return ", ".join(part for part in parts if part)


def _preview(extract: gias.Extract, todo: importing.Plan) -> None:
    click.echo(f"Rows read: {extract.rows}; other local authorities or phases: {extract.outside}")
    click.echo(f"Already up to date: {todo.unchanged}")
    click.echo(f"Will be added: {len(todo.add)}")
    for e in todo.add:
        click.echo(f"  {e.urn}  {e.name} ({_address(e)}; {e.phase})")
    click.echo(f"Will be changed: {len(todo.change)}")
    for change in todo.change:
        click.echo(f"  {change.urn}  {change.name}")
        for name, (old, new) in change.changes.items():
            old_text, new_text = (", ".join(v.splitlines()) for v in (old, new))
            click.echo(f"    {importing.FIELD_LABELS[name]}: {old_text} → {new_text}")
    skipped = sorted(extract.skipped + todo.held_elsewhere, key=lambda row: row.line)
    click.echo(f"Skipped: {len(skipped)}")
    for row in skipped:
        click.echo(f"  line {row.line}: {row.urn or '-'}  {row.name or '-'}: {row.reason}")


@schools_cli.command("import-gias")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--partnership",
    "slug",
    help="The partnership's slug (not needed when the installation has one).",
)
@click.option(
    "--la",
    "las",
    multiple=True,
    required=True,
    help="A local authority, by name or 3-digit code (repeat for several).",
)
@click.option(
    "--phase",
    "phases",
    multiple=True,
    help="A GIAS phase of education (repeat for several; default: "
    + ", ".join(gias.SCHOOL_PHASES)
    + ").",
)
@click.option("--dry-run", is_flag=True, help="Show what would be done, and save nothing.")
def import_gias(file, slug, las, phases, dry_run):
    """Import a partnership's schools from FILE, the GIAS establishments CSV."""
    partnership = None
    if slug:
        partnership = db.session.scalar(select(Partnership).where(Partnership.slug == slug))
        if partnership is None:
            raise click.UsageError(f"No partnership with slug {slug!r}")
    try:
        partnership = partnership_for(db.session, "cli", partnership)
    except PartnershipError as exc:
        raise click.UsageError("Name the partnership with --partnership SLUG") from exc
    wanted = [la for given in las for la in gias.split_las(given)]
    try:
        extract = gias.read_extract(file, las=wanted, phases=phases or gias.SCHOOL_PHASES)
    except gias.ExtractError as exc:
        raise click.ClickException(exc.message) from exc
    unmatched = extract.unmatched_las()
    if unmatched:
        raise click.ClickException(
            "No school in the file is in " + ", ".join(f"“{la}”" for la in unmatched)
        )
    click.echo(f"Partnership: {partnership.name} ({partnership.slug})")
    todo = importing.plan(db.session, partnership, extract.establishments)
    _preview(extract, todo)
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing was saved.")
        return
    try:
        done = importing.apply(
            db.session,
            "cli",
            partnership,
            extract.establishments,
            agreed=todo.digest(),
            source=os.path.basename(getattr(file, "name", "")),
        )
    except importing.ImportRefused as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Imported: {len(done.add)} added, {len(done.change)} changed.")
    if done.add:
        click.echo("Add each new school's contact email on its page: GIAS publishes none.")
