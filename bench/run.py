"""`make bench`: every hot path through gunicorn, each against its reference, in one table.

    python -m bench.run                  # SQLite, then PostgreSQL if one answers (minutes)
    python -m bench.run --quick          # the same rows on small data, in seconds
    python -m bench.run --worker-class sync --workers 4 --threads 1
    python -m bench.run --engines sqlite --seconds 5 --pairs 3 --json figures.json
    python -m bench.run --engines sqlite --only school_page,home_page   # some rows only
    python -m bench.run --partnerships 40 --schools 20000   # England's size (issue 21)

For each engine a fresh database is built by the migrations and seeded through the models
(bench/seed.py), the app is started under gunicorn on a free loopback port, and wrk loads
it from its own process (bench/load.py).  The references run on the same gunicorn
settings in the same run: a bare Flask "hello" app (bench/hello.py) for the pages and the
booking flow; the attendance list's own template filled from plain rows, and icalendar
building the feed's events directly (both in bench/refs.py) for those two; the feed is
measured rebuilt (as after a change: ``?bench-rebuild``) and as kept.  Each figure
is taken in pairs, reference then app, ``--pairs`` times (A B A B), so a machine busy
with other work slows both sides of a ratio alike; the ratio shown is the median of the
pairs' ratios.

It exits 2 if any slot holds more than its capacity (or more live bookings than places,
or a count that disagrees with its bookings), 1 if any request failed or the burst did
not book exactly the slot's places, else 0.  Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

from . import callgrind, load
from .attendance import postgres_database
from .burst import ROOT, fire, gunicorn
from .seed import QUICK, Seeded, Sizes, capacity_problems, live_bookings, seed

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Scenario:
    key: str
    label: Callable[[Sizes], str]
    path: Callable[[Seeded], str]
    target: str
    ref_path: Callable[[Seeded], str] | None = None  # None: the hello app
    staff: bool = False  # sent with a signed-in officer's cookie
    script: str = "page.lua"
    args: Callable[[Seeded], tuple[str, ...]] = lambda seeded: ()
    connections: int = 16
    threads: int = 2
    longer: int = 1  # heavy pages run this many times as long, for enough requests
    who: str = "officer"  # whose cookie a staff page is sent with: "officer", "coordinator"

    @property
    def against_hello(self) -> bool:
        return self.ref_path is None


SCENARIOS = (
    Scenario(
        "school_page",
        lambda s: f"school page, {s.school_clinics} published clinics × {s.slots_per_clinic} slots",
        lambda d: f"/schools/{d.school_slug}",
        "≥ 0.5 × hello",
    ),
    Scenario("home_page", lambda s: "home page", lambda d: "/", "≥ 0.6 × hello"),
    Scenario(
        "finder",
        lambda s: f"school finder search ({s.finder_matches} matches)",
        lambda d: f"/schools?q={d.finder_query}",
        "≥ 0.3 × hello",
    ),
    Scenario(
        "booking_flow",
        lambda s: "booking flow, form → check → confirm (5 requests)",
        lambda d: "/",
        "≥ 0.1 × hello",
        script="flow.lua",
        args=lambda d: (uuid.uuid4().hex[:8], *map(str, d.flow_slot_ids)),
        connections=8,
        threads=8,
    ),
    Scenario(
        "attendance_list",
        lambda s: f"attendance list, {s.attendance_bookings:,} bookings",
        lambda d: f"/staff/attendance/clinics/{d.attendance_clinic_id}",
        "≤ 1.5 × plain",
        ref_path=lambda d: f"/bench/ref/attendance/{d.attendance_clinic_id}",
        staff=True,
        connections=2,
        longer=3,
    ),
    Scenario(
        "officer_feed",
        lambda s: f"officer feed, {s.feed_clinics} clinics, rebuilt (after a change)",
        # bench/refs.py: the worker's kept feeds are forgotten first, as a change does.
        lambda d: f"/staff/clinics/feed/{d.feed_token}.ics?bench-rebuild",
        "≤ 1.2 × icalendar",
        ref_path=lambda d: f"/bench/ref/feed/{d.feed_officer_id}",
        connections=2,
        longer=3,
    ),
    Scenario(
        "officer_feed_kept",
        lambda s: f"officer feed, {s.feed_clinics} clinics, unchanged since built",
        lambda d: f"/staff/clinics/feed/{d.feed_token}.ics",
        "≤ 1.2 × icalendar",
        ref_path=lambda d: f"/bench/ref/feed/{d.feed_officer_id}",
        connections=2,
        longer=3,
    ),
    # The staff dashboard (issue 21: the same with 40 partnerships as with one).
    Scenario(
        "dashboard_officer",
        lambda s: f"staff dashboard, an officer ({officer_clinics(s)} clinics, 3 schools)",
        lambda d: "/staff/clinics/",
        "≥ 0.1 × hello",
        staff=True,
    ),
    Scenario(
        "dashboard_coordinator",
        lambda s: (
            f"staff dashboard, the coordinator (page 1: 50 of {coordinator_clinics(s)} clinics)"
        ),
        lambda d: "/staff/clinics/",
        "≥ 0.01 × hello",
        staff=True,
        who="coordinator",
        connections=2,
        longer=3,
    ),
)


def officer_clinics(sizes: Sizes) -> int:
    """The clinics on the measured officer's dashboard (bench/seed.py)."""
    return sizes.school_clinics + 1 + 2


