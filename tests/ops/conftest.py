"""Fixtures for the operations tests."""

import pytest

from clinic.extensions import db


@pytest.fixture
def schema_version(session):
    """Lets a test move alembic_version; puts it back after (the PostgreSQL database is
    shared by the run's tests, and truncating the tables leaves alembic_version alone)."""
    before = session.execute(db.text("SELECT version_num FROM alembic_version")).scalar_one()
    session.commit()

    def set_version(value: str) -> None:
        session.execute(db.text("UPDATE alembic_version SET version_num = :v"), {"v": value})
        session.commit()

    yield set_version
    session.rollback()
    set_version(before)
