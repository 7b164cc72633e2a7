"""Upgrades that keep data: every migration runs forward on a database full of realistic
data, loses no row or count, and the app then serves every page; the latest migration
goes down and up again.

Generic over Alembic's revisions, so a migration added later is tested without touching
this file:

1. Realistic data is made once at the latest schema, in a scratch database, with the
   code of today: ``flask demo seed`` plus a few hundred bookings in every status,
   waiting-list entries, walk-ins, feedback, outbox messages, audit events.
2. A second, empty database is upgraded to the *first* revision, and the data copied in
   (the columns both schemas have), as an old release would have held it.
3. It is then upgraded one revision at a time; after each step every table that was
   there still holds the same rows, and each slot still counts its live bookings.
4. At the latest revision an admin opens every GET route (with sample ids and real
   parents' links) and gets no server error; then ``flask db downgrade`` and ``flask db
   upgrade`` of the latest migration keep the rows too.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from clinic import create_app
from clinic.auth.service import password_token, sign_in_token
from clinic.extensions import db
from clinic.links import feedback_token, manage_token, waitlist_token
from clinic.models import (
    AuditEvent,
    Booking,
    BookingDraft,
    Clinic,
    Feedback,
    OutboxMessage,
    School,
    Slot,
    User,
    WaitlistEntry,
    WalkIn,
    normalise_email,
)
from tests.conftest import ROOT, IsolatedClient, sign_in
from tests.ops.support import spare_database

pytestmark = pytest.mark.slow

MIGRATIONS = ROOT / "migrations"
BOOKINGS = 320
# Migrations that add their shipped defaults to a table that already has rows: the upgrade
# may add rows there and its downgrade take them out again (each such migration's own test
# checks which: tests/ops/test_guidance_migration.py for 0010).
ADDS_DEFAULTS = {"0010": {"bring_advice"}}
STATUSES = ("confirmed", "cancelled", "attended", "no_show")


def revisions_in_order() -> list[str]:
    scripts = ScriptDirectory(str(MIGRATIONS))
    assert len(scripts.get_heads()) == 1, "the migrations must have one head (merge them)"
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def _app(url: str, tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
            "DEMO_ACCOUNTS_FILE": str(tmp_path / "demo-accounts.json"),
        }
    )
    app.config["MAIL_SERVER"] = ""
    app.test_client_class = IsolatedClient
    return app


# --- 1. realistic data at today's schema ------------------------------------------------------


def _demo_passwords(output: str) -> dict[str, str]:
    """Email and password from each row of the seed's table (role, schools, email, password)."""
    passwords = {}
    for line in output.splitlines():
        parts = line.split()
        emails = [part for part in parts if "@" in part]
        if len(emails) == 1 and parts[-2] == emails[0]:
            passwords[emails[0]] = parts[-1]
    return passwords