def coordinator_clinics(sizes: Sizes) -> int:
    """The clinics on the measured partnership's coordinator's dashboard: every one."""
    return officer_clinics(sizes) + (sizes.finder_matches + 1) // 2 + 2 + sizes.feed_clinics + 1


ROW_KEYS = (
    *(s.key for s in SCENARIOS[:4]),
    "burst",
    *(s.key for s in SCENARIOS[4:]),
    "pdf_sheet",
    "memory",
    "queries",
)
SECTIONS = ("instructions",)  # printed after the table: instructions per request (callgrind)


@dataclass
class Row:
    engine: str
    key: str
    label: str
    target: str
    rate: float | None = None
    ref_rate: float | None = None
    ratio: float | None = None
    ratio_of: str = ""  # "hello", "plain", "icalendar"
    p50: float | None = None  # milliseconds
    p95: float | None = None
    p99: float | None = None
    errors: int = 0
    queries: float | None = None
    note: str = ""
    pairs: list[float] = field(default_factory=list)


@dataclass
class Settings:
    worker_class: str
    workers: int
    threads: int
    timeout: int
    preload: bool
    seconds: float
    pairs: int
    parents: int
    capacity: int
    pdf_requests: int
    quick: bool
    only: tuple[str, ...] = (*ROW_KEYS, *SECTIONS)  # the rows to measure (--only)


# --- running one engine ---------------------------------------------------------------------


