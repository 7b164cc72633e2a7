"""Backups that restore: consistent copies of a running service's database, checked before
they are put back.

- **SQLite**: the online backup API (``sqlite3.Connection.backup``), all pages in one
  step, so the copy is the database as one read transaction saw it, while the workers
  go on writing (WAL mode lets them).  Never a file copy: a copy of a live file can
  catch a write half-way or miss what sits in the ``-wal`` file.
- **PostgreSQL**: ``pg_dump --format=custom``, which reads everything in one snapshot.
  ``pg_dump`` must be at least the server's major version (an older one refuses, a
  newer one reads older servers); the version is checked first so the message is plain.

Copies are named by the time they were taken (``clinic-20261201-020000Z.sqlite3`` or
``.pgdump``) in ``BACKUP_DIR``, readable by their owner only (they hold personal data),
and only the newest ``BACKUP_KEEP`` are kept.

``restore_backup`` puts a copy into an **empty** database only, after checking it: the
file's format, SQLite's integrity check or ``pg_restore --list``, and that its Alembic
revision is one this code knows (a copy made by a newer release is refused).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .redact import redact

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "pgdump"}
_NAME = re.compile(r"^clinic-(\d{8}-\d{6})Z(?:-(\d+))?\.(sqlite3|pgdump)$")
COMMAND_TIMEOUT = 6 * 3600  # a very large database still finishes; a hung one ends


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class BackupInfo:
    path: Path
    engine: str
    revisions: tuple[str, ...]
    behind: bool = False  # older than this code's migrations: run `flask db upgrade` after
    tables: dict[str, int] = field(default_factory=dict)
    # (slug, schools, clinics, bookings) for each partnership restored (issue 21): every
    # partnership's records come back, and the operator sees them listed.
    partnerships: list[tuple[str, int, int, int]] = field(default_factory=list)


def engine_of(url: sa.URL) -> str:
    name = url.get_backend_name()
    if name not in EXTENSIONS:
        raise BackupError(f"Backups handle SQLite and PostgreSQL, not {name}.")
    return name


# --- names and retention -----------------------------------------------------------------


def backup_name(engine: str, now: datetime, folder: Path) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    extension = EXTENSIONS[engine]
    path = folder / f"clinic-{stamp}Z.{extension}"
    n = 1
    while path.exists() or path.with_name(path.name + ".part").exists():
        n += 1
        path = folder / f"clinic-{stamp}Z-{n}.{extension}"
    return path


def _order(path: Path) -> tuple[str, int]:
    match = _NAME.match(path.name)
    return (match.group(1), int(match.group(2) or 1)) if match else ("", 0)


def list_backups(folder: Path) -> list[Path]:
    """The service's backups in ``folder``, oldest first (other files are left alone)."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if _NAME.match(p.name)), key=_order)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    if keep < 1:
        raise BackupError("BACKUP_KEEP must be 1 or more.")
    backups = list_backups(folder)
    doomed = backups[:-keep]
    for path in doomed:
        path.unlink()
    return doomed


# --- taking a backup ---------------------------------------------------------------------


def create_backup(
    url: sa.URL,
    folder: Path,
    *,
    keep: int,
    now: datetime | None = None,
    pg_dump: str = "pg_dump",
    pg_restore: str = "pg_restore",
) -> Path:
    """Write a consistent copy of the database at ``url`` into ``folder``; prune to ``keep``."""
    engine = engine_of(url)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = backup_name(engine, now or datetime.now(UTC), folder)
    partial = final.with_name(final.name + ".part")
    try:
        if engine == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _pg_dump(url, partial, pg_dump)
            _run([pg_restore, "--list", str(partial)], "pg_restore could not read the dump")
        os.chmod(partial, 0o600)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    prune(folder, keep)
    return final


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is in memory; there is nothing on disk to back up.")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"There is no database file at {source}.")
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)  # pages=-1: every page in one step, under one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"The copy failed SQLite's integrity check: {result}")


def _libpq(url: sa.URL) -> tuple[str, dict]:
    """A libpq URI without the password (which goes in PGPASSWORD, out of `ps`)."""
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _run(command: list[str], failure: str, env: dict | None = None) -> str:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client-NN, "
            "NN being the server's version), or set PG_DUMP / PG_RESTORE to its path."
        )
    done = subprocess.run(  # noqa: S603 - our own command line, no shell
        command,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        detail = redact(" ".join(done.stderr.split()))[:500]
        raise BackupError(f"{failure}: {detail}")
    return done.stdout


def tool_major(tool: str) -> int:
    output = _run([tool, "--version"], f"{tool} --version failed")
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    if not match:
        raise BackupError(f"Could not read the version of {tool} from {output!r}.")
    return int(match.group(1))


def server_major(url: sa.URL) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    finally:
        engine.dispose()


def check_pg_dump_version(url: sa.URL, pg_dump: str) -> None:
    tool, server = tool_major(pg_dump), server_major(url)
    if tool < server:
        raise BackupError(
            f"{pg_dump} is version {tool} but the database server is version {server}: "
            f"install postgresql-client-{server} and set PG_DUMP to its pg_dump "
            f"(/usr/lib/postgresql/{server}/bin/pg_dump on Debian)."
        )


def _pg_dump(url: sa.URL, target: Path, pg_dump: str) -> None:
    check_pg_dump_version(url, pg_dump)
    uri, env = _libpq(url)
    _run(
        [
            pg_dump,
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            f"--dbname={uri}",
        ],
        "pg_dump failed",
        env,
    )


# --- checking and restoring ----------------------------------------------------------------


def file_engine(path: Path) -> str:
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path.name} is neither a SQLite database nor a pg_dump custom-format file.")


