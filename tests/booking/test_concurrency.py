"""Design rule 1 through a real server: many parents, one slot of five places, one moment.

gunicorn runs the app with several worker processes (each with threads) against the
test's own database, SQLite file or PostgreSQL; every parent has its own cookies and
CSRF token and presses Confirm at the same moment (bench/burst.py).  Run with ``-s`` to
see the figures.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.burst import fire, serve
from clinic.models import AuditEvent, Booking, OutboxMessage, Slot

pytestmark = pytest.mark.slow

PARENTS = 60
CAPACITY = 5
WORKERS = 4


def test_never_overbooked_under_concurrent_requests(database_url, session, make, school):
    officer = make.user(role="officer", schools=[school])
    clinic = make.clinic(school, officer, slots=1, capacity=CAPACITY)
    slot_id = clinic.slots[0].id
    session.commit()  # no transaction left open: on SQLite it would hold the write lock

    with serve(database_url, workers=WORKERS) as base_url:
        figures = fire(base_url, slot_id, PARENTS)
    engine = database_url.split(":", 1)[0].split("+", 1)[0]
    print(f"\n[{engine}, {WORKERS} gunicorn workers] {figures}")

    assert figures.requests == PARENTS
    assert figures.successes == CAPACITY
    assert figures.refusals == PARENTS - CAPACITY
    assert figures.errors == 0 and figures.other == 0
    session.commit()
    assert session.get(Slot, slot_id).booked == CAPACITY
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Booking) == CAPACITY
    assert count(OutboxMessage) == CAPACITY  # one confirmation each, nothing for the refused
    assert count(AuditEvent) == CAPACITY
    emails = session.scalars(select(Booking.email_normalised)).all()
    assert len(set(emails)) == CAPACITY
