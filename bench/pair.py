"""Two app servers against one PostgreSQL, as the service runs past one machine.

    python -m bench.pair                        # 2 × (2 workers × 4 threads), 5 s runs
    python -m bench.pair --seconds 10 --parents 400
    python -m bench.pair --partnerships 40 --schools 20000   # England's size (issue 21)

Both servers run the real app under gunicorn on loopback, on one PostgreSQL database
(made for the run and dropped after, seeded as ``make bench`` seeds it).  For the school
page and the booking flow it loads one server alone, then both at once (a wrk process
each), and reports requests per second, p99, errors and the most connections PostgreSQL
held; then the parents of a rush press Confirm on one 10-place slot, shared between the
two servers.  It exits 2 if any slot holds more than its capacity, 1 if any request
failed or the rush did not book exactly the slot's places, else 0.

On this 2-core machine the servers share the cores, so "both" cannot be twice "one":
what it shows is that the app holds no state (any server takes any step of a parent's
booking), that the capacity check holds across servers, and where the limit is.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa

from clinic.changes import CHANNEL

from . import load
from .attendance import postgres_database
from .burst import Parent, fire, gunicorn
from .run import DEFAULT_POSTGRES, SCENARIOS, add_scale_options, scale_line, scale_of
from .seed import Sizes, capacity_problems, live_bookings, seed

ROWS = ("school_page", "booking_flow")
_PLACES = re.compile(r'<td class="govuk-table__cell">\s*(\d+)\s*</td>')


@dataclass
class Round:
    """One booking through server A, and the school page server B serves next."""

    places_before: int  # places left on B's page before the booking (all slots)
    queries_before: int  # statements B's request sent: 0 once B's worker kept the page
    places_after: int  # on B's very next request after A answered the booking
    queries_after: int  # B read the key (the notification moved its generation) and redrew

    @property
    def fresh(self) -> bool:
        return self.places_after == self.places_before - 1


def _school_page(server, slug: str) -> tuple[int, int]:
    """(places left shown, statements sent) for one request of the school page."""
    with urllib.request.urlopen(f"{server.base_url}/schools/{slug}", timeout=30) as response:
        body = response.read().decode()
        queries = int(response.headers.get("X-Bench-Queries", "-1"))
    return sum(int(n) for n in _PLACES.findall(body)), queries


def booking_shows_across_servers(url: str, first, second, slug: str, rounds: int = 4):
    """Bookings through ``first``, each followed at once by the school page from
    ``second``: ``Round`` figures for each.  Before each booking, ``second`` is asked
    until one of its workers serves the page with no statement (its listener is
    connected and the page kept), so the booking is what moves it."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        slot_ids = (
            conn.execute(
                sa.text(
                    "SELECT slot.id FROM slot JOIN clinic ON clinic.id = slot.clinic_id "
                    "JOIN school ON school.id = clinic.school_id WHERE school.slug = :slug "
                    "ORDER BY slot.starts_at"
                ),
                {"slug": slug},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    found = []
    for number, slot_id in enumerate(slot_ids[:rounds]):
        deadline = time.monotonic() + 10
        before, queries_before = _school_page(second, slug)
        while queries_before and time.monotonic() < deadline:
            before, queries_before = _school_page(second, slug)
        parent = Parent(first.base_url, 10_000 + number)
        parent.reach_check_page(slot_id)
        status, answered_at, _ = parent.confirm(slot_id)
        if status != 200 or not answered_at.endswith("/book/confirmation"):
            raise RuntimeError(f"the booking through server A answered {status}")
        after, queries_after = _school_page(second, slug)
        found.append(Round(before, queries_before, after, queries_after))
    return found


class ConnectionWatch:
    """The most connections to the database PostgreSQL held while the block ran."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"))
        self.database = sa.make_url(url).database
        self.most = 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
        with self.engine.connect() as conn:
            while not self._stop.wait(0.2):
                count = conn.execute(query, {"name": self.database}).scalar_one() - 1
                self.most = max(self.most, count)
                conn.rollback()

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.engine.dispose()


def _load(wrk, scenario, seeded, servers, seconds) -> tuple[float, float, int]:
    """(requests/s summed over the servers, worst p99 ms, errors) with every server loaded
    at once, each by its own wrk process."""

    def one(server) -> load.Run:
        args = scenario.args(seeded)  # a new run tag each time: no email repeats
        return load.wrk_run(
            wrk,
            server.base_url + scenario.path(seeded),
            seconds=seconds,
            connections=scenario.connections,
            threads=scenario.threads,
            script=scenario.script,
            args=args,
        )

    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        runs = list(pool.map(one, servers))
    return sum(r.rate for r in runs), max(r.p99 for r in runs), sum(r.errors for r in runs)


@dataclass
class SignalCost:
    """What the change signal costs PostgreSQL per commit, and how soon a listener hears."""

    commits: int
    bare_us: float  # one small UPDATE committed (not flushed to disk), the trigger disabled
    trigger_us: float  # the same with the trigger, nobody listening
    listened_us: float  # the same with the trigger and ``listeners`` listening
    listeners: int
    heard_p50_us: float  # from the commit returning to a listener's socket being readable
    heard_p99_us: float


def signal_cost(url: str, commits: int = 2000, listeners: int = 4) -> SignalCost:
    """Commit ``commits`` one-row UPDATEs of a slot (what a booking does to the tables a
    page shows) three ways, and time how long a notification takes to reach a listener."""
    import select

    import psycopg

    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        slot_id = conn.execute("SELECT min(id) FROM slot").fetchone()[0]
        update = "UPDATE slot SET booked = booked WHERE id = %s"

        def per_commit() -> float:
            start = time.perf_counter()
            for _ in range(commits):
                conn.execute(update, (slot_id,))
            return (time.perf_counter() - start) / commits * 1e6

        # The flush to disk dominates a commit and varies with the machine's load: without
        # it, what is left is the statement's CPU and the trigger's.  Best of three each.
        conn.execute("SET synchronous_commit = off")
        bare, with_trigger = [], []
        for _ in range(3):
            conn.execute("ALTER TABLE slot DISABLE TRIGGER clinic_change")
            try:
                bare.append(per_commit())
            finally:
                conn.execute("ALTER TABLE slot ENABLE TRIGGER clinic_change")
            with_trigger.append(per_commit())
        ears = [psycopg.connect(conninfo, autocommit=True) for _ in range(listeners)]
        try:
            for ear in ears:
                ear.execute(f"LISTEN {CHANNEL}")
            listened = min(per_commit() for _ in range(3))
            for ear in ears:  # drop what piled up
                ear.execute("SELECT 1")
                list(ear.notifies(timeout=0.1, stop_after=commits))
            heard = []
            poller = select.poll()
            poller.register(ears[0].pgconn.socket, select.POLLIN)
            for _ in range(200):
                conn.execute(update, (slot_id,))
                done = time.perf_counter()
                poller.poll(1000)
                heard.append((time.perf_counter() - done) * 1e6)
                ears[0].pgconn.consume_input()
                while ears[0].pgconn.notifies() is not None:
                    pass
        finally:
            for ear in ears:
                ear.close()
    heard.sort()
    return SignalCost(
        commits,
        min(bare),
        min(with_trigger),
        listened,
        listeners,
        heard[len(heard) // 2],
        heard[-3],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES))
    parser.add_argument("--workers", type=int, default=2, help="per server")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--parents", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=10)
    add_scale_options(parser)
    args = parser.parse_args(argv)

    wrk = load.ensure_wrk()
    scenarios = [s for s in SCENARIOS if s.key in ROWS]
    lines, errors = [], 0
    with postgres_database(args.postgres) as url:
        sizes = Sizes(burst_capacity=args.capacity, **scale_of(args))
        seeded = seed(url, sizes)
        settings = dict(workers=args.workers, threads=args.threads, worker_class="gthread")
        # Server B loads the app before forking its workers (gunicorn's preload_app):
        # each worker still makes its own listener, after the fork.
        with (
            gunicorn(url, **settings) as first,
            gunicorn(url, **settings, preload=True) as second,
        ):
            rounds = booking_shows_across_servers(url, first, second, seeded.small_school_slug)
            for server in (first, second):  # warm: templates, connections
                for scenario in scenarios:
                    _load(wrk, scenario, seeded, [server], 1)
            for scenario in scenarios:
                for label, servers in (("one server", [first]), ("two servers", [first, second])):
                    with ConnectionWatch(url) as watch:
                        rate, p99, failed = _load(wrk, scenario, seeded, servers, args.seconds)
                    errors += failed
                    lines.append(
                        f"  {scenario.key:<14} {label:<12} {rate:>9.1f} {p99:>9.1f} {failed:>7}"
                        f" {watch.most:>12}"
                    )
            with ConnectionWatch(url) as watch:
                figures = fire(
                    [first.base_url, second.base_url], seeded.burst_slot_id, args.parents
                )
        booked = live_bookings(url, seeded.burst_slot_id)
        problems = capacity_problems(url)
        cost = signal_cost(url)
    exact = figures.successes == booked == min(args.capacity, args.parents)
    errors += figures.errors + figures.other + (0 if exact else 1)
    print(
        f"\nTwo app servers ({args.workers} workers × {args.threads} threads each) on one "
        f"PostgreSQL; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}\n"
    )
    print(scale_line(sizes) + "\n")
    print("A booking through server A, then server B's very next school page:")
    for number, r in enumerate(rounds, 1):
        print(
            f"  booking {number}: B showed {r.places_before} places left "
            f"({r.queries_before} statements: kept, listener connected), then "
            f"{r.places_after} ({r.queries_after} statements: the notification made it read "
            f"the key, and draw the page again) {'right' if r.fresh else 'STALE'}"
        )
    stale = sum(not r.fresh for r in rounds)
    errors += stale
    print()
    head = ("scenario", "servers", "req/s", "p99 ms", "errors", "connections")
    print("  {:<14} {:<12} {:>9} {:>9} {:>7} {:>12}".format(*head))
    print("\n".join(lines))
    print(
        f"  rush: {args.parents} parents on both servers, {args.capacity} places: "
        f"{booked} booked{'' if exact else ' (WRONG)'}, {figures.refusals} told full, "
        f"{figures.errors + figures.other} errors, p50 {figures.percentile(50) * 1000:.0f} ms, "
        f"p99 {figures.percentile(99) * 1000:.0f} ms; at most {watch.most} connections"
    )
    print(
        f"\nThe change signal's cost to PostgreSQL, {cost.commits} one-row UPDATE commits "
        "(synchronous_commit off, so the flush to disk does not hide it): "
        f"{cost.bare_us:.0f} µs each without the trigger, {cost.trigger_us:.0f} µs with it "
        f"and nobody listening, {cost.listened_us:.0f} µs with {cost.listeners} listeners; "
        f"a listener's socket is readable {cost.heard_p50_us:.0f} µs after the commit "
        f"returns (p50; p99 {cost.heard_p99_us:.0f} µs)."
    )
    if problems:
        print("OVERBOOKED: " + "; ".join(problems))
        return 2
    print("OK: no slot over capacity." if not errors else f"PROBLEM: {errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
