"""SQLite: page views never wait for the write lock, and writers queue rather than fail.

A GET request's transaction begins DEFERRED (a WAL reader sees the last commit and never
waits); every other transaction begins IMMEDIATE, so a POST that reads then writes waits
for the lock instead of failing with "database is locked" (see clinic/sqlite.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import ExitStack

import pytest
from sqlalchemy import func, select, text, update

from bench.burst import Figures, Parent, _sort, serve
from clinic import create_app
from clinic.extensions import db
from clinic.models import Booking, School, Slot
from clinic.sqlite import WriteInReadRequest
from tests import factories
from tests.helpers import sql_sent

HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE school SET name = name")
print("holding", flush=True)
sys.stdin.readline()  # until the test lets go (or closes the pipe)
conn.execute("COMMIT")
"""


@pytest.fixture
def sqlite_file(sqlite_template, tmp_path):
    path = tmp_path / "locking.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def sqlite_app(sqlite_file):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{sqlite_file}"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _begins(app, method: str | None) -> list[str]:
    """How a transaction begins inside a request of ``method`` (None: outside a request)."""
    with sql_sent() as seen, ExitStack() as stack:
        if method:
            stack.enter_context(app.test_request_context("/", method=method))
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    return [statement for statement in seen if statement.startswith("BEGIN")]


def test_reads_begin_deferred_and_everything_else_immediate(sqlite_app):
    assert _begins(sqlite_app, "GET") == ["BEGIN"]
    assert _begins(sqlite_app, "HEAD") == ["BEGIN"]
    assert _begins(sqlite_app, "POST") == ["BEGIN IMMEDIATE"]
    # Outside any request: CLI and cron commands, the outbox worker and sender thread.
    assert _begins(sqlite_app, None) == ["BEGIN IMMEDIATE"]


def test_a_get_that_writes_is_refused(sqlite_app):
    make = factories.Factory(db.session)
    school = make.school()
    db.session.commit()
    with sqlite_app.test_request_context("/", method="GET"), db.engine.connect() as conn:
        conn.execute(select(School.id))
        with pytest.raises(WriteInReadRequest, match="GET / tried to write"):
            conn.execute(update(School).values(name="Changed by a GET"))
    db.session.expire_all()
    assert db.session.get(School, school.id).name != "Changed by a GET"


@pytest.mark.slow
def test_readers_do_not_wait_for_a_writer_and_writers_queue(sqlite_file, sqlite_app):
    """Another process holds the write lock: pages still load through a multi-process
    gunicorn; Confirm presses wait for the lock, then all succeed."""
    make = factories.Factory(db.session)
    school = make.school()
    officer = make.user(role="officer", schools=[school])
    clinic = make.clinic(school, officer, slots=1, capacity=10)
    slot_id, slug = clinic.slots[0].id, school.slug
    db.session.commit()
    db.session.remove()

    url = f"sqlite:///{sqlite_file}"
    with serve(url, workers=3, threads=2) as base_url:
        parents = [Parent(base_url, n) for n in range(4)]
        for parent in parents:
            parent.reach_check_page(slot_id)

        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(sqlite_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        released_at = None
        try:
            assert holder.stdout.readline().strip() == "holding"
            # Readers, in several workers at once, while the lock is held.
            pages = [f"/schools/{slug}", f"/schools?q={slug[:6]}", f"/book/{slot_id}", "/healthz"]
            answers: dict[str, int] = {}

            def read(path: str) -> None:
                with urllib.request.urlopen(base_url + path, timeout=60) as response:
                    answers[path] = response.status

            readers = [threading.Thread(target=read, args=(p,)) for p in pages * 2]
            for thread in readers:
                thread.start()
            for thread in readers:
                thread.join(timeout=60)
            assert holder.poll() is None, "the lock holder let go before the readers finished"
            assert answers == dict.fromkeys(pages, 200)

            # Writers while the lock is still held: they must wait, not fail.
            results: list = []
            finished: list[float] = []

            def confirm(parent: Parent) -> None:
                try:
                    results.append(parent.confirm(slot_id))
                except Exception as exc:  # noqa: BLE001 - a failure to count
                    results.append(exc)
                finished.append(time.monotonic())

            writers = [threading.Thread(target=confirm, args=(p,)) for p in parents]
            for thread in writers:
                thread.start()
            time.sleep(2)  # time for every Confirm to reach the database and queue
            early = [a if isinstance(a, Exception) else a[0] for a in results]
            assert early == [], "a writer finished while another process held the lock"
        finally:
            released_at = time.monotonic()
            holder.stdin.write("\n")
            holder.stdin.close()
            holder.wait(timeout=30)
        for thread in writers:
            thread.join(timeout=60)

    figures = Figures(requests=len(parents))
    for answer in results:
        _sort(figures, answer)
    assert figures.successes == len(parents), figures
    assert all(moment >= released_at for moment in finished)
    assert db.session.get(Slot, slot_id).booked == len(parents)
    count = db.session.scalar(select(func.count()).select_from(Booking))
    assert count == len(parents)
