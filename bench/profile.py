"""Where a `make bench` page spends its time: pyinstrument over repeated requests.

    python -m bench.profile                      # every scenario, on a fresh SQLite file
    python -m bench.profile school_page confirm --requests 50
    python -m bench.profile --flat               # the functions with the most own time
    python -m bench.profile --cpu --requests 300 # CPU ms a request, no profiler, vs hello
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.profile

Seeds the same data as ``make bench`` (bench/seed.py) and asks for each page through the
app's test client in this process, so the profile holds the app alone (no gunicorn, no
network).  Templates, connections and caches are warmed first; the figures are for the
requests after that.  Scenarios: school_page, home_page, finder, finder_drawn and
school_page_drawn (each drawn anew, as after a change), dashboard_officer,
dashboard_coordinator (the staff dashboard), booking_form, booking_check, confirm,
confirm_full, attendance_list, officer_feed (kept: unchanged since built),
officer_feed_rebuilt (built again, as after a change), and the references of ``make
bench`` (bench/refs.py): attendance_ref, feed_ref.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from pathlib import Path

from pyinstrument import Profiler

from clinic import pagecache

from .attendance import postgres_database
from .seed import PASSWORD, Sizes, seed

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id"[^>]*value="([^"]+)"')
SCENARIOS = (
    "school_page",
    "home_page",
    "finder",
    "finder_drawn",
    "school_page_drawn",
    "dashboard_officer",
    "dashboard_coordinator",
    "booking_form",
    "booking_check",
    "confirm",
    "confirm_full",
    "attendance_list",
    "attendance_ref",
    "officer_feed",
    "officer_feed_rebuilt",
    "feed_ref",
)
# A page and the reference it is held to (bench/refs.py): --cpu prints their ratio.
REFERENCES = {"attendance_list": "attendance_ref", "officer_feed_rebuilt": "feed_ref"}


def _app(database_url: str):
    os.environ["BENCH_DATABASE_URL"] = database_url
    os.environ.setdefault("CLINIC_CONFIG", "test")
    from clinic import create_app

    from . import refs

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "OUTBOX_SEND_MODE": "off",
            "MAIL_SERVER": "",
            "BOOKING_LIMIT_PER_ADDRESS": "1000000 per hour",
            "BOOKING_LIMIT_PER_EMAIL": "1000000 per hour",
            "BOOKING_LIMIT_PER_SESSION": "1000000 per hour",
        }
    )
    refs.add_to(app)
    return app


class _Steps:
    """One callable per scenario; each call makes the scenario's request once."""

    def __init__(self, app, seeded):
        self.app, self.seeded, self.n = app, seeded, 0
        self.staff = self._signed_in(seeded.officer_email)
        self.coordinator = self._signed_in(seeded.coordinator_email)

    def _signed_in(self, email: str):
        client = self.app.test_client()
        page = client.get("/staff/sign-in").get_data(as_text=True)
        client.post(
            "/staff/sign-in",
            data={"csrf_token": _CSRF.search(page).group(1), "email": email, "password": PASSWORD},
        )
        return client

    def _get(self, client, path, status=200):
        response = client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)

    def school_page(self):
        self._get(self.app.test_client(), f"/schools/{self.seeded.school_slug}")

    def home_page(self):
        self._get(self.app.test_client(), "/")

    def finder(self):
        self._get(self.app.test_client(), f"/schools?q={self.seeded.finder_query}")

    def _forget_pages(self):
        """As after a change: the next request reads the page's key and draws it."""
        with self.app.app_context():
            pagecache.pages().clear()
            pagecache.store("unchanged pages").clear()

    def finder_drawn(self):
        self._forget_pages()
        self.finder()

    def school_page_drawn(self):
        self._forget_pages()
        self.school_page()

    def dashboard_officer(self):
        self._get(self.staff, "/staff/clinics/")

    def dashboard_coordinator(self):
        self._get(self.coordinator, "/staff/clinics/")

    def attendance_list(self):
        self._get(self.staff, f"/staff/attendance/clinics/{self.seeded.attendance_clinic_id}")

    def attendance_ref(self):
        self._get(self.staff, f"/bench/ref/attendance/{self.seeded.attendance_clinic_id}")

    def officer_feed(self):
        self._get(self.app.test_client(), f"/staff/clinics/feed/{self.seeded.feed_token}.ics")

    def officer_feed_rebuilt(self):
        self._get(
            self.app.test_client(),
            f"/staff/clinics/feed/{self.seeded.feed_token}.ics?bench-rebuild",
        )

    def feed_ref(self):
        self._get(self.app.test_client(), f"/bench/ref/feed/{self.seeded.feed_officer_id}")

    def _parent(self, upto: str, slot: int | None = None):
        """A new parent taken through the flow; the request named by ``upto`` is returned
        unmade, as a callable, so only it is profiled."""
        self.n += 1
        client, slot = self.app.test_client(), slot or self.seeded.flow_slot_ids[0]
        form = self._get(client, f"/book/{slot}")
        if upto == "booking_form":
            return lambda: self._get(client, f"/book/{slot}")
        answers = {
            "csrf_token": _CSRF.search(form).group(1),
            "parent_name": "Profile Parent",
            "email": f"profile{self.n}-{time.time_ns()}@bench.example.net",
            "child_years": "Year 4",
            "topics": "roblox",
            "consent": "y",
        }
        assert client.post(f"/book/{slot}", data=answers).status_code == 302
        if upto == "booking_check":
            return lambda: self._get(client, f"/book/{slot}/check")
        check = self._get(client, f"/book/{slot}/check")
        confirm = {
            "csrf_token": _CSRF.search(check).group(1),
            "submission_id": _SUBMISSION.search(check).group(1),
        }
        return lambda: client.post(f"/book/{slot}/check", data=confirm)