def measure_scenario(
    wrk: str,
    scenario: Scenario,
    seeded: Seeded,
    app_url: str,
    hello_url: str,
    cookie: str,
    settings: Settings,
    sizes: Sizes,
    engine: str,
) -> Row:
    headers = (f"Cookie: {cookie}",) if scenario.staff else ()
    app = dict(url=app_url + scenario.path(seeded), headers=headers, script=scenario.script)
    if scenario.against_hello:
        ref = dict(url=hello_url + "/", headers=(), script="page.lua")
    else:
        ref = dict(url=app_url + scenario.ref_path(seeded), headers=headers, script="page.lua")
    common = dict(connections=scenario.connections, threads=scenario.threads)
    warm_up(scenario, seeded, app_url, hello_url, headers, settings)
    ref_runs, app_runs = [], []
    seconds = settings.seconds * scenario.longer
    for _ in range(settings.pairs):
        ref_runs.append(load.wrk_run(wrk, **ref, seconds=seconds, **common))
        # New arguments each run: the booking flow's emails must not repeat.
        args = scenario.args(seeded)
        app_runs.append(load.wrk_run(wrk, **app, args=args, seconds=seconds, **common))
    together = list(zip(ref_runs, app_runs, strict=True))
    if scenario.against_hello:  # the share of hello's speed the page keeps
        pairs = [a.rate / r.rate if r.rate else 0.0 for r, a in together]
    else:  # how many times the reference's time a request takes
        pairs = [r.rate / a.rate if a.rate else float("inf") for r, a in together]
    ref_errors = sum(r.errors for r in ref_runs)
    kinds: dict[str, int] = {}
    for run in app_runs:
        for kind, count in run.kinds.items():
            kinds[kind] = kinds.get(kind, 0) + count
    notes = [", ".join(f"{count} {kind}" for kind, count in kinds.items())] if kinds else []
    notes += [f"reference errors {ref_errors}"] if ref_errors else []
    return Row(
        engine=engine,
        key=scenario.key,
        label=scenario.label(sizes),
        target=scenario.target,
        rate=statistics.mean(a.rate for a in app_runs),
        ref_rate=statistics.mean(r.rate for r in ref_runs),
        ratio=statistics.median(pairs),
        ratio_of=scenario.target.split("×")[1].strip(),
        p50=statistics.median(a.p50 for a in app_runs),
        p95=max(a.p95 for a in app_runs),
        p99=max(a.p99 for a in app_runs),
        errors=sum(a.errors for a in app_runs) + ref_errors,
        note="; ".join(notes),
        pairs=pairs,
    )


def warm_up(scenario, seeded, app_url, hello_url, headers, settings) -> None:
    """Every worker answers each side once before anything is timed: the first request
    in a new process compiles templates and opens connections (seconds on a busy box)."""
    cookie = headers[0].removeprefix("Cookie: ") if headers else None
    reference = (hello_url, "/") if scenario.against_hello else (app_url, scenario.ref_path(seeded))
    paths = [(app_url, scenario.path(seeded)), reference]

    def one(n: int) -> None:
        if scenario.script == "flow.lua":
            email = f"warm-{uuid.uuid4().hex[:12]}@bench.example.net"
            load.flow_queries(app_url, seeded.flow_slot_ids[n % len(seeded.flow_slot_ids)], email)
        for base, path in paths:
            load.page_queries(base, path, cookie)

    lanes = settings.workers * settings.threads
    with ThreadPoolExecutor(max_workers=lanes) as pool:
        for _ in range(1 if settings.quick else 2):
            list(pool.map(one, range(lanes)))


def burst_row(app_url: str, seeded: Seeded, settings: Settings, engine: str, url: str) -> Row:
    figures = fire(app_url, seeded.burst_slot_id, settings.parents)
    booked = live_bookings(url, seeded.burst_slot_id)
    expected = min(settings.capacity, settings.parents)
    exact = figures.successes == booked == expected
    return Row(
        engine=engine,
        key="burst",
        label=f"{settings.parents} parents press Confirm at once, {settings.capacity} places",
        target=f"exactly {settings.capacity}, 0 errors, p99 ≤ 1 s",
        rate=figures.requests / figures.seconds if figures.seconds else None,
        p50=figures.percentile(50) * 1000,
        p95=figures.percentile(95) * 1000,
        p99=figures.percentile(99) * 1000,
        errors=figures.errors + figures.other + (0 if exact else 1),
        note=f"{booked} booked{'' if exact else ' (WRONG)'}, {figures.refusals} told full",
    )


