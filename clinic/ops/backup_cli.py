"""`flask backup create|restore|check|list` (see ``clinic/ops/backup.py`` for how)."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from . import backup
from .health import script_directory
from .jobs import record_run

backup_cli = AppGroup("backup", help="Back up the database and restore a backup.")


def _url() -> sa.URL:
    return sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _folder(folder: str | None) -> Path:
    return Path(folder or current_app.config["BACKUP_DIR"])


@backup_cli.command("create")
@click.option("--dir", "folder", help="Where the copy goes (default: BACKUP_DIR).")
@click.option("--keep", type=int, help="How many copies to keep (default: BACKUP_KEEP).")
@record_run
def create(folder: str | None, keep: int | None) -> None:
    """Write a consistent copy of the running database; keep only the newest copies."""
    config = current_app.config
    try:
        path = backup.create_backup(
            _url(),
            _folder(folder),
            keep=keep or config["BACKUP_KEEP"],
            pg_dump=config["PG_DUMP"],
            pg_restore=config["PG_RESTORE"],
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path} ({path.stat().st_size:,} bytes).")


@backup_cli.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def check(file: Path) -> None:
    """Check a backup without restoring it: format, integrity, migration revision."""
    try:
        info = backup.check_backup(
            file, script_directory(current_app), pg_restore=current_app.config["PG_RESTORE"]
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{file.name}: a {info.engine} backup at migration {', '.join(info.revisions)}.")
    if info.behind:
        click.echo("It is older than this release: run `flask db upgrade` after restoring it.")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
def restore(file: Path) -> None:
    """Check FILE and put it into the configured database, which must be empty."""
    db.engine.dispose()  # no pooled connection of ours stays on the target
    try:
        info = backup.restore_backup(
            file, _url(), script_directory(current_app), pg_restore=current_app.config["PG_RESTORE"]
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {file.name} (migration {', '.join(info.revisions)}):")
    for table, count in info.tables.items():
        click.echo(f"  {table:24} {count:>8,} rows")
    if info.partnerships:
        click.echo(f"Partnerships ({len(info.partnerships)}):")
    for slug, schools, clinics, bookings in info.partnerships:
        click.echo(f"  {slug}: {schools:,} schools, {clinics:,} clinics, {bookings:,} bookings")
    if info.behind:
        click.echo("Next: `flask --app wsgi db upgrade` brings it to this release's schema.")


@backup_cli.command("list")
@click.option("--dir", "folder", help="Where the copies are (default: BACKUP_DIR).")
def list_command(folder: str | None) -> None:
    """The backups kept, oldest first."""
    for path in backup.list_backups(_folder(folder)):
        click.echo(f"{path}  {path.stat().st_size:>12,} bytes")
