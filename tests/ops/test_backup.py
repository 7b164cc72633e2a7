"""Backups that restore: taken while parents book, put back into a fresh database, checked.

The main test runs the service for real (gunicorn with deploy/gunicorn.conf.py, two
worker processes with two threads each) on the test's database, SQLite file or
PostgreSQL; four parents' threads book one household after another through the real
pages while ``flask backup create`` runs.  The copy then goes through ``flask backup
restore`` into a second, empty database, which must hold every booking whose
confirmation page had come back before the backup began, nothing the live database
lacks, and slot counts equal to their live bookings.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from clinic import create_app
from clinic.extensions import db
from clinic.ops import backup
from tests.conftest import ROOT
from tests.ops.support import Parent, app_env, gunicorn, spare_database

pytestmark = pytest.mark.slow

PARENTS = 4
MOST_PER_PARENT = 60  # bounds the load whatever happens
LOAD_SECONDS = 120
BEFORE_BACKUP = 24  # bookings confirmed before the copy starts


def _invoke_on(url: str, *args: str):
    """Run a flask command on another database: with its own app context pushed, since a
    command runs on whatever app is current (the test's own, here)."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        try:
            return other.test_cli_runner().invoke(args=list(args))
        finally:
            db.session.remove()
            db.engine.dispose()


def _bookings(url: str) -> tuple[set[str], dict[int, tuple[int, int]]]:
    """(emails with a live booking, {slot id: (booked, live bookings)})."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            emails = {
                row[0]
                for row in conn.exec_driver_sql(
                    "SELECT email_normalised FROM booking WHERE status <> 'cancelled'"
                )
            }
            slots = {
                row[0]: (row[1], row[2])
                for row in conn.exec_driver_sql(
                    "SELECT slot.id, slot.booked, count(booking.id) FROM slot"
                    " LEFT JOIN booking ON booking.slot_id = slot.id"
                    " AND booking.status <> 'cancelled' GROUP BY slot.id, slot.booked"
                )
            }
    finally:
        engine.dispose()
    return emails, slots


def test_backup_under_load_restores_every_committed_booking(
    app, database_url, session, make, school, tmp_path
):
    officer = make.user(role="officer", schools=[school])
    clinic = make.clinic(school, officer, slots=6, capacity=200)
    slot_ids = [slot.id for slot in clinic.slots]
    session.commit()

    committed: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[str] = []

    def parent_after_parent(number: int, base_url: str) -> None:
        deadline = time.monotonic() + LOAD_SECONDS
        for i in range(MOST_PER_PARENT):
            if stop.is_set() or time.monotonic() > deadline:
                return
            email = f"load{number}-{i}@example.net"
            try:
                booked = Parent(base_url, email).book(slot_ids[(number + i) % len(slot_ids)])
            except Exception as exc:  # noqa: BLE001 - counted, the test fails on it below
                failures.append(f"{email}: {exc!r}")
                return
            if booked:
                with lock:
                    committed.append(email)
            else:
                failures.append(f"{email}: not booked")

    env = app_env(tmp_path, database_url)
    with gunicorn(tmp_path, env) as server:
        threads = [
            threading.Thread(target=parent_after_parent, args=(n, server.base_url))
            for n in range(PARENTS)
        ]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + LOAD_SECONDS
            while len(committed) < BEFORE_BACKUP and time.monotonic() < deadline and not failures:
                time.sleep(0.1)
            with lock:
                before_backup = set(committed)
            result = app.test_cli_runner().invoke(
                args=["backup", "create", "--dir", str(tmp_path / "backups")]
            )
            with lock:
                when_backup_done = len(committed)
            # Keep booking a little after the copy, so writes surround it on both sides.
            while len(committed) < when_backup_done + 8 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=TIMEOUT_JOIN)
    assert result.exit_code == 0, result.output
    assert not failures, failures[:5]
    assert len(before_backup) >= BEFORE_BACKUP
    copies = backup.list_backups(tmp_path / "backups")
    assert len(copies) == 1 and str(copies[0]) in result.output
    assert copies[0].stat().st_mode & 0o777 == 0o600  # it holds personal data

    live_emails, live_slots = _bookings(database_url)
    assert before_backup <= live_emails
    assert all(booked == live for booked, live in live_slots.values())

    with spare_database(database_url, tmp_path) as fresh_url:
        restored = _invoke_on(fresh_url, "backup", "restore", str(copies[0]))
        assert restored.exit_code == 0, restored.output
        emails, slots = _bookings(fresh_url)

    missing = before_backup - emails
    assert not missing, f"bookings committed before the backup are missing: {sorted(missing)}"
    assert emails <= live_emails  # nothing the live database does not have
    assert set(slots) == set(live_slots)
    for slot_id, (booked, live) in slots.items():
        assert booked == live, f"slot {slot_id}: booked {booked}, live bookings {live}"
    print(
        f"\n[{sa.make_url(database_url).get_backend_name()}] committed before the backup "
        f"{len(before_backup)}, in the copy {len(emails)}, live at the end {len(live_emails)}"
    )


TIMEOUT_JOIN = 90


# --- what restore refuses ---------------------------------------------------------------


@pytest.fixture
def one_backup(app, tmp_path, make, school) -> Path:
    make.clinic(school, make.user(role="officer", schools=[school]), slots=2)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["backup", "create", "--dir", str(tmp_path / "backups")]
    )
    assert result.exit_code == 0, result.output
    return backup.list_backups(tmp_path / "backups")[-1]


def test_restore_refuses_a_database_that_is_not_empty(app, one_backup):
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(one_backup)])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_check_reports_the_revision(app, one_backup):
    result = app.test_cli_runner().invoke(args=["backup", "check", str(one_backup)])
    assert result.exit_code == 0, result.output
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert f"at migration {head}" in result.output


def test_restore_refuses_a_damaged_file(app, database_url, one_backup, tmp_path):
    damaged = tmp_path / "damaged" / one_backup.name
    damaged.parent.mkdir()
    data = bytearray(one_backup.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = b"\xff" * 4096
    damaged.write_bytes(bytes(data))
    with spare_database(database_url, tmp_path) as fresh_url:
        result = _invoke_on(fresh_url, "backup", "restore", str(damaged))
        assert result.exit_code != 0
        assert "Error:" in result.output
        assert backup._user_tables(sa.make_url(fresh_url)) == []  # nothing half-restored


def test_restore_refuses_a_file_that_is_no_backup(app, tmp_path):
    stray = tmp_path / "notes.sqlite3"
    stray.write_text("not a database")
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(stray)])
    assert result.exit_code != 0
    assert "neither a SQLite database nor a pg_dump" in result.output


def test_restore_refuses_a_backup_from_a_newer_release(sqlite_template, tmp_path):
    newer = tmp_path / "clinic-20990101-000000Z.sqlite3"
    with sqlite3.connect(sqlite_template) as src, sqlite3.connect(newer) as dst:
        src.backup(dst)
        dst.execute("UPDATE alembic_version SET version_num = '9999'")
    result = _invoke_on(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "backup", "restore", str(newer))
    assert result.exit_code != 0
    assert "9999" in result.output and "newer release" in result.output


def test_restore_refuses_the_other_engine(sqlite_template, tmp_path, postgres_url):
    copy = tmp_path / "clinic-20260101-000000Z.sqlite3"
    with sqlite3.connect(sqlite_template) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with spare_database(postgres_url, tmp_path) as fresh_url:
        result = _invoke_on(fresh_url, "backup", "restore", str(copy))
    assert result.exit_code != 0
    assert "same kind of database" in result.output


# --- names and retention -------------------------------------------------------------------


def test_only_the_newest_copies_are_kept_and_other_files_stay(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    names = [f"clinic-202612{day:02d}-020000Z.sqlite3" for day in range(1, 8)]
    for name in names:
        (folder / name).write_bytes(b"x")
    (folder / "clinic-20261203-020000Z-2.sqlite3").write_bytes(b"x")
    (folder / "README.txt").write_text("operator's notes")
    removed = backup.prune(folder, keep=3)
    kept = [p.name for p in backup.list_backups(folder)]
    assert kept == names[-3:]
    assert len(removed) == 5
    assert (folder / "README.txt").exists()


def test_two_copies_in_one_second_get_different_names(tmp_path):
    from datetime import UTC, datetime

    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    first = backup.backup_name("sqlite", now, tmp_path)
    first.write_bytes(b"x")
    second = backup.backup_name("sqlite", now, tmp_path)
    assert first.name == "clinic-20261201-020000Z.sqlite3"
    assert second.name == "clinic-20261201-020000Z-2.sqlite3"
    second.write_bytes(b"x")
    assert backup.list_backups(tmp_path) == [first, second]


def test_pg_dump_older_than_the_server_is_refused_plainly(postgres_url, tmp_path):
    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    with pytest.raises(backup.BackupError, match="install postgresql-client-"):
        backup.check_pg_dump_version(sa.make_url(postgres_url), str(fake))


def test_backup_is_recorded_as_a_cron_run(app, one_backup):
    from clinic.ops.models import JobRun

    run = db.session.get(JobRun, "backup create")
    assert run is not None and run.last_succeeded_at is not None
    assert os.path.exists(one_backup)