def pdf_row(app_url: str, seeded: Seeded, cookie: str, settings, sizes, engine, url) -> Row:
    """The PDF sheet: the officer's press and the download are timed (requests), and the
    outbox worker making it (``flask outbox worker --once``, its own process) apart."""
    browser = load.Browser(app_url, cookie)
    base = f"/staff/attendance/clinics/{seeded.attendance_clinic_id}"
    times, built, wrong = [], [], []
    for _ in range(settings.pdf_requests):
        _, page, _ = browser.open(base)
        token = load.csrf_token(page)
        began = time.monotonic()
        status, _, _ = browser.open(base + "/sheet-pdf", [("csrf_token", token)])
        times.append((time.monotonic() - began) * 1000)
        if status != 302:
            wrong.append(f"ask {status}")
        status, page, _ = browser.open(base + "/sheet-pdf")
        if status != 200 or "being prepared" not in page:
            wrong.append(f"'being prepared' page {status}")
        began = time.monotonic()
        if (code := run_outbox_worker(url)) != 0:
            wrong.append(f"worker exit {code}")
        built.append(time.monotonic() - began)
        began = time.monotonic()
        status, body, _ = browser.open(base + "/sheet.pdf")
        times.append((time.monotonic() - began) * 1000)
        if status != 200:
            wrong.append(f"download {status}")
    return Row(
        engine=engine,
        key="pdf_sheet",
        label=f"PDF sheet, {sizes.attendance_bookings:,} bookings (ask, then download)",
        target="built outside the request workers",
        rate=len(times) / (sum(times) / 1000),
        p50=statistics.median(times),
        p95=max(times),
        p99=max(times),
        errors=len(wrong),
        note=f"made by the outbox worker in {statistics.median(built):.1f} s, no request waits"
        + (f"; wrong: {', '.join(wrong)}" if wrong else ""),
    )


def run_outbox_worker(url: str) -> int:
    """One round of the outbox worker on the bench's database, as its own process."""
    env = {**os.environ, "CLINIC_CONFIG": "test", "PYTHONPATH": str(ROOT)}
    env["BENCH_DATABASE_URL"] = url
    command = [sys.executable, "-m", "flask", "--app", "bench.wsgi:app"]
    result = subprocess.run(
        [*command, "outbox", "worker", "--once"], cwd=ROOT, env=env, capture_output=True
    )
    return result.returncode


def memory_row(app_pid: int, hello_pid: int, settings: Settings, engine: str) -> Row:
    app, hello = load.worker_memory(app_pid), load.worker_memory(hello_pid)
    rss = statistics.mean(m.rss for m in app)
    uss = statistics.mean(m.uss for m in app)
    hello_rss = statistics.mean(m.rss for m in hello)
    hello_uss = statistics.mean(m.uss for m in hello)
    return Row(
        engine=engine,
        key="memory",
        label=f"memory per worker after load ({len(app)} workers)",
        target="RSS ≤ 70 MiB, or say what a worker adds (USS)",
        ratio=rss / hello_rss,
        ratio_of="hello",
        note=(
            f"RSS {rss:.0f} MiB (max {max(m.rss for m in app):.0f}), USS {uss:.0f} MiB;"
            f" hello RSS {hello_rss:.0f}, USS {hello_uss:.0f}"
        ),
    )


