"""`flask doctor`: one plain line per problem with its fix, exit status 1 when any.

The mail checks talk to real SMTP servers on loopback: aiosmtpd offering STARTTLS with a
certificate made for the test, trusted (through SSL_CERT_FILE) or not.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from clinic.extensions import db
from clinic.models import utcnow
from clinic.ops import doctor
from clinic.ops.models import JobRun
from tests.ops.support import free_port

GOOD_KEY = "f" * 12 + "0123456789abcdef0123456789abcdef"


class _Sink:
    async def handle_DATA(self, server, session, envelope):
        raise AssertionError("doctor must not send mail")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_smtp(certificate):
    """An SMTP server that requires STARTTLS, with the test certificate."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    controller = Controller(
        _Sink(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    yield port
    controller.stop()


def _go_live_settings(app, smtp_port):
    app.config.update(
        PRODUCTION=True,
        SECRET_KEY=GOOD_KEY,
        BASE_URL="https://clinics.example.org",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
        MAIL_USE_TLS=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
    )


def _all_jobs_ran(app, minutes_ago=5):
    when = utcnow() - timedelta(minutes=minutes_ago)
    for name in doctor.scheduled_jobs(app):
        db.session.merge(JobRun(name=name, last_started_at=when, last_succeeded_at=when))
    db.session.commit()


def _doctor(app):
    result = app.test_cli_runner().invoke(args=["doctor"])
    db.session.rollback()
    return result.exit_code, result.output.splitlines()


def _problems(lines):
    return [line for line in lines if line.startswith("PROBLEM")]


def test_a_deployment_ready_to_go_live(app, tls_smtp, certificate, monkeypatch, tmp_path):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate
    _go_live_settings(app, tls_smtp)
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    _all_jobs_ran(app)
    code, lines = _doctor(app)
    assert _problems(lines) == [], lines
    assert code == 0
    assert any("certificate valid" in line for line in lines)
    assert lines[-1] == "No problems found."


def test_an_untrusted_mail_certificate_is_a_problem(app, tls_smtp):
    _go_live_settings(app, tls_smtp)
    code, lines = _doctor(app)
    assert code == 1
    mail = [line for line in _problems(lines) if "mail:" in line]
    assert len(mail) == 1 and "certificate" in mail[0] and "Fix:" in mail[0]


def test_a_mail_server_without_tls_is_a_problem_in_production(app, smtp):
    _go_live_settings(app, smtp.port)
    app.config["MAIL_USE_TLS"] = False
    _all_jobs_ran(app)
    code, lines = _doctor(app)
    problems = _problems(lines)
    assert code == 1 and len(problems) == 1
    assert "unencrypted" in problems[0] and "MAIL_USE_TLS=true" in problems[0]
    assert smtp.messages == []  # greeted, never sent to


def test_a_mail_server_that_does_not_answer(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    code, lines = _doctor(app)
    assert any("mail:" in line and "cannot be reached" in line for line in _problems(lines))


def test_first_deploy_problems_each_with_its_fix(app, session, schema_version):
    """Development settings as they come: every go-live problem is named on its own line."""
    app.config.update(
        PRODUCTION=True,
        SECRET_KEY="dev-only-not-secret",
        BASE_URL="http://127.0.0.1:5000",
        RATELIMIT_STORAGE_URI="memory://",
        MAIL_SERVER="",
    )
    schema_version("0001")
    code, lines = _doctor(app)
    problems = _problems(lines)
    assert code == 1
    parts = {line.split(":", 1)[0].removeprefix("PROBLEM").strip() for line in problems}
    assert {"secret key", "BASE_URL", "rate limits", "mail", "migrations"} <= parts
    assert all("Fix:" in line and "\n" not in line for line in problems)
    assert any("flask --app wsgi db upgrade" in line for line in problems)
    assert lines[-1] == f"{len(problems)} problem(s) found."


def test_cron_commands_that_never_ran_are_late_or_failed(app, session, smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    now = utcnow()
    session.add_all(
        [
            JobRun(name="reminders send", last_succeeded_at=now - timedelta(hours=5)),
            JobRun(
                name="followup send",
                last_succeeded_at=now - timedelta(hours=2),
                last_failed_at=now - timedelta(minutes=10),
                last_error="RuntimeError: boom",
                last_run_id="job-abc123",
            ),
            JobRun(name="waitlist expire-offers", last_succeeded_at=now - timedelta(minutes=4)),
        ]
    )
    session.commit()
    code, lines = _doctor(app)
    cron = [line for line in lines if " cron:" in line]
    by_job = {
        name: [line for line in cron if f"wsgi {name}`" in line] for name in app.config["CRON_JOBS"]
    }
    assert "last succeeded 5.0 hours ago" in by_job["reminders send"][0]
    assert "failed 10 minutes ago (RuntimeError: boom)" in by_job["followup send"][0]
    assert "job-abc123" in by_job["followup send"][0]
    assert by_job["waitlist expire-offers"][0].startswith("ok")
    assert "never run" in by_job["attendance send-lists"][0]
    assert "never run" in by_job["backup create"][0]
    assert "never run" in by_job["privacy purge"][0]
    assert code == 1


def test_an_unreachable_database_is_one_line():
    from clinic import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
        }
    )
    result = app.test_cli_runner().invoke(args=["doctor"])
    database = [line for line in result.output.splitlines() if "database:" in line]
    assert result.exit_code == 1
    assert (
        len(database) == 1 and database[0].startswith("PROBLEM") and "DATABASE_URL" in database[0]
    )


def test_backups_kept_longer_than_the_retention_are_a_problem(app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    app.config.update(BACKUP_KEEP=60, PRIVACY_KEEP_SENT_EMAIL_DAYS=30)
    code, lines = _doctor(app)
    (backups,) = [line for line in _problems(lines) if "backups:" in line]
    assert "BACKUP_KEEP=60" in backups and "30 or fewer" in backups
    assert code == 1


# --- text messages (GOV.UK Notify; the fake API in tests/fake_notify.py) --------------------


def _texts(app) -> list[doctor.Finding]:
    return doctor.check_texts(app.config)


def test_texts_off_are_written_as_files(app):
    (finding,) = _texts(app)
    assert finding.ok and "written as files" in finding.line()


def test_texts_with_a_working_key_and_template(app, notify):
    (finding,) = _texts(app)
    assert finding.ok, finding.line()
    assert notify.requests and notify.requests[-1]["path"] == f"/v2/template/{notify.template_id}"
    assert notify.sent == []  # nothing texted


def test_a_key_of_the_wrong_shape_is_a_problem_without_asking_notify(app, notify):
    app.config["NOTIFY_API_KEY"] = "not-a-key"
    (finding,) = _texts(app)
    assert not finding.ok and "NOTIFY_API_KEY is wrong" in finding.line()
    assert notify.requests == []


def test_a_key_notify_refuses_is_a_problem_and_its_secret_is_not_shown(app, notify):
    import uuid

    secret = str(uuid.uuid4())
    app.config["NOTIFY_API_KEY"] = f"clinics-{notify.service_id}-{secret}"
    (finding,) = _texts(app)
    assert not finding.ok and "GOV.UK Notify refused NOTIFY_API_KEY" in finding.line()
    assert secret not in finding.line()


def test_a_template_that_is_not_one_placeholder_is_a_problem(app, notify):
    notify.template_body = "Hello ((name)), your clinic is booked"
    (finding,) = _texts(app)
    assert not finding.ok and "((body))" in finding.line()


def test_an_unknown_template_or_unreachable_notify_is_a_problem(app, notify):
    import uuid

    app.config["NOTIFY_SMS_TEMPLATE_ID"] = str(uuid.uuid4())
    (finding,) = _texts(app)
    assert not finding.ok and "has no template" in finding.line()
    app.config["NOTIFY_SMS_TEMPLATE_ID"] = notify.template_id
    app.config["NOTIFY_BASE_URL"] = f"http://127.0.0.1:{free_port()}"
    (finding,) = _texts(app)
    assert not finding.ok and "could not reach GOV.UK Notify" in finding.line()


# --- secrets kept encrypted under SECRET_KEY -----------------------------------------------


def test_secrets_a_changed_secret_key_cannot_read_are_a_problem(app, session, make, officer_user):
    """A partnership's Notify key and a staff member's authenticator secret are stored
    under SECRET_KEY: after it changes without the old one in SECRET_KEY_FALLBACKS, doctor
    names what can no longer be read (never the secrets) and how to get it back."""
    from clinic.partnership import encrypt_secret
    from tests.auth.test_mfa import give_factor

    key = "notify-key-" + GOOD_KEY
    make.partnership("North Shire Partnership", slug="north", notify_api_key=encrypt_secret(key))
    give_factor(session, officer_user)
    (finding,) = doctor.check_secrets()
    assert finding.ok and "1 partnership Notify key(s) and 1 authenticator" in finding.line()

    old = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-new-key-for-this-test-only-0123456789"
    app.config["SECRET_KEY_FALLBACKS"] = []
    (finding,) = doctor.check_secrets()
    assert not finding.ok
    line = finding.line()
    assert "the Notify key of North Shire Partnership" in line
    assert "1 staff member(s)' authenticator app" in line and "SECRET_KEY_FALLBACKS" in line
    assert key not in line

    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert doctor.check_secrets()[0].ok