def _popper(prepared: list):
    return lambda: prepared.pop()()


def _cpu_ms(call, requests: int) -> float:
    """CPU milliseconds a request, without the profiler (its own cost is most of a small
    page's): the least of three rounds, so other work on the machine counts least."""
    rounds = []
    for _ in range(3):
        began = time.process_time()
        for _ in range(requests):
            call()
        rounds.append((time.process_time() - began) / requests * 1000)
    return min(rounds)


def cpu_times(database_url: str, names: list[str], requests: int, sizes: Sizes):
    """``--cpu``: each scenario's CPU time a request through the test client, beside a
    bare Flask "hello" asked for the same way (bench/hello.py).  The test client's own
    work (about 0.3 ms, more for a big page) is in both; gunicorn's and the network's are
    in neither: ``make bench`` has those."""
    from .hello import app as hello

    seeded = seed(database_url, sizes)
    app = _app(database_url)
    steps = _Steps(app, seeded)
    hello_client = hello.test_client()
    hello_ms = _cpu_ms(lambda: hello_client.get("/"), requests)
    print(f"\n{'hello (bare Flask)':<20} {hello_ms:7.2f} ms CPU a request")
    measured: dict[str, float] = {}
    for name in names:
        call = _call_for(steps, seeded, sizes, name, 3 * requests)
        call(), call()  # warm up
        ms = measured[name] = _cpu_ms(call, requests)
        print(f"{name:<20} {ms:7.2f} ms CPU a request  ({ms / hello_ms:5.1f} × hello)")
    for page, reference in REFERENCES.items():
        if page in measured and reference in measured:
            ratio = measured[page] / measured[reference]
            print(f"{page:<20} {ratio:7.2f} × {reference}")


def _call_for(steps: _Steps, seeded, sizes: Sizes, name: str, requests: int):
    """A callable making the scenario's request once; the flow's parents are prepared
    first (``requests`` + 2 of them), so only the step named is made by the call."""
    if name == "confirm_full":  # every place taken first, then the parents who are late
        burst = seeded.burst_slot_id
        prepared = [steps._parent("confirm", burst) for _ in range(requests + 2)]
        for _ in range(sizes.burst_capacity):
            steps._parent("confirm", burst)()
        return _popper(prepared)
    if name in ("booking_form", "booking_check", "confirm"):
        return _popper([steps._parent(name) for _ in range(requests + 2)])
    return getattr(steps, name)


def profile(database_url: str, names: list[str], requests: int, flat: bool, sizes: Sizes):
    seeded = seed(database_url, sizes)
    app = _app(database_url)
    steps = _Steps(app, seeded)
    for name in names:
        call = _call_for(steps, seeded, sizes, name, requests)
        call(), call()  # warm up
        profiler = Profiler(interval=0.0005)
        began = time.perf_counter()
        profiler.start()
        for _ in range(requests):
            call()
        profiler.stop()
        each = (time.perf_counter() - began) / requests * 1000
        print(f"\n===== {name}: {each:.1f} ms a request over {requests} requests =====")
        print(
            profiler.output_text(
                unicode=True,
                flat=flat,
                processor_options={"filter_threshold": 0.02},
            )
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=", ".join(SCENARIOS))
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--flat", action="store_true")
    parser.add_argument(
        "--cpu", action="store_true", help="CPU ms a request, no profiler, beside hello"
    )
    args = parser.parse_args(argv)
    names = args.scenarios or list(SCENARIOS)
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {', '.join(SCENARIOS)}")

    def run(url: str) -> None:
        if args.cpu:
            cpu_times(url, names, args.requests, Sizes())
        else:
            profile(url, names, args.requests, args.flat, Sizes())

    postgres = os.environ.get("TEST_DATABASE_URL")
    if postgres:
        with postgres_database(postgres) as url:
            run(url)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'profile.sqlite3'}")


if __name__ == "__main__":
    main()
