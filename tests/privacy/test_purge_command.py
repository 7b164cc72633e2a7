"""`flask privacy purge` as cron runs it: recorded in job_run, and one record that cannot
be changed is logged by id, skipped, and makes the command exit 1."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from clinic.models import Booking, WalkIn
from clinic.ops.models import JobRun
from tests.booking.conftest import move_back
from tests.privacy.support import EMAIL, NAME, find_everywhere


@pytest.fixture
def old_clinic(app, session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=2, capacity=2)
    make.booking(clinic.slots[0], parent_name=NAME, email=EMAIL)
    make.booking(clinic.slots[1])
    session.add_all([WalkIn(clinic_id=clinic.id, parent_name=NAME) for _ in range(3)])
    session.commit()
    return move_back(session, clinic, 14 + app.config["PRIVACY_KEEP_DAYS"] + 1)


def test_the_command_anonymises_and_is_recorded(app, session, old_clinic):
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "booking 2" in result.output and "walk-in 3" in result.output
    assert find_everywhere() == []
    run = session.get(JobRun, "privacy purge")
    assert run.last_succeeded_at is not None and run.last_failed_at is None

    again = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert again.exit_code == 0 and "booking 0" in again.output


def _refuse_updates_of(session, table: str, row_id: int):
    """A trigger that makes one row impossible to change (a fault no check could see)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa.text(
                f"CREATE TRIGGER refuse BEFORE UPDATE ON {table} WHEN old.id = {row_id} "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
        session.commit()
        return lambda: (session.execute(sa.text("DROP TRIGGER refuse")), session.commit())
    session.execute(
        sa.text(
            "CREATE FUNCTION refuse() RETURNS trigger AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
        )
    )
    session.execute(
        sa.text(
            f"CREATE TRIGGER refuse BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN (OLD.id = {row_id}) EXECUTE FUNCTION refuse()"
        )
    )
    session.commit()

    def drop():
        session.execute(sa.text(f"DROP TRIGGER refuse ON {table}"))
        session.execute(sa.text("DROP FUNCTION refuse()"))
        session.commit()

    return drop


def test_one_bad_record_is_skipped_and_the_command_exits_1(app, session, old_clinic, caplog):
    caplog.set_level(logging.INFO)
    walk_ins = sorted(w.id for w in session.scalars(sa.select(WalkIn)))
    drop = _refuse_updates_of(session, "walk_in", walk_ins[1])
    try:
        result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    finally:
        session.rollback()
        drop()
    assert result.exit_code == 1, result.output
    assert f"walk-in {walk_ins[1]}" in result.output
    assert f"walk-in {walk_ins[1]} failed and was skipped" in caplog.text
    assert NAME not in caplog.text and EMAIL not in caplog.text
    session.expire_all()
    names = {w.id: w.parent_name for w in session.scalars(sa.select(WalkIn))}
    assert names == {walk_ins[0]: None, walk_ins[1]: NAME, walk_ins[2]: None}
    assert session.scalar(sa.select(sa.func.count()).where(Booking.email.is_not(None))) == 0
    run = session.get(JobRun, "privacy purge")
    assert run.last_failed_at is not None and run.last_error == "exit status 1"
    # The next night's run does the one left over.
    session.commit()
    assert app.test_cli_runner().invoke(args=["privacy", "purge"]).exit_code == 0
    assert find_everywhere() == []


def test_settings_name_the_retention_times(app):
    assert app.config["PRIVACY_KEEP_DAYS"] == 90
    assert app.config["PRIVACY_KEEP_SENT_EMAIL_DAYS"] == 30
    # A backup outlives nothing purged for longer than the shortest retention (one a day).
    assert app.config["BACKUP_KEEP"] <= app.config["PRIVACY_KEEP_SENT_EMAIL_DAYS"]
