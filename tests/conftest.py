"""Test fixtures on real parts: a SQLite file, a PostgreSQL server, an SMTP server on loopback.

Every test that takes ``app`` (or anything built on it) runs twice: on a fresh SQLite file
and on PostgreSQL (``TEST_DATABASE_URL``).  Outside CI the PostgreSQL run skips with the
reason when no server answers; with ``CI=true`` it fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from flask.testing import FlaskClient
from flask_migrate import upgrade

from clinic import changes, create_app
from clinic.extensions import db

os.environ["CLINIC_CONFIG"] = "test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parent.parent


# --- SMTP: a real server on loopback ----------------------------------------------------


class _Inbox:
    """Collects what the SMTP server receives, parsed with the standard library."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        # Every message handed over, refused ones too: the bytes as they travelled
        # (``.content``) and the MAIL FROM options (``.mail_options``).
        self.envelopes: list[Envelope] = []
        self.lock = threading.Lock()
        self.refuse = False  # set to make the server answer 451 (mail server trouble)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        if self.refuse:
            return "451 Try again later"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]

    def clear(self):
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
        self.refuse = False


@pytest.fixture(scope="session")
def _smtp_controller():
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    controller.inbox = inbox
    yield controller
    controller.stop()


@pytest.fixture
def smtp(_smtp_controller):
    """The SMTP test server; ``smtp.messages`` are the emails it received in this test."""
    inbox = _smtp_controller.inbox
    inbox.clear()
    inbox.port = _smtp_controller.port
    yield inbox
    inbox.clear()


# --- GOV.UK Notify: a fake API on loopback (tests/fake_notify.py) -------------------------


@pytest.fixture(scope="session")
def _notify_server():
    from tests.fake_notify import FakeNotifyServer

    with FakeNotifyServer() as fake:
        yield fake


@pytest.fixture
def notify(app, _notify_server):
    """Texts go to the fake Notify API (``notify.sent``; ``notify.fail_next(429)``...)."""
    fake = _notify_server
    fake.reset()
    app.config.update(
        NOTIFY_API_KEY=fake.api_key,
        NOTIFY_SMS_TEMPLATE_ID=fake.template_id,
        NOTIFY_BASE_URL=fake.url,
    )
    yield fake
    fake.reset()


# --- databases ---------------------------------------------------------------------------


def _base_config(url: str, smtp_port: int, tmp_path: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        "SMS_FILE_DIR": str(tmp_path / "sms"),
        "DEMO_ACCOUNTS_FILE": str(tmp_path / "demo-accounts.json"),
        "SERVER_NAME": "localhost",
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, _smtp_controller) -> Path:
    """A SQLite file built once by the migrations; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()
    return path


def _postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def postgres_url(_smtp_controller) -> str:
    """A PostgreSQL database made for this test run and migrated once."""
    base = _postgres_admin_url()
    if not base:
        message = "PostgreSQL tests need TEST_DATABASE_URL (make test sets it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    url = sa.make_url(base).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"clinic_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        message = (
            f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable: {exc.orig}"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    test_url = url.set(database=name).render_as_string(hide_password=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": test_url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        _MIGRATION_ROWS[test_url] = _rows_the_migrations_wrote(db.engine)
        db.engine.dispose()
    yield test_url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


# Rows a migration writes (defaults such as bring_advice's), put back after each TRUNCATE
# so a PostgreSQL test starts from what a fresh SQLite copy of the template holds.
_MIGRATION_ROWS: dict[str, dict[str, list[dict]]] = {}


def _rows_the_migrations_wrote(engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        found = {
            t.name: [dict(r._mapping) for r in conn.execute(t.select())]
            for t in db.metadata.sorted_tables
        }
    return {name: rows for name, rows in found.items() if rows}


def _truncate_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables]
        quoted = ", ".join(f'"{t}"' for t in tables)
        conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        for name, rows in _MIGRATION_ROWS.get(url, {}).items():
            conn.execute(db.metadata.tables[name].insert(), rows)
            if "id" in db.metadata.tables[name].c:
                # rows put back with their ids: the next new row's id comes after them
                # (a second partnership after the migration's first, say)
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'(SELECT MAX(id) FROM "{name}"))'
                )
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """The URL of an empty, migrated database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "clinic.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production, so neither the database
    session nor Flask-Login's signed-in user leaks from the test (or another client)."""

    def open(self, *args, **kwargs):
        # End the test's own transaction first: on SQLite it holds the write lock.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, smtp, tmp_path):
    app = create_app(_base_config(database_url, smtp.port, tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        changes.stop(app)  # the change listener's thread and connection, if one started
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    """The app's database session (the one services are called with)."""
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


# --- staff ---------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make(app):
    """Factories for records (see tests/factories.py)."""
    from tests import factories

    return factories.Factory(db.session)


@pytest.fixture
def school(make):
    return make.school()


@pytest.fixture
def other_school(make):
    return make.school(name="Hillside Primary School")


@pytest.fixture
def admin_user(make):
    return make.user(role="admin", email="admin@example.org", name="Ada Admin")


@pytest.fixture
def officer_user(make, school):
    return make.user(
        role="officer", email="officer@example.org", name="Pat Officer", schools=[school]
    )


@pytest.fixture
def full_clinic(make, school, officer_user):
    """Two 15-minute slots, one household each, both booked."""
    clinic = make.clinic(school, officer_user, slots=2, capacity=1)
    for slot in clinic.slots:
        make.booking(slot)
    return clinic


@pytest.fixture
def school_user(make, school):
    return make.user(role="school", email="office@example.org", name="Sam Office", school=school)


def sign_in(client, user, password: str = PASSWORD):
    """Sign in through the real form (CSRF token taken from the page)."""
    from tests.helpers import csrf_token

    page = client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client


@pytest.fixture
def admin_client(app, admin_user):
    return sign_in(app.test_client(), admin_user)


@pytest.fixture
def officer_client(app, officer_user):
    return sign_in(app.test_client(), officer_user)


@pytest.fixture
def school_client(app, school_user):
    return sign_in(app.test_client(), school_user)
