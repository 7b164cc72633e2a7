"""What ``make bench`` measures with: wrk runs, single probes and worker memory.

wrk (Debian's package) generates the load from its own process: it is written in C and
keeps up with far more requests than this app answers, so it measures the server rather
than itself (a Python load generator on the same two cores would take much of the
processor it is measuring), and its Lua scripts carry cookies and CSRF tokens through the
booking flow.  The scripts are in ``bench/lua/``; each ends with one ``BENCH-JSON`` line.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

LUA = Path(__file__).resolve().parent / "lua"
REQUEST_TIMEOUT = 30  # seconds; wrk's own default (2 s) would drop slow answers uncounted
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id"[^>]*value="([^"]+)"')
QUERIES_HEADER = "X-Bench-Queries"


def ensure_wrk() -> str:
    """The path of wrk, installed from Debian's packages first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        raise SystemExit("make bench needs wrk (https://github.com/wg/wrk); install it first")
    print("Installing wrk (apt-get install wrk)...", flush=True)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    install = [apt, "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run([apt, "update", "-qq"], env=env, check=True, capture_output=True)
        subprocess.run(install, env=env, check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "--version"], capture_output=True, text=True)
    return (result.stdout or result.stderr).split("Copyright")[0].strip()


@dataclass
class Run:
    """One wrk run's figures."""

    requests: int
    seconds: float
    errors: int  # socket errors, timeouts, 4xx/5xx and answers the script did not expect
    p50: float  # milliseconds
    p95: float
    p99: float
    kinds: dict[str, int] = field(default_factory=dict)  # the errors by kind

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_run(
    wrk: str,
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int,
    script: str = "page.lua",
    args: tuple[str, ...] = (),
    headers: tuple[str, ...] = (),
) -> Run:
    """Load ``url`` for ``seconds`` from a separate wrk process; its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write((LUA / "common.lua").read_text() + "\n" + (LUA / script).read_text())
        lua.flush()
        command = [
            wrk,
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={REQUEST_TIMEOUT}s",
            f"--script={lua.name}",
        ]
        for header in headers:
            command += ["--header", header]
        command += [url, "--", *args]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT + 30
        )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
    data = json.loads(line.removeprefix("BENCH-JSON "))
    kinds = {k: data[k] for k in ("connect", "read", "write", "timeout", "bad") if data[k]}
    errors = sum(kinds.values())
    # wrk counts non-2xx/3xx in "status"; the scripts count those (and more) in "bad".
    return Run(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50=data["p50_us"] / 1000,
        p95=data["p95_us"] / 1000,
        p99=data["p99_us"] / 1000,
        kinds=kinds,
    )


# --- single requests, for the queries-per-request figures -------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor with a cookie jar; every answer's status, body and query count."""

    def __init__(self, base_url: str, cookie: str | None = None):
        self.base_url = base_url
        self.jar = CookieJar()
        self.cookie = cookie
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def open(self, path: str, data: list[tuple[str, str]] | None = None):
        """(status, body, queries) of one request; redirects are not followed."""
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        # The cookie given is sent until the app sets a session cookie of its own (say,
        # with a CSRF token in it); from then on the jar's is the only one.
        if self.cookie and not any(c.name == "session" for c in self.jar):
            request.add_header("Cookie", self.cookie)
        try:
            with self.opener.open(request, timeout=120) as response:
                body = response.read().decode(errors="replace")
                return response.status, body, _queries(response.headers)
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            return error.code, text, _queries(error.headers)

    def session_cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar if c.name == "session")


def _queries(headers) -> int:
    return int(headers.get(QUERIES_HEADER, "0"))


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    return _CSRF.search(page).group(1)


def sign_in(base_url: str, email: str, password: str) -> str:
    """Sign a member of staff in through the form; the session cookie to send after."""
    browser = Browser(base_url)
    _, page, _ = browser.open("/staff/sign-in")
    token = _CSRF.search(page).group(1)
    status, _, _ = browser.open(
        "/staff/sign-in", [("csrf_token", token), ("email", email), ("password", password)]
    )
    if status != 302:
        raise RuntimeError(f"signing in answered {status}")
    return browser.session_cookie()


def page_queries(base_url: str, path: str, cookie: str | None = None) -> int:
    status, _, queries = Browser(base_url, cookie).open(path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return queries


def flow_queries(base_url: str, slot_id: int, email: str) -> list[int]:
    """The queries of each of the booking flow's five requests, for one new household."""
    browser = Browser(base_url)
    counts = []
    status, form, queries = browser.open(f"/book/{slot_id}")
    counts.append(queries)
    answers = [
        ("csrf_token", _CSRF.search(form).group(1)),
        ("parent_name", "Probe Parent"),
        ("email", email),
        ("child_years", "Year 4"),
        ("topics", "roblox"),
        ("consent", "y"),
    ]
    status, _, queries = browser.open(f"/book/{slot_id}", answers)
    counts.append(queries)
    _, check, queries = browser.open(f"/book/{slot_id}/check")
    counts.append(queries)
    confirm = [
        ("csrf_token", _CSRF.search(check).group(1)),
        ("submission_id", _SUBMISSION.search(check).group(1)),
    ]
    status, _, queries = browser.open(f"/book/{slot_id}/check", confirm)
    counts.append(queries)
    status, page, queries = browser.open("/book/confirmation")
    counts.append(queries)
    if status != 200 or "Check your email" not in page:
        raise RuntimeError(f"the probe booking ended with {status}")
    return counts


# --- memory -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """One process's memory in MiB: resident (RSS) and its own, unshared pages (USS)."""

    rss: float
    uss: float


def workers_of(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def memory_of(pid: int) -> Memory:
    """From /proc/PID/smaps_rollup (Linux): Rss, and Private_Clean + Private_Dirty."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return Memory(rss=fields["Rss"] / 1024, uss=private / 1024)


def worker_memory(master_pid: int) -> list[Memory]:
    return [memory_of(pid) for pid in workers_of(master_pid)]
