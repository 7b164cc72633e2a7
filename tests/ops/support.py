"""Real gunicorn with deploy/gunicorn.conf.py, parents booking over HTTP, spare databases."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "gunicorn.conf.py"
TIMEOUT = 60
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base_url: str
    out: Path  # gunicorn's stdout: the access log
    err: Path  # gunicorn's stderr: its error log and the app's log lines
    process: subprocess.Popen

    def logs(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


def app_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a real deployment on this test's database (no test settings)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUNICORN_", "PROMETHEUS_", "CLINIC_", "LOG_", "MAIL_"))
    }
    env.update(
        {
            "CLINIC_CONFIG": "development",
            "DATABASE_URL": database_url,
            "CLINIC_INSTANCE_DIR": str(tmp_path / "instance"),
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
            "OUTBOX_SEND_MODE": "off",
            "BOOKING_LIMIT_PER_ADDRESS": "100000 per hour",
            "BOOKING_LIMIT_PER_EMAIL": "100000 per hour",
            "BOOKING_LIMIT_PER_SESSION": "100000 per hour",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(
    tmp_path: Path,
    env: dict[str, str],
    *args: str,
    workers: int = 2,
    threads: int = 2,
    own_control_socket: bool = True,
):
    """gunicorn started the production way (``--config deploy/gunicorn.conf.py``) on a
    spare port, with its own control socket and metrics folder; stopped afterwards."""
    port = free_port()
    env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / f"metrics-{port}"),
    }
    if own_control_socket:
        env["GUNICORN_CONTROL_SOCKET"] = str(tmp_path / f"gunicorn-{port}.ctl")
    out, err = tmp_path / f"gunicorn-{port}.out", tmp_path / f"gunicorn-{port}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(CONF), *args],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    server = Server(f"http://127.0.0.1:{port}", out, err, process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped ({server.process.returncode}):\n{server.logs()}")
        try:
            with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{server.logs()}")


def wait_for_socket(path: Path, timeout: float = 10) -> bool:
    """True once ``path`` is a Unix socket, False after ``timeout`` seconds without one.

    gunicorn's arbiter opens its control socket only after the first workers are forked,
    and from a background thread (gunicorn/arbiter.py ``_start_control_server``, the
    asyncio loop of gunicorn/ctl/server.py): a worker can answer /healthz before the
    socket is bound, more so on a busy machine."""
    deadline = time.monotonic() + timeout
    while True:
        if path.is_socket():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def get(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


class Parent:
    """One browser booking through the real pages: form, Continue, Confirm."""

    def __init__(self, base_url: str, email: str):
        self.base_url = base_url
        self.email = email
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def _open(self, path: str, data: list[tuple[str, str]] | None = None):
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode(errors="replace")

    def book(self, slot_id: int) -> bool:
        """True once the confirmation page is back (the booking has committed)."""
        status, _, form = self._open(f"/book/{slot_id}")
        if status != 200:
            return False
        answers = [
            ("csrf_token", _CSRF.search(form).group(1)),
            ("parent_name", "Load Test Parent"),
            ("email", self.email),
            ("child_years", "Year 4"),
            ("topics", "roblox"),
            ("consent", "y"),
        ]
        status, url, check = self._open(f"/book/{slot_id}", answers)
        if status != 200 or not url.endswith("/check"):
            return False
        confirm = [
            ("csrf_token", _CSRF.search(check).group(1)),
            ("submission_id", _SUBMISSION.search(check).group(1)),
        ]
        status, url, page = self._open(f"/book/{slot_id}/check", confirm)
        return status == 200 and url.endswith("/book/confirmation") and "Check your email" in page


@contextmanager
def spare_database(database_url: str, tmp_path: Path):
    """A second, empty database on the same engine: a new SQLite path, or a new
    PostgreSQL database made (and dropped) through the server's admin connection."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / f'spare-{uuid.uuid4().hex[:6]}.sqlite3'}"
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"clinic_spare_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