def _realistic_data(session) -> None:
    """A few hundred bookings in every status over past and future clinics, with the
    waiting lists, walk-ins, feedback, emails and audit events that go with them."""
    schools = session.scalars(sa.select(School).order_by(School.id)).all()
    officer = session.scalars(sa.select(User).where(User.role == "officer")).first()
    now = datetime.now(UTC)
    clinics = []
    for n, days in enumerate((-40, -12, -2, 5, 20, 33)):
        day = (now + timedelta(days=days)).date()
        start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
        clinic = Clinic(
            school=schools[n % len(schools)],
            officer=officer,
            title=f"Parental controls clinic {n}",
            description="Bring your child's devices.",
            venue="School hall",
            date=day,
            status="published",
            booking_opens_at=start - timedelta(days=60),
            booking_closes_at=start - timedelta(hours=24),
            closed_at=start + timedelta(hours=3) if days < 0 else None,
        )
        for i in range(10):
            begins = start + timedelta(minutes=20 * i)
            clinic.slots.append(
                Slot(starts_at=begins, ends_at=begins + timedelta(minutes=15), capacity=10)
            )
        clinics.append(clinic)
    session.add_all(clinics)
    session.flush()
    slots = [slot for clinic in clinics for slot in clinic.slots]
    statuses = itertools.cycle(STATUSES)
    for n in range(BOOKINGS):
        slot = slots[n % len(slots)]
        past = slot.starts_at < now
        status = next(statuses)
        if not past and status in ("attended", "no_show"):
            status = "confirmed"
        email = f"migrating.parent{n}@example.net"
        booking = Booking(
            reference=f"M{n:07d}",
            clinic_id=slot.clinic_id,
            slot=slot,
            parent_name=f"Parent {n}",
            email=email,
            email_normalised=normalise_email(email),
            phone="07700 900123" if n % 3 else None,
            child_years=["Year 4", "Year 6"][: 1 + n % 2],
            topics=["roblox", "tiktok"][: 1 + n % 2],
            access_needs="Step-free access" if n % 7 == 0 else None,
            consent_at=now - timedelta(days=50),
            consent_version="2026-11",
            status=status,
            cancelled_at=now - timedelta(days=1) if status == "cancelled" else None,
            checked_in_at=slot.starts_at if status == "attended" else None,
            reminder_sent_at=now - timedelta(days=3) if n % 2 else None,
        )
        session.add(booking)
        if status != "cancelled":
            slot.booked += 1
        if status == "attended" and n % 4 == 2:
            session.flush()
            session.add(
                Feedback(clinic_id=slot.clinic_id, booking_id=booking.id, useful=4, comments="ok")
            )
    for n, clinic in enumerate(clinics):
        session.add(WalkIn(clinic_id=clinic.id, parent_name=f"Walk In {n}", child_years=["Year 2"]))
        for i, status in enumerate(("waiting", "expired", "removed")):
            email = f"waiting{n}-{i}@example.net"
            session.add(
                WaitlistEntry(
                    clinic_id=clinic.id,
                    parent_name=f"Waiting {n}-{i}",
                    email=email,
                    email_normalised=normalise_email(email),
                    status=status,
                    consent_at=now,
                )
            )
    for n, status in enumerate(("pending", "sent", "failed") * 10):
        session.add(
            OutboxMessage(
                kind="booking_confirmed",
                recipient=f"migrating.parent{n}@example.net",
                subject="Your place is booked",
                text_body="Hello",
                status=status,
                attempts=0 if status == "pending" else 1,
                sent_at=now if status == "sent" else None,
                purged_at=now if status == "sent" and n % 2 else None,
            )
        )
        session.add(
            AuditEvent(
                actor_label="parent", action="booking.create", object_type="booking", object_id=n
            )
        )
    for n, clinic in enumerate(clinics):
        session.add(
            BookingDraft(
                id=f"draft-{n}",
                clinic_id=clinic.id,
                answers={"parent_name": f"Drafting {n}", "email": f"draft{n}@example.net"},
                expires_at=now + timedelta(hours=4),
            )
        )
    session.commit()


# --- 2. copying it into an older schema ------------------------------------------------------


def _copy(source_url: str, target_url: str) -> dict[str, int]:
    """Copy the rows of every table the target has, in the columns both have."""
    source, target = sa.create_engine(source_url), sa.create_engine(target_url)
    copied = {}
    try:
        there = sa.MetaData()
        there.reflect(target)
        here = sa.MetaData()
        here.reflect(source)
        with source.connect() as read, target.begin() as write:
            for table in db.metadata.sorted_tables:
                if table.name not in there.tables or table.name not in here.tables:
                    continue
                into, out_of = there.tables[table.name], here.tables[table.name]
                columns = [c.name for c in out_of.columns if c.name in into.columns]
                query = sa.select(*[out_of.c[name] for name in columns])
                rows = [dict(r._mapping) for r in read.execute(query)]
                if rows:
                    write.execute(into.insert(), rows)
                copied[table.name] = len(rows)
            if write.dialect.name == "postgresql":
                for name, table in there.tables.items():
                    if "id" in table.columns and isinstance(table.c.id.type, sa.Integer):
                        write.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'),"
                            f' coalesce((SELECT max(id) FROM "{name}"), 0) + 1, false)'
                        )
    finally:
        source.dispose()
        target.dispose()
    return copied


