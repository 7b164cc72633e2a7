"""`make bench`: a burst of parents booking one slot through gunicorn, with the figures.

    python -m bench.run                       # a fresh SQLite file
    python -m bench.run --database postgresql://postgres@127.0.0.1/bench   # an EMPTY database
    python -m bench.run --parents 200 --capacity 10 --workers 8

The database is built with the migrations and given one school, one officer and one
published clinic with a single slot; then every parent presses Confirm at the same moment.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade

from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, Clinic, School, Slot, User

from .burst import ROOT, fire, serve


def prepare(database_url: str, capacity: int) -> int:
    """Migrate the database and add a clinic with one slot; returns the slot's id."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_SEND_MODE": "off"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        school = School(
            name="Benchmark Primary School",
            urn="999999",
            postcode="BE1 1CH",
            slug="benchmark-primary",
            contact_email="office@bench.example.org",
        )
        officer = User(email="pc.bench@example.org", name="PC Bench", role="officer")
        officer.schools = [school]
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
        clinic = Clinic(
            school=school,
            officer=officer,
            title="Parental controls clinic",
            date=start.date(),
            status="published",
            booking_opens_at=start - timedelta(days=14),
            booking_closes_at=start - timedelta(hours=1),
        )
        clinic.slots.append(
            Slot(starts_at=start, ends_at=start + timedelta(minutes=30), capacity=capacity)
        )
        db.session.add(clinic)
        db.session.commit()
        slot_id = clinic.slots[0].id
        db.engine.dispose()
    return slot_id


def booked(database_url: str, slot_id: int) -> tuple[int, int]:
    """(slot.booked, bookings in the slot) as the database holds them after the burst."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_SEND_MODE": "off"})
    with app.app_context():
        slot = db.session.get(Slot, slot_id)
        rows = db.session.query(Booking).filter_by(slot_id=slot_id).count()
        result = (slot.booked, rows)
        db.engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an empty database URL (default: a new SQLite file)")
    parser.add_argument("--parents", type=int, default=100)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        slot_id = prepare(database_url, args.capacity)
        with serve(database_url, workers=args.workers, threads=args.threads) as base_url:
            figures = fire(base_url, slot_id, args.parents)
        places, rows = booked(database_url, slot_id)
    print(f"{args.workers} workers x {args.threads} threads: {figures}")
    print(f"slot capacity {args.capacity}: {places} places taken, {rows} bookings")
    ok = (
        figures.successes == rows == places == min(args.capacity, args.parents)
        and figures.errors == 0
        and figures.other == 0
    )
    print("OK: never overbooked, no errors" if ok else "PROBLEM: see the figures above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
