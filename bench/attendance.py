"""How long a clinic with 1,000 bookings takes to show its attendance list, CSV and PDF.

    python -m bench.attendance                   # a fresh SQLite file
    python -m bench.attendance --bookings 200 --runs 5
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.attendance

Each page is asked for through the app (signed in as the clinic's officer), as a browser
would; the figures are the fastest and the middle of ``--runs`` tries (and the least
processor time, which a busy machine disturbs less), with the number of database queries
each request made. With ``TEST_DATABASE_URL`` set, the same is measured on
a PostgreSQL database made for the run (and dropped after it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_login import FlaskLoginClient
from flask_migrate import upgrade

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, Clinic, School, Slot, User, normalise_email
from clinic.partnership import partnership_for

ROOT = Path(__file__).resolve().parent.parent
SLOTS = 40
PAGES = {"list page": "", "CSV": "/list.csv", "PDF": "/sheet.pdf"}


def seed(bookings: int) -> tuple[int, int]:
    """A school, its officer and a published clinic with ``bookings`` bookings; their ids."""
    school = School(
        partnership=partnership_for(db.session, None),
        name="Benchmark Primary School",
        urn="999998",
        postcode="BE1 1CH",
        slug="benchmark-primary",
        contact_email="office@bench.example.org",
    )
    officer = User(
        email="pc.bench@example.org",
        name="PC Bench",
        role="officer",
        partnership=school.partnership,
    )
    officer.schools = [school]
    day = datetime.now(UTC).date() + timedelta(days=7)
    start = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    clinic = Clinic(
        school=school,
        officer=officer,
        title="Parental controls clinic",
        venue="School hall",
        date=day,
        status="published",
        booking_opens_at=start - timedelta(days=14),
        booking_closes_at=start - timedelta(hours=1),
    )
    per_slot = -(-bookings // SLOTS)
    for n in range(SLOTS):
        begins = start + timedelta(minutes=10 * n)
        clinic.slots.append(
            Slot(starts_at=begins, ends_at=begins + timedelta(minutes=10), capacity=per_slot)
        )
    db.session.add(clinic)
    db.session.flush()
    for n in range(bookings):
        slot = clinic.slots[n % SLOTS]
        slot.booked += 1
        email = f"parent{n}@bench.example.net"
        db.session.add(
            Booking(
                reference=f"B{n:07d}",
                clinic_id=clinic.id,
                slot_id=slot.id,
                parent_name=f"Parent {n:04d}",
                email=email,
                email_normalised=normalise_email(email),
                phone="+447700900123",
                child_years=["Year 3", "Year 5"],
                topics=["roblox", "tiktok", "iphone-ipad"],
                access_needs="Step-free access" if n % 10 == 0 else None,
                consent_at=datetime.now(UTC),
                consent_version="bench",
            )
        )
    db.session.commit()
    return clinic.id, officer.id


@contextmanager
def counted_queries(engine: sa.Engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def measure(database_url: str, bookings: int, runs: int) -> None:
    """Migrate, seed, then time each page ``runs`` times and print one line per page.

    The requests run outside the set-up's app context, so each has its own database
    session, as in production (nothing is remembered from one request to the next)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_SEND_MODE": "off"})
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        clinic_id, officer_id = seed(bookings)
        client = app.test_client(user=db.session.get(User, officer_id))
        engine = db.engine
    base = f"/staff/attendance/clinics/{clinic_id}"
    for name, suffix in PAGES.items():
        client.get(base + suffix)  # warm up templates and connections
        times, cpu = [], []
        for _ in range(runs):
            with counted_queries(engine) as queries:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(base + suffix)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            assert response.status_code == 200, response.status_code
        fastest, middle = min(times), statistics.median(times)
        print(
            f"  {name:<10} fastest {fastest:6.3f} s   median {middle:6.3f} s"
            f"   (CPU {min(cpu):6.3f} s)   {len(response.data) / 1024:5.0f} KiB"
            f"   {len(queries)} queries"
        )
    engine.dispose()


@contextmanager
def postgres_database(admin_url: str):
    """A new, empty PostgreSQL database for one run, dropped afterwards."""
    url = sa.make_url(admin_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"clinic_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("CLINIC_CONFIG", "test")

    with tempfile.TemporaryDirectory() as folder:
        print(f"SQLite file, {args.bookings} bookings in {SLOTS} slots:")
        measure(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", args.bookings, args.runs)
    postgres = os.environ.get("TEST_DATABASE_URL")
    if postgres:
        with postgres_database(postgres) as url:
            print(f"PostgreSQL, {args.bookings} bookings in {SLOTS} slots:")
            measure(url, args.bookings, args.runs)


if __name__ == "__main__":
    main()