# --- 3. what must survive every step -----------------------------------------------------------


def _state(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            counts = {
                n: conn.execute(sa.select(sa.func.count()).select_from(sa.table(n))).scalar_one()
                for n in names
                if n != "alembic_version"
            }
            bookings = set(
                conn.exec_driver_sql(
                    "SELECT id, slot_id, status, email_normalised, reference FROM booking"
                ).all()
            )
            slots = set(
                conn.exec_driver_sql(
                    "SELECT slot.id, slot.booked, count(booking.id) FROM slot"
                    " LEFT JOIN booking ON booking.slot_id = slot.id"
                    " AND booking.status <> 'cancelled' GROUP BY slot.id, slot.booked"
                ).all()
            )
            by_status = dict(
                conn.exec_driver_sql("SELECT status, count(*) FROM booking GROUP BY status").all()
            )
    finally:
        engine.dispose()
    return {"counts": counts, "bookings": bookings, "slots": slots, "by_status": by_status}


def _assert_kept(
    before: dict, after: dict, step: str, *, grows: set[str] = frozenset(), shrinks=frozenset()
) -> None:
    for table, count in before["counts"].items():
        if table in grows:
            assert after["counts"][table] >= count, f"{step}: {table} had {count} rows"
        elif table in shrinks:
            assert 0 < after["counts"][table] <= count, f"{step}: {table} had {count} rows"
        elif table in after["counts"]:
            assert after["counts"][table] == count, f"{step}: {table} had {count} rows"
    assert after["bookings"] == before["bookings"], f"{step}: bookings changed"
    assert after["slots"] == before["slots"], f"{step}: slot counts changed"
    assert all(booked == live for _, booked, live in after["slots"]), step


# --- 4. every page ----------------------------------------------------------------------------


def _samples(session) -> dict[str, object]:
    booking = session.scalars(
        sa.select(Booking).where(Booking.status == "confirmed").order_by(Booking.id.desc())
    ).first()
    attended = session.scalars(sa.select(Booking).where(Booking.status == "attended")).first()
    entry = session.scalars(
        sa.select(WaitlistEntry).where(WaitlistEntry.status == "waiting")
    ).first()
    officer = session.scalars(sa.select(User).where(User.role == "officer")).first()
    officer.calendar_token = "FeedToken0123456789abcdefABCDEF"
    session.commit()
    return {
        "clinic_id": booking.clinic_id,
        "slot_id": booking.slot_id,
        "booking_id": booking.id,
        "school_id": booking.clinic.school_id,
        "slug": booking.clinic.school.slug,
        "user_id": officer.id,
        "link_id": 1,
        "passkey_id": 1,  # none: the page goes back to the second-factor page
        "topic": "iphone-ipad",
        "message_id": session.scalar(sa.select(sa.func.min(OutboxMessage.id))),
        "walk_in_id": session.scalar(sa.select(sa.func.min(WalkIn.id))),
        "filename": "govuk/govuk-frontend.min.js",
        "token": {
            "manage": manage_token(booking),
            "waitlist.offer": waitlist_token(entry),
            "waitlist.leave": waitlist_token(entry),
            "privacy.delete_booking": manage_token(booking),
            "privacy.delete_waitlist_entry": waitlist_token(entry),
            "feedback.give": feedback_token(attended),
            "auth.set_password": password_token(officer),
            "auth.sign_in_with_link": sign_in_token(officer),
            "schedule.calendar_feed": officer.calendar_token,
        },
    }


def _value(samples: dict, endpoint: str, argument: str):
    if argument not in samples:
        pytest.fail(f"add a sample value for the route argument {argument!r} ({endpoint})")
    value = samples[argument]
    if isinstance(value, dict):
        return value.get(endpoint) or value[endpoint.rsplit(".", 1)[0]]
    return value


def _every_page(app, passwords: dict[str, str]) -> dict[str, int]:
    with app.app_context():
        samples = _samples(db.session)
        admin = db.session.scalars(sa.select(User).where(User.role == "admin")).first()
        client = sign_in(app.test_client(), admin, passwords[admin.email])
        answers = {}
        adapter = app.url_map.bind("localhost")
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods:
                continue
            values = {a: _value(samples, rule.endpoint, a) for a in rule.arguments}
            path = adapter.build(rule.endpoint, values)
            answers[path] = client.get(path).status_code
        db.session.remove()
    return answers


# --- the test -----------------------------------------------------------------------------------


def test_every_migration_keeps_realistic_data_and_the_app_serves_every_page(database_url, tmp_path):
    revisions = revisions_in_order()
    with (
        spare_database(database_url, tmp_path) as scratch_url,
        spare_database(database_url, tmp_path) as target_url,
    ):
        # 1. the data, made by today's code at today's schema
        scratch = _app(scratch_url, tmp_path)
        with scratch.app_context():
            upgrade(directory=str(MIGRATIONS))
            seeded = scratch.test_cli_runner().invoke(args=["demo", "seed"])
            assert seeded.exit_code == 0, seeded.output
            # The service owner's account cannot exist before 0017 made the role (issue 21).
            db.session.execute(sa.delete(User).where(User.role == "owner"))
            db.session.commit()
            _realistic_data(db.session)
            all_bookings = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
            db.session.remove()
            db.engine.dispose()
        passwords = _demo_passwords(seeded.output)
        assert passwords

        # 2. an old release's database holding it
        target = _app(target_url, tmp_path)
        with target.app_context():
            upgrade(directory=str(MIGRATIONS), revision=revisions[0])
            db.engine.dispose()
        copied = _copy(scratch_url, target_url)
        assert copied["booking"] == all_bookings > BOOKINGS  # the demo's and ours
        state = _state(target_url)
        assert set(state["by_status"]) == set(STATUSES)

        # 3. forward one migration at a time
        for revision in revisions[1:]:
            with target.app_context():
                upgrade(directory=str(MIGRATIONS), revision=revision)
                db.engine.dispose()
            after = _state(target_url)
            seeds = ADDS_DEFAULTS.get(revision, set())
            _assert_kept(state, after, f"upgrade to {revision}", grows=seeds)
            state = after

        # 4. every page, then the latest migration down and up again
        answers = _every_page(target, passwords)
        errors = {path: code for path, code in answers.items() if code >= 500}
        assert not errors, errors
        assert sum(code == 200 for code in answers.values()) >= 30, answers
        for path in ("/staff/clinics/", "/admin/schools", "/staff/figures", "/admin/outbox/failed"):
            assert answers[path] == 200, path

        state = _state(target_url)  # the sign-ins above added staff sessions
        runner_app = target
        with runner_app.app_context():
            down = runner_app.test_cli_runner().invoke(args=["db", "downgrade"])
            assert down.exit_code == 0, down.output
            db.engine.dispose()
        down_state = _state(target_url)
        seeds = ADDS_DEFAULTS.get(revisions[-1], set())
        _assert_kept(state, down_state, "downgrade of the latest migration", shrinks=seeds)
        with runner_app.app_context():
            up = runner_app.test_cli_runner().invoke(args=["db", "upgrade"])
            assert up.exit_code == 0, up.output
            db.engine.dispose()
        # Tables the latest migration makes come back empty; every other keeps its rows.
        again = _state(target_url)
        again["counts"] = {t: n for t, n in again["counts"].items() if t in down_state["counts"]}
        _assert_kept(down_state, again, "upgrade again", grows=seeds)
        print(
            f"\n[{sa.make_url(database_url).get_backend_name()}] revisions {revisions}: "
            f"{sum(state['counts'].values())} rows kept, {len(answers)} pages, "
            f"{sum(c == 200 for c in answers.values())} answered 200"
        )
