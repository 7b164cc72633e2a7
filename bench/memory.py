"""What a web worker costs in memory, with and without gunicorn's ``preload_app``.

    python -m bench.memory                  # SQLite, 2 and 4 workers, preload off and on
    python -m bench.memory --workers 4

Prints the RSS of a process after ``import wsgi`` (a bare Flask hello is about 30 MiB),
then for each setting starts the app under gunicorn (the settings ``make bench`` uses),
asks every worker for the public pages, the booking flow and a staff page, and reads each
worker's RSS and USS (its own pages, what one more worker adds) from /proc.  With
``preload_app`` the master imports the app once and the workers share those pages
until they write to them (reference counts do, so some are copied after all).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import load
from .burst import ROOT, gunicorn
from .seed import QUICK, seed

_RSS = (
    "import sys, wsgi\n"
    "rss = next(l for l in open('/proc/self/status') if l.startswith('VmRSS'))\n"
    "print(int(rss.split()[1]) / 1024)\n"
)


def rss_after_import(module: str = "wsgi") -> float:
    """MiB resident after importing ``module`` in a fresh process."""
    with tempfile.TemporaryDirectory() as instance:
        env = {
            "CLINIC_CONFIG": "development",
            "CLINIC_INSTANCE_DIR": instance,
            "PATH": "/usr/bin:/bin",
        }
        code = _RSS.replace("wsgi", module)
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(result.stdout.strip().splitlines()[-1])


def worker_figures(
    url: str, seeded, workers: int, preload: bool
) -> tuple[load.Memory, list[load.Memory]]:
    """The master's and each worker's memory after every worker has served each page."""
    with gunicorn(url, workers=workers, threads=4, preload=preload) as server:
        base = server.base_url
        cookie = load.sign_in(base, seeded.officer_email, seeded.officer_password)

        def visit(n: int) -> None:
            for path in (
                "/",
                f"/schools/{seeded.school_slug}",
                f"/schools?q={seeded.finder_query}",
            ):
                load.page_queries(base, path, None)
            load.page_queries(
                base, f"/staff/attendance/clinics/{seeded.attendance_clinic_id}", cookie
            )
            slot = seeded.flow_slot_ids[n % len(seeded.flow_slot_ids)]
            load.flow_queries(base, slot, f"mem-{uuid.uuid4().hex[:12]}@bench.example.net")

        with ThreadPoolExecutor(max_workers=workers * 4) as pool:
            list(pool.map(visit, range(workers * 8)))
        return load.memory_of(server.pid), load.worker_memory(server.pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="2,4", help="worker counts to try (2,4)")
    args = parser.parse_args(argv)
    print(
        f"RSS after import: hello {rss_after_import('bench.hello'):.1f} MiB, "
        f"wsgi {rss_after_import('wsgi'):.1f} MiB (target ≤ 70)"
    )
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'memory.sqlite3'}"
        seeded = seed(url, QUICK)
        for workers in (int(n) for n in args.workers.split(",")):
            for preload in (False, True):
                master, each = worker_figures(url, seeded, workers, preload)
                print(
                    f"{workers} workers, preload {'on ' if preload else 'off'}: each worker RSS "
                    f"{statistics.mean(m.rss for m in each):.1f} MiB, USS "
                    f"{statistics.mean(m.uss for m in each):.1f} MiB (max "
                    f"{max(m.uss for m in each):.1f}; target ≤ 40); master RSS {master.rss:.1f}, "
                    f"USS {master.uss:.1f}; all together (USS) "
                    f"{master.uss + sum(m.uss for m in each):.1f} MiB",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
