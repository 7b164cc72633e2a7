"""Two gunicorn servers on one PostgreSQL (``bench.pair``): a booking through server A
changes the school page server B serves on its very next request, while B's workers
otherwise serve that page without a statement (each listens for the change signal;
server B preloads the app before forking, so each worker makes its own listener after
the fork).  No timing is asserted."""

from __future__ import annotations

import os

import pytest

from bench.attendance import postgres_database
from bench.burst import gunicorn
from bench.pair import booking_shows_across_servers
from bench.run import DEFAULT_POSTGRES, postgres_answers
from bench.seed import QUICK, capacity_problems, seed
from tests.conftest import IN_CI

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres():
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)
    if not postgres_answers(url):
        if IN_CI:
            pytest.fail(f"PostgreSQL at {url} did not answer")
        pytest.skip(f"PostgreSQL at {url} did not answer")
    return url


def test_a_booking_through_one_server_shows_on_the_other_at_once(postgres):
    with postgres_database(postgres) as url:
        seeded = seed(url, QUICK)
        settings = dict(workers=2, threads=4, worker_class="gthread")
        with (
            gunicorn(url, **settings) as first,
            gunicorn(url, **settings, preload=True) as second,
        ):
            rounds = booking_shows_across_servers(url, first, second, seeded.small_school_slug)
        problems = capacity_problems(url)

    assert len(rounds) == 4
    for r in rounds:
        assert r.queries_before == 0  # kept, listener connected: no database trip
        assert r.places_after == r.places_before - 1  # B's very next page shows the booking
        assert r.queries_after > 0  # because B read the key again
    assert problems == []
