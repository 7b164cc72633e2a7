"""Many parents press "Confirm booking" for one slot at the same moment, over real HTTP.

``serve()`` starts the app under gunicorn (several worker processes, each with threads)
on a free loopback port; ``fire()`` gives each parent its own cookie jar, walks it
through the form to the check page, then releases every Confirm at once and sorts the
answers.  Only the standard library talks HTTP, so nothing extra is installed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds for one request; SQLite queues every writer behind the others
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id"[^>]*value="([^"]+)"')


@dataclass
class Figures:
    """What the burst's Confirm presses got back."""

    requests: int = 0
    successes: int = 0  # the confirmation page
    refusals: int = 0  # the "slot is now full" page (409)
    errors: int = 0  # 5xx or no answer at all
    other: int = 0  # anything else (a 400, a 429...): a fault in the set-up
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, one per Confirm

    def percentile(self, p: float) -> float:
        """The p-th percentile of the Confirm latencies (nearest rank), in seconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    def __str__(self) -> str:
        rate = self.requests / self.seconds if self.seconds else 0
        return (
            f"requests {self.requests}, successes {self.successes}, "
            f"refusals {self.refusals}, errors {self.errors}, other {self.other} "
            f"(statuses {dict(sorted(self.statuses.items()))}; "
            f"{self.seconds:.2f} s, {rate:.0f} requests/s)"
        )


class Parent:
    """One browser: its own cookies (session and CSRF token), one email address."""

    def __init__(self, base_url: str, number: int):
        self.base_url = base_url
        self.email = f"parent{number}@example.net"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.check_page = ""

    def _open(self, path: str, data: list[tuple[str, str]] | None = None):
        """(status, final URL, body); HTTP errors are answers too."""
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode(errors="replace")

    def reach_check_page(self, slot_id: int) -> None:
        """GET the form, send it (Continue) and land on the check-your-answers page."""
        status, _, form = self._open(f"/book/{slot_id}")
        if status != 200:
            raise RuntimeError(f"booking form answered {status}")
        answers = [
            ("csrf_token", _CSRF.search(form).group(1)),
            ("parent_name", f"Parent {self.email.split('@')[0]}"),
            ("email", self.email),
            ("child_years", "Year 4"),
            ("topics", "roblox"),
            ("consent", "y"),
        ]
        status, url, page = self._open(f"/book/{slot_id}", answers)
        if status != 200 or not url.endswith("/check"):
            raise RuntimeError(f"the form answered {status} at {url}")
        self.check_page = page

    def confirm(self, slot_id: int) -> tuple[int, str, str]:
        data = [
            ("csrf_token", _CSRF.search(self.check_page).group(1)),
            ("submission_id", _SUBMISSION.search(self.check_page).group(1)),
        ]
        return self._open(f"/book/{slot_id}/check", data)


def _sort(figures: Figures, answer: tuple[int, str, str] | Exception) -> None:
    if isinstance(answer, Exception):
        figures.errors += 1
        figures.statuses["no answer"] += 1
        return
    status, url, body = answer
    figures.statuses[status] += 1
    if status == 200 and url.endswith("/book/confirmation") and "Check your email" in body:
        figures.successes += 1
    elif status == 409 and "Sorry, this time is now full" in body:
        figures.refusals += 1
    elif status >= 500:
        figures.errors += 1
    else:
        figures.other += 1


def fire(base_url: str | list[str], slot_id: int, count: int) -> Figures:
    """``count`` parents reach the check page, then all press Confirm at the same moment.
    Given several servers' addresses, the parents are shared among them in turn."""
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    parents = [Parent(urls[n % len(urls)], n) for n in range(count)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda parent: parent.reach_check_page(slot_id), parents))

    start = threading.Barrier(count + 1)
    answers: dict[int, tuple[int, str, str] | Exception] = {}
    latencies: dict[int, float] = {}

    def press(index: int) -> None:
        start.wait()
        began = time.monotonic()
        try:
            answers[index] = parents[index].confirm(slot_id)
        except Exception as exc:  # noqa: BLE001 - a dropped connection is an error to count
            answers[index] = exc
        latencies[index] = time.monotonic() - began

    threads = [threading.Thread(target=press, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    figures = Figures(
        requests=count, seconds=time.monotonic() - began, latencies=list(latencies.values())
    )
    for answer in answers.values():
        _sort(figures, answer)
    return figures


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(database_url: str, *, workers: int = 4, threads: int = 4, **settings):
    """The app under gunicorn on a free loopback port; yields its base URL."""
    with gunicorn(database_url, workers=workers, threads=threads, **settings) as server:
        yield server.base_url


SERVICE = "bench.wsgi:app"  # the booking service, as the bench serves it


@contextmanager
def gunicorn(
    database_url: str | None,
    *,
    workers: int = 4,
    threads: int = 4,
    worker_class: str | None = None,
    timeout: int = TIMEOUT * 2,
    app: str = SERVICE,
    health: str = "/healthz",
    preload: bool = False,
):
    """``app`` under gunicorn on a free loopback port; yields the master process, with
    ``base_url`` set on it.

    ``worker_class`` defaults to gunicorn's choice (gthread when ``threads`` > 1, else
    sync).  No control socket is opened (gunicorn's default is one fixed path in $HOME),
    so several servers can run side by side."""
    port = free_port()
    # PYTHONFAULTHANDLER: a worker that crashes prints where it was.
    env = {
        **os.environ,
        "CLINIC_CONFIG": "test",
        "PYTHONPATH": str(ROOT),
        "PYTHONFAULTHANDLER": "1",
    }
    if database_url:
        env["BENCH_DATABASE_URL"] = database_url
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        *(["--worker-class", worker_class] if worker_class else []),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        str(timeout),
        "--no-control-socket",
        *(["--preload"] if preload else []),
        # The service's app is warmed before the fork, as in production (clinic/prefork.py).
        *(["--config", "python:bench.gunicorn_hooks"] if preload and app == SERVICE else []),
        "--log-level",
        "warning",
        app,
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    server.base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, server.base_url + health)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server: subprocess.Popen, url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with exit code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url} within {timeout} s")