def queries_row(
    app_url: str, seeded: Seeded, cookie: str, engine: str, cookies: dict | None = None
) -> tuple[Row, dict]:
    """Queries per page on the large data and on its small twin: they must be the same.
    (A fourth item: the small twin's own cookie, a staff member with less to see.)"""
    pages: dict[str, tuple] = {
        "school": (f"/schools/{seeded.school_slug}", f"/schools/{seeded.small_school_slug}", None),
        "home": ("/", "/", None),
        "finder": (
            f"/schools?q={seeded.finder_query}",
            f"/schools?q={seeded.small_finder_query}",
            None,
        ),
        "attendance": (
            f"/staff/attendance/clinics/{seeded.attendance_clinic_id}",
            f"/staff/attendance/clinics/{seeded.small_attendance_clinic_id}",
            cookie,
        ),
        "feed": (
            f"/staff/clinics/feed/{seeded.feed_token}.ics",
            f"/staff/clinics/feed/{seeded.small_feed_token}.ics",
            None,
        ),
    }

    def settled(path: str, cookie: str | None) -> int:
        """The fewest queries of a few requests for the page: the public pages are drawn
        once per worker while nothing on them changes (clinic/pagecache.py), so the first
        request each worker gets for the small twin draws it, and would otherwise be
        compared with the big page already drawn."""
        return min(load.page_queries(app_url, path, cookie) for _ in range(8))

    if cookies:  # the staff dashboard: an officer with 13 clinics and one with 1
        dashboard = "/staff/clinics/"
        pages["officer dashboard"] = (dashboard, dashboard, cookie, cookies["small officer"])
        coordinator = cookies["coordinator"]
        pages["coordinator dashboard"] = (dashboard, dashboard, coordinator)
    counts = {
        name: (settled(big, c), settled(small, twin[0] if twin else c))
        for name, (big, small, c, *twin) in pages.items()
    }
    flow = load.flow_queries(app_url, seeded.flow_slot_ids[0], "probe@bench.example.net")
    constant = all(big == small for big, small in counts.values())
    text = ", ".join(f"{name} {big}/{small}" for name, (big, small) in counts.items())
    row = Row(
        engine=engine,
        key="queries",
        label="queries per page (large data / small data)",
        target="stays constant",
        errors=0 if constant else 1,
        note=f"{text}; booking flow {'+'.join(map(str, flow))}"
        + ("; constant" if constant else "; GROWS WITH THE DATA"),
    )
    return row, {**{name: big for name, (big, _) in counts.items()}, "booking_flow": flow}


def run_engine(
    wrk: str, engine: str, url: str, hello, settings: Settings, sizes: Sizes
) -> tuple[list[Row], list[str]]:
    print(f"[{engine}] seeding...", flush=True)
    seeded = seed(url, sizes)
    rows = []
    with gunicorn(
        url,
        workers=settings.workers,
        threads=settings.threads,
        worker_class=settings.worker_class,
        timeout=settings.timeout,
        preload=settings.preload,
    ) as app_server:
        app_url = app_server.base_url
        cookie = load.sign_in(app_url, seeded.officer_email, seeded.officer_password)
        cookies = {
            "officer": cookie,
            "coordinator": load.sign_in(app_url, seeded.coordinator_email, seeded.officer_password),
            "small officer": load.sign_in(
                app_url, seeded.small_officer_email, seeded.officer_password
            ),
        }
        for scenario in SCENARIOS:
            if scenario.key not in settings.only:
                continue
            print(f"[{engine}] {scenario.key}...", flush=True)
            rows.append(
                measure_scenario(
                    wrk,
                    scenario,
                    seeded,
                    app_url,
                    hello.base_url,
                    cookies[scenario.who],
                    settings,
                    sizes,
                    engine,
                )
            )
        print(f"[{engine}] burst, PDF, queries, memory...", flush=True)
        if "burst" in settings.only:
            burst = burst_row(app_url, seeded, settings, engine, url)
            rows.insert(sum(r.key in ROW_KEYS[:4] for r in rows), burst)
        if "pdf_sheet" in settings.only:
            rows.append(pdf_row(app_url, seeded, cookie, settings, sizes, engine, url))
        queries, per_page = queries_row(app_url, seeded, cookie, engine, cookies)
        by_key = {"school_page": "school", "home_page": "home", "finder": "finder"}
        by_key |= {"attendance_list": "attendance", "officer_feed": "feed"}
        by_key |= {"officer_feed_kept": "feed"}
        by_key |= {"dashboard_officer": "officer dashboard"}
        by_key |= {"dashboard_coordinator": "coordinator dashboard"}
        for row in rows:
            if row.key in by_key:
                row.queries = per_page[by_key[row.key]]
            elif row.key == "booking_flow":
                row.queries = sum(per_page["booking_flow"]) / 5
        if "memory" in settings.only:
            rows.append(memory_row(app_server.pid, hello.pid, settings, engine))
        if "queries" in settings.only:
            rows.append(queries)
    return rows, capacity_problems(url)


