"""The schema: migrations match the models, and the design's rules live in the database."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, Slot


def test_migrations_and_models_agree(app):
    """`flask db migrate` would find nothing to do: autogenerate sees no difference."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_sqlite_pragmas(sqlite_template):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{sqlite_template}"})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def _insert_fails(session, obj):
    session.add(obj)
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()


def test_slot_capacity_and_times_are_checked(session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=0)
    start = datetime.now(UTC) + timedelta(days=3)
    _insert_fails(
        session,
        Slot(
            clinic_id=clinic.id, starts_at=start, ends_at=start + timedelta(minutes=15), capacity=0
        ),
    )
    _insert_fails(session, Slot(clinic_id=clinic.id, starts_at=start, ends_at=start, capacity=1))


def test_slot_never_holds_more_than_capacity(session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    slot = clinic.slots[0]
    slot.booked = 2
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()
    session.rollback()


def test_one_live_booking_per_household_per_clinic(session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=2, capacity=3)
    first = make.booking(clinic.slots[0], email="Parent@Example.net")
    with pytest.raises(sa.exc.IntegrityError):
        make.booking(clinic.slots[1], email="parent@example.net ")
    session.rollback()
    # Once the first is cancelled the household may book again.
    first = session.get(Booking, first.id)
    first.status = "cancelled"
    session.commit()
    make.booking(session.get(Slot, clinic.slots[1].id), email="parent@example.net")


def test_school_urn_and_slug_are_unique(make, session):
    make.school(urn="123456", slug="oak")
    from clinic.models import School

    _insert_fails(
        session,
        School(name="B", urn="123456", postcode="EX1 1AA", slug="b", contact_email="b@example.org"),
    )
    _insert_fails(
        session,
        School(
            name="C", urn="654321", postcode="EX1 1AA", slug="oak", contact_email="c@example.org"
        ),
    )


def test_foreign_keys_are_enforced(session):
    from clinic.models import Slot

    start = datetime.now(UTC)
    _insert_fails(
        session,
        Slot(clinic_id=999, starts_at=start, ends_at=start + timedelta(minutes=5), capacity=1),
    )