def check_backup(path: Path, scripts: ScriptDirectory, *, pg_restore: str = "pg_restore"):
    """What the copy holds, or ``BackupError`` if it is damaged or from a newer release."""
    engine = file_engine(path)
    if engine == "sqlite":
        revisions, tables = _check_sqlite(path)
    else:
        revisions, tables = _check_pgdump(path, pg_restore)
    if not revisions:
        raise BackupError(
            f"{path.name} has no Alembic revision: it is not this service's database."
        )
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = [r for r in revisions if r not in known]
    if unknown:
        raise BackupError(
            f"{path.name} is at migration {', '.join(unknown)}, which this release does not "
            "know: it was made by a newer release. Restore it with that release."
        )
    behind = set(revisions) != set(scripts.get_heads())
    return BackupInfo(path=path, engine=engine, revisions=revisions, behind=behind, tables=tables)


def _check_sqlite(path: Path) -> tuple[tuple[str, ...], dict[str, int]]:
    uri = f"file:{path}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"{path.name} failed SQLite's integrity check: {result}")
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            tables = {
                # The names are the copy's own tables (from sqlite_master), not typed text.
                n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]  # noqa: S608
                for n in names
            }
            revisions = ()
            if "alembic_version" in names:
                rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
                revisions = tuple(row[0] for row in rows)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} is not a readable SQLite database: {exc}") from exc
    return revisions, tables


def _check_pgdump(path: Path, pg_restore: str) -> tuple[tuple[str, ...], dict[str, int]]:
    listing = _run([pg_restore, "--list", str(path)], f"{path.name} is not a readable dump")
    tables = {}
    for line in listing.splitlines():
        match = re.search(r"TABLE DATA \S+ (\S+) ", line)
        if match:
            tables[match.group(1)] = -1  # counts are only known once restored
    data = _run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)],
        f"could not read the migration revision from {path.name}",
    )
    revisions = []
    inside = False
    for line in data.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            inside = True
        elif inside and line == "\\.":
            break
        elif inside and line.strip():
            revisions.append(line.strip())
    return tuple(revisions), tables


def _user_tables(url: sa.URL) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if url.get_backend_name() == "sqlite":
                rows = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%'"
                )
            else:
                rows = conn.exec_driver_sql(
                    "SELECT table_schema || '.' || table_name FROM information_schema.tables"
                    " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                )
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def table_counts(url: sa.URL) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            return {
                name: conn.execute(
                    sa.select(sa.func.count()).select_from(sa.table(name))
                ).scalar_one()
                for name in sorted(names)
            }
    finally:
        engine.dispose()


PARTNERSHIP_COUNTS = """
SELECT p.slug,
       (SELECT count(*) FROM school s WHERE s.partnership_id = p.id),
       (SELECT count(*) FROM clinic c JOIN school s ON s.id = c.school_id
         WHERE s.partnership_id = p.id),
       (SELECT count(*) FROM booking b JOIN clinic c ON c.id = b.clinic_id
         JOIN school s ON s.id = c.school_id WHERE s.partnership_id = p.id)
FROM partnership p ORDER BY p.id
"""


def partnership_counts(url: sa.URL) -> list[tuple[str, int, int, int]]:
    """Each partnership's slug with its schools, clinics and bookings (none for a copy
    made before partnerships, migration 0017)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        if not sa.inspect(engine).has_table("partnership"):
            return []
        with engine.connect() as conn:
            return [
                (slug, schools, clinics, bookings)
                for slug, schools, clinics, bookings in conn.exec_driver_sql(PARTNERSHIP_COUNTS)
            ]
    finally:
        engine.dispose()


def restore_backup(
    path: Path, url: sa.URL, scripts: ScriptDirectory, *, pg_restore: str = "pg_restore"
) -> BackupInfo:
    """Check the copy, then put it into the empty database at ``url``."""
    info = check_backup(path, scripts, pg_restore=pg_restore)
    target = engine_of(url)
    if info.engine != target:
        raise BackupError(
            f"{path.name} is a {info.engine} backup and the database is {target}: "
            "restore it into the same kind of database."
        )
    if target == "sqlite":
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    existing = _user_tables(url)
    if existing:
        raise BackupError(
            f"The database is not empty (it has {len(existing)} tables, such as "
            f"{existing[0]}): restore into a new, empty database, then point DATABASE_URL at it."
        )
    if target == "sqlite":
        uri = f"file:{path}?mode=ro"
        with (
            closing(sqlite3.connect(uri, uri=True)) as src,
            closing(sqlite3.connect(_sqlite_path(url))) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
    else:
        uri, env = _libpq(url)
        _run(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={uri}",
                str(path),
            ],
            "pg_restore failed",
            env,
        )
    info.tables = table_counts(url)
    info.partnerships = partnership_counts(url)
    return info