# --- the table --------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def format_table(rows: list[Row]) -> str:
    head = (
        f"{'scenario':<54} {'req/s':>7} {'ref/s':>7} {'ratio':>14} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'q/req':>5}  target"
    )
    lines = [head, "-" * len(head)]
    engine = None
    for row in rows:
        if row.engine != engine:
            engine = row.engine
            lines.append(f"{engine}:")
        label = f"  {row.label}"
        if row.key in ("memory", "queries"):
            ratio = f"{row.ratio:.1f} × {row.ratio_of}" if row.ratio is not None else ""
            lines.append(f"{label:<54} {ratio:>30}  {row.note}  [target: {row.target}]")
            continue
        ratio = f"{row.ratio:.3f} × {row.ratio_of}" if row.ratio is not None else "—"
        lines.append(
            f"{label:<54} {_num(row.rate, 1):>7} {_num(row.ref_rate):>7} {ratio:>14} "
            f"{_num(row.p50, 1):>7} {_num(row.p95, 1):>7} {_num(row.p99, 1):>7} "
            f"{row.errors:>6} {_num(row.queries, 1):>5}  {row.target}"
            + (f"  ({row.note})" if row.note else "")
        )
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------


def count_instructions(engines, postgres: str, sizes: Sizes, args, notes: list[str]) -> dict:
    """Each engine's instructions per request under callgrind (bench/callgrind.py), on a
    database of its own: figures that do not move with the load on the machine."""
    why = callgrind.available()
    if why:
        notes.append(f"instructions per request not measured: {why}")
        return {}
    requests = args.requests or (3 if args.quick else 20)
    counted = {}
    for engine in engines:
        print(f"[{engine}] instructions per request (callgrind)...", flush=True)
        with database(engine, postgres) as url:
            counted[engine] = callgrind.measure(url, sizes, requests)
    return counted


def postgres_answers(url: str) -> bool:
    engine = sa.create_engine(
        sa.make_url(url).set(drivername="postgresql+psycopg"),
        connect_args={"connect_timeout": 3},
    )
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def database(engine: str, postgres: str):
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    else:
        with postgres_database(postgres) as url:
            yield url


def add_scale_options(parser: argparse.ArgumentParser) -> None:
    """``--partnerships`` and ``--schools`` (issue 21; bench/seed.py ``spread``)."""
    parser.add_argument(
        "--partnerships",
        type=int,
        default=1,
        help="partnerships seeded; the pages measured are the first's (1)",
    )
    parser.add_argument(
        "--schools",
        type=int,
        default=0,
        help="schools in all, spread evenly over the partnerships (0: the bench's own, ~260)",
    )


def scale_of(args: argparse.Namespace) -> dict:
    return {"partnerships": max(args.partnerships, 1), "schools": max(args.schools, 0)}


def scale_line(sizes: Sizes) -> str:
    schools = f"{sizes.schools:,} schools" if sizes.schools else "the bench's own schools"
    return (
        f"{sizes.partnerships} partnership{'s' if sizes.partnerships != 1 else ''}, {schools};"
        " the pages measured are the first partnership's"
    )


