"""Browser test harness: the real app over HTTP, driven by Debian's Chromium.

Fixtures (each documented below):

``live_server``  the app served on http://127.0.0.1:<free port> by Werkzeug in a thread, on a
                 SQLite copy of the migrated template, sending mail to the ``smtp`` server.
``app``          overridden here: the live server's app (its app context is pushed).
``session``      overridden here: the test's own session on the live server's database.
``make``         overridden here: the factories of tests/factories.py on that session. So
                 ``school``, ``admin_user``, ``officer_user``, ``school_user``... of
                 tests/conftest.py also create their records where the browser sees them.
``page``         a Chromium page (desktop, 1280x800) whose relative URLs go to the live server.
``phone_page``   the same on a phone screen (390x844, touch, mobile viewport).
``new_page``     a factory for more pages, each in its own browser context (its own cookies),
                 e.g. a parent on a phone and an officer on a desktop in one test.

Any Content-Security-Policy violation Chromium reports on a page's console (an inline
script or style, a resource from elsewhere) fails the test at teardown, like an error the
live server logs: every page must work under the policy of clinic/headers.py.

On failure, a screenshot of every open page is saved under test-results/failures/.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from clinic import create_app
from clinic.extensions import db
from tests.browser.helpers import RESULTS
from tests.conftest import share_compiled_templates
from tests.factories import Factory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
# How Chromium words a Content-Security-Policy refusal on the console ("Refused to execute
# inline script because it violates the following Content Security Policy directive: ...").
CSP_VIOLATION = re.compile(r"Content Security Policy|Content-Security-Policy", re.IGNORECASE)
# Timeouts for actions and navigation (Playwright's default of 30 s only slows failures down).
TIMEOUT_MS = 10_000


def _unavailable(message: str):
    """Skip with the reason outside CI; fail in CI, where the browser tests must run."""
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# --- the app over HTTP -----------------------------------------------------------------


@dataclass
class LiveServer:
    app: Flask
    url: str  # http://127.0.0.1:<port>, no trailing slash
    server_errors: list[str] = field(default_factory=list)  # tracebacks logged by the app
    problems: list[str] = field(default_factory=list)  # reported at teardown

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on the live server."""
        return self.url + path

    @contextmanager
    def db(self) -> Iterator[Session]:
        """A short-lived session for reading what the browser changed (closed on exit)."""
        with Session(db.engine, expire_on_commit=False) as session:
            yield session


class _ErrorLog(logging.Handler):
    """Keeps the tracebacks the app logs (its 500 handler logs each unhandled error)."""

    def __init__(self, into: list[str]):
        super().__init__(level=logging.ERROR)
        self.into = into
        self.setFormatter(logging.Formatter("the live server logged: %(message)s"))

    def emit(self, record):
        if record.exc_info:
            self.into.append(self.format(record))


@pytest.fixture
def live_server(sqlite_template, smtp, tmp_path):
    """The real app served over HTTP in a background thread, on its own SQLite file.

    Werkzeug's threaded server runs in this process, so the test shares the app object,
    its database and its in-memory state (e.g. the rate limiter) with the requests the
    browser makes. An exception the app logs (a view that failed, whatever the browser was
    shown) fails the test at teardown with its traceback; a test that provokes one on
    purpose checks and clears ``live_server.server_errors``.
    """
    path = tmp_path / "clinic.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
            "DEMO_ACCOUNTS_FILE": str(tmp_path / "demo-accounts.json"),
            # The browser sees the friendly 500 page a user would; the error is recorded.
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    share_compiled_templates(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: the OS picks a free one
    host = f"127.0.0.1:{server.server_port}"
    app.config.update(SERVER_NAME=host, BASE_URL=f"http://{host}")
    live = LiveServer(app=app, url=f"http://{host}")

    errors = _ErrorLog(live.server_errors)
    app.logger.addHandler(errors)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name=host
    )
    thread.start()
    with app.app_context():
        try:
            yield live
        finally:
            server.shutdown()
            thread.join(timeout=5)
            server.server_close()
            app.logger.removeHandler(errors)
            db.session.remove()
            db.engine.dispose()
    problems = list(live.problems)
    problems += live.server_errors
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def app(live_server):
    """Browser tests: the live server's app, so the usual fixtures write where it reads."""
    return live_server.app


@pytest.fixture
def session(live_server):
    """The test's own session on the live server's database (what ``make`` writes with).

    Objects stay readable after a commit (``expire_on_commit=False``), so reading them
    does not touch the database. On SQLite every transaction holds the write lock from
    its first statement, so commit (or roll back) before the browser acts: a transaction
    left open here stalls the live server (the ``page`` fixtures report it). To read what
    the browser changed, use ``with live_server.db() as s: ...`` or ``session.expire_all()``.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        yield session


class _LiveFactory(Factory):
    """The factories of tests/factories.py, leaving no transaction open behind them."""

    def _save(self, obj):
        super()._save(obj)  # add and commit
        state = sa.inspect(obj)
        unloaded = [a.key for a in state.mapper.column_attrs if a.key in state.unloaded]
        if unloaded:  # columns the database filled in (server defaults)
            self.session.refresh(obj, attribute_names=unloaded)
            self.session.commit()
        return obj


@pytest.fixture
def make(session):
    """Factories for records (tests/factories.py) in the database the browser sees."""
    return _LiveFactory(session)


# --- Chromium ----------------------------------------------------------------------------


def _chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (each test gets fresh contexts)."""
    executable = _chromium_path()
    if executable is None:
        _unavailable("browser tests need Chromium (apt-get install chromium); none was found")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def new_page(browser, live_server, session, request):
    """``new_page(phone=False, **context_options)``: a page in a fresh browser context.

    Relative URLs (``page.goto("/staff/sign-in")``) go to the live server. Any option of
    ``browser.new_context`` can be passed, e.g. ``new_page(phone=True, reduced_motion="reduce")``.
    """
    contexts = []

    def check_no_open_transaction(browser_request):
        if session.in_transaction() and not live_server.problems:
            live_server.problems.append(
                f"The test's database session had a transaction open when the browser asked "
                f"for {browser_request.url}; on SQLite that holds the write lock and stalls "
                f"the live server. Call session.commit() (or rollback()) before browser actions."
            )

    def check_no_csp_violation(message):
        """Every page must work under the Content-Security-Policy (clinic/headers.py):
        Chromium reports each script, style or image the policy refused on the console."""
        if message.type == "error" and CSP_VIOLATION.search(message.text):
            location = message.location.get("url") or (message.page.url if message.page else "")
            live_server.problems.append(f"CSP violation on {location}: {message.text}")

    def open_page(*, phone: bool = False, **options):
        settings = (PHONE if phone else DESKTOP) | {
            "base_url": live_server.url,
            "locale": "en-GB",
            "timezone_id": live_server.app.config["CLINIC_TIMEZONE"],
        }
        context = browser.new_context(**(settings | options))
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", check_no_open_transaction)
        context.on("console", check_no_csp_violation)
        contexts.append(context)
        return context.new_page()

    yield open_page

    report = request.node.stash.get(_REPORTS, {}).get("call")
    if report is not None and report.failed:
        folder = RESULTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                with suppress(PlaywrightError):  # a crashed page cannot be photographed
                    page.screenshot(path=str(folder / f"{name}-{i}-{j}.png"), full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized Chromium page on the live server."""
    return new_page()


@pytest.fixture
def phone_page(new_page):
    """A phone-sized Chromium page (390x844, touch) on the live server."""
    return new_page(phone=True)
