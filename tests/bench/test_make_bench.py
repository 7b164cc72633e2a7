"""`make bench --quick` end to end: real gunicorn servers, real wrk, every row of the table.

No figure is asserted (a benchmark is not a timed test); what must hold is that every
row is there for each engine, no request failed, and no slot holds more than its places.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from bench import callgrind, run
from tests.conftest import IN_CI

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wrk():
    found = shutil.which("wrk")
    if found is None:
        message = "make bench needs wrk (Debian: apt-get install wrk; .ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def _engines() -> list[str]:
    """SQLite always; PostgreSQL when it answers (in CI it must)."""
    postgres = os.environ.get("TEST_DATABASE_URL", run.DEFAULT_POSTGRES)
    if run.postgres_answers(postgres):
        return ["sqlite", "postgresql"]
    if IN_CI:
        pytest.fail(f"PostgreSQL at {postgres} did not answer")
    return ["sqlite"]


def test_quick_bench_prints_every_row_and_keeps_every_slot_within_capacity(wrk, tmp_path, capsys):
    engines = _engines()
    figures = tmp_path / "figures.json"
    # One measured request a scenario under callgrind (--quick's 3 are for reading the
    # figures): each is still warmed up twice and counted between the marks, which is what
    # this smoke run checks; instructions are counted, not timed, so one is as good as three.
    code = run.main(
        ["--quick", "--requests", "1", "--engines", ",".join(engines), "--json", str(figures)]
    )
    printed = capsys.readouterr().out
    print(printed)  # shown with -s or on failure

    data = json.loads(figures.read_text())
    assert data["capacity_problems"] == []
    rows = data["rows"]
    assert [(r["engine"], r["key"]) for r in rows] == [
        (engine, key) for engine in engines for key in run.ROW_KEYS
    ]
    assert [r for r in rows if r["errors"]] == []
    assert code == 0
    # The printed table has each row's label, and the verdict.
    for row in rows:
        assert row["label"] in printed
    assert "OK: no slot over capacity, no errors." in printed
    # Each load row measured something, with its reference beside it.
    for row in rows:
        if row["key"] in {s.key for s in run.SCENARIOS}:
            assert row["rate"] > 0 and row["ref_rate"] > 0 and row["ratio"] > 0
            assert row["queries"] is not None
    burst = [r for r in rows if r["key"] == "burst"]
    assert all(r["note"].startswith("10 booked,") for r in burst)
    # Instructions per request (callgrind), every scenario counted for each engine.
    if callgrind.available() is None:
        assert "instructions per request" in printed
        counted = data["instructions"]
        assert list(counted) == engines
        for engine in engines:
            assert counted[engine]["hello"] > 0
            assert [c["key"] for c in counted[engine]["rows"]] == [
                key for key, _, _ in callgrind.SCENARIOS
            ]
            assert all(c["per_request"] > counted[engine]["hello"] for c in counted[engine]["rows"])
    elif IN_CI:
        pytest.fail("make bench needs valgrind for its instructions per request")