def _revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, short runs")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server to make a database on for the run (dropped after)",
    )
    parser.add_argument("--worker-class", default="gthread", choices=("sync", "gthread"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=30, help="gunicorn's worker timeout")
    parser.add_argument(
        "--preload",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gunicorn --preload, as deploy/gunicorn.conf.py (on)",
    )
    parser.add_argument("--seconds", type=float, help="each run's length (3, quick: 1)")
    parser.add_argument("--pairs", type=int, help="reference/app pairs per figure (2, quick: 1)")
    parser.add_argument("--parents", type=int, help="parents in the burst (200, quick: 40)")
    parser.add_argument("--capacity", type=int, default=10, help="places in the burst's slot")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--only",
        help=f"measure only these rows, comma-separated ({', '.join((*ROW_KEYS, *SECTIONS))})",
    )
    parser.add_argument(
        "--requests", type=int, help="measured requests a scenario under callgrind (20, quick: 3)"
    )
    add_scale_options(parser)
    args = parser.parse_args(argv)

    sizes = QUICK if args.quick else Sizes()
    sizes = Sizes(**{**asdict(sizes), "burst_capacity": args.capacity, **scale_of(args)})
    settings = Settings(
        worker_class=args.worker_class,
        workers=args.workers,
        threads=1 if args.worker_class == "sync" else args.threads,
        timeout=args.timeout,
        preload=args.preload,
        seconds=args.seconds or (1 if args.quick else 3),
        pairs=args.pairs or (1 if args.quick else 2),
        parents=args.parents or (40 if args.quick else 200),
        capacity=args.capacity,
        pdf_requests=1,
        quick=args.quick,
        only=tuple(k.strip() for k in args.only.split(","))
        if args.only
        else (*ROW_KEYS, *SECTIONS),
    )
    unknown = set(settings.only) - {*ROW_KEYS, *SECTIONS}
    if unknown:
        parser.error(f"--only: no such row {', '.join(sorted(unknown))}")
    wrk = load.ensure_wrk()
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    notes = []
    if "postgresql" in engines and not postgres_answers(args.postgres):
        engines.remove("postgresql")
        notes.append(f"PostgreSQL at {args.postgres} did not answer: SQLite only.")

    began = time.monotonic()
    load_before = os.getloadavg()
    print(
        f"make bench at {_revision()}: gunicorn {settings.worker_class}, {settings.workers} "
        f"workers × {settings.threads} threads, timeout {settings.timeout} s"
        f"{', preload' if settings.preload else ''}; "
        f"{settings.pairs} × (reference, app) runs of {settings.seconds:g} s; "
        f"{load.wrk_version(wrk)}; {os.cpu_count()} cores, load {load_before[0]:.2f}",
        flush=True,
    )
    print(scale_line(sizes), flush=True)
    rows: list[Row] = []
    problems: list[str] = []
    with ExitStack() as stack:
        hello = stack.enter_context(
            gunicorn(
                None,
                workers=settings.workers,
                threads=settings.threads,
                worker_class=settings.worker_class,
                timeout=settings.timeout,
                preload=settings.preload,
                app="bench.hello:app",
                health="/",
            )
        )
        for engine in engines:
            with database(engine, args.postgres) as url:
                engine_rows, engine_problems = run_engine(wrk, engine, url, hello, settings, sizes)
            rows += engine_rows
            problems += [f"{engine}: {p}" for p in engine_problems]

    instructions: dict[str, dict] = {}
    if "instructions" in settings.only:
        instructions = count_instructions(engines, args.postgres, sizes, args, notes)

    print()
    print(format_table(rows))
    if instructions:
        print("\ninstructions per request (valgrind callgrind, in process, × a bare Flask hello):")
        for engine, (hello_count, counts) in instructions.items():
            print(callgrind.format_counts(engine, hello_count, counts))
    load_after = os.getloadavg()
    print(
        f"\n{time.monotonic() - began:.0f} s; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after (other work on this machine slows both sides of a ratio)."
    )
    for note in notes:
        print(note)
    errors = sum(row.errors for row in rows)
    if problems:
        print("OVERBOOKED: " + "; ".join(problems))
    elif errors:
        print(f"PROBLEM: {errors} failed requests or wrong answers (see the errors column)")
    else:
        print("OK: no slot over capacity, no errors.")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "settings": asdict(settings),
                    "rows": [asdict(row) for row in rows],
                    "capacity_problems": problems,
                    "notes": notes,
                    "instructions": {
                        engine: {"hello": hello_count, "rows": [asdict(c) for c in counts]}
                        for engine, (hello_count, counts) in instructions.items()
                    },
                },
                indent=2,
            )
        )
    if problems:
        return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
