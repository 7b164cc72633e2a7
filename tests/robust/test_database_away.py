"""The database goes away for a few seconds under load (issue 12, design rule 8).

The test runs PostgreSQL of its own (``OwnPostgres``) and the app under gunicorn (several
workers, each with threads).  Parents press Confirm in a steady stream while the server is
stopped with ``pg_ctl stop -m immediate`` (every connection cut, as when it dies), kept
down for a few seconds, and started again; meanwhile other pages are opened, signed in and
not.  Then:

- every answer was 200, 302, 409 or 503, and every 503 was the friendly page;
- nothing is half-written: each slot's ``booked`` equals its live bookings plus held
  offers, and each booking has its confirmation email in the outbox and its audit event;
- the app recovered by itself: after the restart pages answer 200, and a parent whose
  Confirm got the 503 presses it again and is booked once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import func, select

from bench.burst import Parent, serve
from clinic import create_app
from clinic.extensions import db
from clinic.links import manage_token
from clinic.models import AuditEvent, Booking, OutboxMessage, Slot, WaitlistEntry
from tests.conftest import PASSWORD, ROOT
from tests.factories import Factory
from tests.helpers import _CSRF

from .pgserver import OwnPostgres

pytestmark = pytest.mark.slow

PARENTS = 36
SLOTS, CAPACITY = 4, 7  # 28 places for 36 parents: some answers are "now full" (409)
DOWN_FOR = 4.0  # seconds
FRIENDLY = "Sorry, the service is unavailable"
ALLOWED = {200, 302, 409, 503}


@pytest.fixture
def own_postgres():
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def world(own_postgres, tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": own_postgres.url,
            "MAIL_SERVER": "",
            "MAIL_FILE_DIR": str(tmp_path),
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        make = Factory(db.session)
        school = make.school()
        officer = make.user(role="officer", email="officer@example.org", schools=[school])
        clinic = make.clinic(school, officer, slots=SLOTS, capacity=CAPACITY)
        booking = make.booking(clinic.slots[0], email="earlier@example.net")
        facts = {
            "slots": [slot.id for slot in clinic.slots],
            "pages": [
                "/",
                f"/schools?q={school.name[:4]}",
                f"/schools/{school.slug}",
                f"/book/{clinic.slots[1].id}",
                f"/booking/{manage_token(booking)}",
                f"/booking/{manage_token(booking)}/cancel",
            ],
            "staff_pages": ["/staff/clinics/", f"/staff/clinics/{clinic.id}"],
            "officer": officer.email,
        }
        db.session.remove()
        db.engine.dispose()
    yield app, facts


class Browser(Parent):
    """A parent (or an officer) with cookies; records every answer it gets."""

    def __init__(self, base_url: str, number: int, answers: list):
        super().__init__(base_url, number)
        self.answers = answers

    def get(self, path: str):
        answer = self._open(path)
        self.answers.append((path, *answer))
        return answer

    def sign_in(self, email: str) -> None:
        _, _, page = self._open("/staff/sign-in")
        token = _CSRF.search(page).group(1)
        status, url, _ = self._open(
            "/staff/sign-in", [("csrf_token", token), ("email", email), ("password", PASSWORD)]
        )
        assert status == 200 and "/staff/clinics" in url, (status, url)


def test_the_app_answers_503_while_the_database_is_away_and_recovers(world, own_postgres):
    app, facts = world
    answers: list = []
    with serve(own_postgres.url, workers=3, threads=4) as base_url:
        parents = [Browser(base_url, n, answers) for n in range(PARENTS)]
        slot_of = {id(p): facts["slots"][n % SLOTS] for n, p in enumerate(parents)}
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda p: p.reach_check_page(slot_of[id(p)]), parents))
        officer = Browser(base_url, 999, answers)
        officer.sign_in(facts["officer"])
        visitor = Browser(base_url, 998, answers)

        confirmed: dict[int, tuple] = {}
        outage = {"down": threading.Event(), "up": threading.Event(), "during": []}

        def press(index: int) -> None:
            parent = parents[index]
            answer = parent.confirm(slot_of[id(parent)])
            confirmed[index] = answer
            answers.append(("confirm", *answer))
            time.sleep(1.0)  # spread the burst over the outage: before, during and after

        def pull_the_plug() -> None:
            # Wait until the burst is under way, then cut every connection at once.
            deadline = time.monotonic() + 60
            while len(confirmed) < PARENTS // 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            own_postgres.stop("immediate")
            outage["down"].set()
            until = time.monotonic() + DOWN_FOR
            while time.monotonic() < until:  # every kind of page, while it is away
                for path in facts["pages"]:
                    outage["during"].append((path, *visitor.get(path)[:1]))
                for path in facts["staff_pages"]:
                    outage["during"].append((path, *officer.get(path)[:1]))
                time.sleep(0.2)
            own_postgres.start()
            outage["up"].set()

        plug = threading.Thread(target=pull_the_plug)
        plug.start()
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(press, range(PARENTS)))
        plug.join(timeout=120)
        assert outage["up"].is_set(), "the server was not started again"

        # Pages work again without restarting anything (the pool drops dead connections).
        deadline = time.monotonic() + 30
        while visitor.get(facts["pages"][2])[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        for path in facts["pages"]:
            assert visitor.get(path)[0] == 200, path
        for path in facts["staff_pages"]:
            status, url, _ = officer.get(path)
            assert status == 200 and "/staff/clinics" in url, (path, status, url)

        # A parent who was shown the 503 presses Confirm again: booked once, or told full.
        retried = [i for i, answer in confirmed.items() if answer[0] == 503]
        for index in retried:
            parent = parents[index]
            status, url, body = parent.confirm(slot_of[id(parent)])
            answers.append(("retry", status, url, body))
            assert status in (200, 409), (status, url)

    statuses = Counter(answer[1] for answer in answers)
    print(
        f"\n[own PostgreSQL, 3 gunicorn workers] answers {dict(statuses)}; "
        f"confirms {Counter(a[0] for a in confirmed.values())}; retried {len(retried)}"
    )
    assert set(statuses) <= ALLOWED, statuses
    for path, status, url, body in answers:
        if status == 503:
            assert FRIENDLY in body, (path, body[:500])
    during = Counter(status for _, status in outage["during"])
    assert during[503] > 0, during  # the outage was seen, and answered with the 503 page
    assert all(status == 503 for path, status in outage["during"] if path != "/"), outage[
        "during"
    ]  # only the start page, which reads nothing, still answers 200
    assert statuses[503] > 0

    _assert_nothing_half_written(app)


def _assert_nothing_half_written(app) -> None:
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        for slot_id, booked in conn.execute(select(Slot.id, Slot.booked)):
            live = conn.scalar(
                select(func.count())
                .select_from(Booking)
                .where(Booking.slot_id == slot_id, Booking.status != "cancelled")
            )
            held = conn.scalar(
                select(func.count())
                .select_from(WaitlistEntry)
                .where(WaitlistEntry.offered_slot_id == slot_id, WaitlistEntry.status == "offered")
            )
            assert booked == live + held, (slot_id, booked, live, held)
        bookings = conn.execute(select(Booking.id, Booking.email, Booking.submission_id)).all()
        assert len(bookings) > 1
        for booking_id, email, submission in bookings:
            if submission is None:
                continue  # the booking made by the factory, before the burst
            emails = conn.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.recipient == email, OutboxMessage.kind == "booking_confirmed")
            )
            audits = conn.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.object_id == booking_id, AuditEvent.action == "booking.create")
            )
            assert (emails, audits) == (1, 1), (booking_id, emails, audits)
        per_household = conn.execute(
            select(Booking.email_normalised, func.count()).group_by(Booking.email_normalised)
        ).all()
        assert all(count == 1 for _, count in per_household)
    engine.dispose()
