"""`flask --app wsgi doctor`: is this deployment ready to go live?

Each check gives one line: ``ok`` and what was found, or ``PROBLEM`` with what is wrong
and the fix.  The exit status is 1 when any line is a problem, so a deploy script can
stop on it.  Nothing is changed and no email is sent (the mail server is only greeted).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from limits.storage import storage_from_string
from sqlalchemy import text

from config import MEMORY_RATE_LIMITS, MEMORY_RATE_LIMITS_FIX, memory_rate_limits

from .. import notify as sms
from ..extensions import db
from ..models import utcnow
from . import health, jobs

MAIL_TIMEOUT = 10
FLASK = "flask --app wsgi"


@dataclass
class Finding:
    ok: bool
    part: str
    text: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok       {self.part}: {self.text}"
        return f"PROBLEM  {self.part}: {self.text}. Fix: {self.fix}"


def ok(part: str, text: str) -> Finding:
    return Finding(True, part, text)


def problem(part: str, text: str, fix: str) -> Finding:
    return Finding(False, part, text, fix)


# --- settings ------------------------------------------------------------------------------


def check_settings(config) -> list[Finding]:
    found = []
    production = config.get("PRODUCTION", False)
    if production:
        found.append(ok("settings", "production settings (CLINIC_CONFIG=production)"))
    else:
        found.append(
            problem(
                "settings",
                "these are not the production settings (secure cookies, proxy headers, JSON logs)",
                "set CLINIC_CONFIG=production for the app, the worker and the cron commands",
            )
        )
    key = config.get("SECRET_KEY") or ""
    if len(key) < 32 or "not-secret" in key:
        found.append(
            problem(
                "secret key",
                "SECRET_KEY is missing, short or the development value",
                "set SECRET_KEY to the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'` and keep it secret",
            )
        )
    else:
        found.append(ok("secret key", f"set ({len(key)} characters)"))
    base = config.get("BASE_URL", "")
    if production and not base.startswith("https://"):
        found.append(
            problem(
                "BASE_URL",
                f"{base or '(empty)'} is not https, so links in emails would be sent in the clear",
                "set BASE_URL to the public https address, e.g. https://clinics.example.org",
            )
        )
    else:
        found.append(ok("BASE_URL", base))
    return found


def check_rate_limits(config) -> list[Finding]:
    """The same rule as production's start (``config.ProductionConfig.check``)."""
    uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if memory_rate_limits(config):
        if not config.get("PRODUCTION", False):
            return [ok("rate limits", "memory:// (one process only; fine for trying the service)")]
        if config.get("RATELIMIT_ALLOW_MEMORY"):
            return [
                ok(
                    "rate limits",
                    "memory:// on purpose (RATELIMIT_ALLOW_MEMORY=1): each process counts alone",
                )
            ]
        return [problem("rate limits", MEMORY_RATE_LIMITS, MEMORY_RATE_LIMITS_FIX)]
    scheme = uri.split("://", 1)[0]
    try:
        reachable = storage_from_string(uri).check()
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        reachable = False
        detail = f" ({type(exc).__name__})"
    else:
        detail = ""
    if not reachable:
        return [
            problem(
                "rate limits",
                f"the {scheme} storage in RATELIMIT_STORAGE_URI does not answer{detail}",
                "start it, or correct RATELIMIT_STORAGE_URI",
            )
        ]
    return [ok("rate limits", f"shared {scheme} storage answers")]


# --- database ------------------------------------------------------------------------------


def check_database(app: Flask) -> tuple[list[Finding], bool]:
    url = db.engine.url
    where = url.render_as_string(hide_password=True)
    try:
        db.session.execute(text("SELECT 1"))
        state, current, heads = health.schema_state(db.session, app)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        db.session.rollback()
        return [
            problem(
                "database",
                f"{where} does not answer ({type(exc).__name__})",
                "start the database or correct DATABASE_URL",
            )
        ], False
    finally:
        db.session.rollback()
    found = [ok("database", f"{url.get_backend_name()} at {where} answers")]
    at = ", ".join(current) or "no migration"
    need = ", ".join(heads)
    if state == "ok":
        found.append(ok("migrations", f"at the latest ({need})"))
    elif state == "ahead":
        found.append(
            problem(
                "migrations",
                f"the database is at {at}, which this code does not know (a newer release made it)",
                "deploy the release that matches the database",
            )
        )
    else:
        found.append(
            problem(
                "migrations",
                f"the database is at {at}; this code needs {need}",
                f"run `{FLASK} db upgrade`",
            )
        )
    return found, state != "empty"


# --- mail ------------------------------------------------------------------------------------


def check_mail(config) -> list[Finding]:
    host, port = config.get("MAIL_SERVER"), config.get("MAIL_PORT")
    production = config.get("PRODUCTION", False)
    if not host:
        if production:
            return [
                problem(
                    "mail",
                    "no MAIL_SERVER, so emails are only written as files",
                    "set MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS and the credentials of the relay",
                )
            ]
        return [ok("mail", f"written as files to {config.get('MAIL_FILE_DIR')} (no MAIL_SERVER)")]
    use_ssl, use_tls = config.get("MAIL_USE_SSL"), config.get("MAIL_USE_TLS")
    context = ssl.create_default_context()
    where = f"{host}:{port}"
    smtp: smtplib.SMTP
    try:
        if use_ssl:
            smtp = smtplib.SMTP_SSL(host, port, timeout=MAIL_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=MAIL_TIMEOUT)
        try:
            smtp.ehlo()
            if use_tls and not use_ssl:
                smtp.starttls(context=context)
                smtp.ehlo()
            if config.get("MAIL_USERNAME") and config.get("MAIL_PASSWORD"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    except ssl.SSLCertVerificationError as exc:
        return [
            problem(
                "mail",
                f"the certificate of {where} is not valid ({exc.verify_message})",
                "renew the relay's certificate, or set MAIL_SERVER to the name on it",
            )
        ]
    except smtplib.SMTPNotSupportedError:
        return [
            problem(
                "mail",
                f"{where} does not offer STARTTLS",
                "use the relay's TLS port (587 with MAIL_USE_TLS, or 465 with MAIL_USE_SSL)",
            )
        ]
    except smtplib.SMTPAuthenticationError as exc:
        return [
            problem(
                "mail",
                f"{where} refused MAIL_USERNAME and MAIL_PASSWORD ({exc.smtp_code})",
                "correct the relay's credentials",
            )
        ]
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError and timeouts are OSErrors
        return [
            problem(
                "mail",
                f"{where} cannot be reached ({type(exc).__name__}: {exc})",
                "check MAIL_SERVER and MAIL_PORT, and that this server may connect to it",
            )
        ]
    if production and not (use_ssl or use_tls):
        return [
            problem(
                "mail",
                f"{where} answers but mail would go unencrypted",
                "set MAIL_USE_TLS=true (port 587) or MAIL_USE_SSL=true (port 465)",
            )
        ]
    how = "TLS, certificate valid" if (use_ssl or use_tls) else "no TLS"
    return [ok("mail", f"{where} answers ({how}; nothing was sent)")]


# --- cron --------------------------------------------------------------------------------


def check_texts(config) -> list[Finding]:
    """Text messages (GOV.UK Notify): the key's shape, the template id, and one call to
    Notify's API with them (the template must be the one placeholder ``((body))``)."""
    key, template_id = config.get("NOTIFY_API_KEY"), config.get("NOTIFY_SMS_TEMPLATE_ID")
    if not key:
        if config.get("PRODUCTION", False):
            return [ok("texts", "off: no NOTIFY_API_KEY, so the forms do not offer text messages")]
        return [
            ok("texts", f"written as files to {config.get('SMS_FILE_DIR')} (no NOTIFY_API_KEY)")
        ]
    fix_key = "set NOTIFY_API_KEY to an API key from GOV.UK Notify (API integration, API keys)"
    if (wrong := sms.key_problem(key)) is not None:
        return [problem("texts", f"NOTIFY_API_KEY is wrong: {wrong}", fix_key)]
    fix_template = (
        "set NOTIFY_SMS_TEMPLATE_ID to the id of a Notify text message template whose whole "
        f"body is {sms.TEMPLATE_BODY}"
    )
    try:
        uuid.UUID(str(template_id))
    except ValueError:
        return [
            problem("texts", "NOTIFY_SMS_TEMPLATE_ID is not set to a template id", fix_template)
        ]
    from notifications_python_client.errors import APIError

    try:
        template = sms.notify_client(config).get_template(template_id)
    except APIError as exc:
        where = config.get("NOTIFY_BASE_URL") or sms.NOTIFY_URL
        if exc.status_code == 403:
            return [
                problem(
                    "texts",
                    f"GOV.UK Notify refused NOTIFY_API_KEY ({sms.notify_errors(exc)})",
                    fix_key,
                )
            ]
        if exc.status_code in (400, 404):
            return [problem("texts", f"GOV.UK Notify has no template {template_id}", fix_template)]
        return [
            problem(
                "texts",
                f"could not reach GOV.UK Notify at {where}"
                f" ({exc.status_code}: {sms.notify_errors(exc)})",
                "check NOTIFY_BASE_URL and that this server may connect to it",
            )
        ]
    if template.get("type") != "sms" or (template.get("body") or "").strip() != sms.TEMPLATE_BODY:
        return [
            problem(
                "texts",
                f"template {template_id} is not a text message template"
                f" whose whole body is {sms.TEMPLATE_BODY}",
                fix_template,
            )
        ]
    return [
        ok(
            "texts",
            f"GOV.UK Notify accepts the key, and template {template_id} is {sms.TEMPLATE_BODY}",
        )
    ]


# --- secrets kept encrypted under SECRET_KEY --------------------------------------------


def check_secrets() -> list[Finding]:
    """The secrets the app stores encrypted under ``SECRET_KEY`` can still be read: each
    partnership's own Notify key, each staff member's authenticator app.  After
    ``SECRET_KEY`` changes without the old one in ``SECRET_KEY_FALLBACKS`` they cannot
    (texts would go with the installation's key; those staff could not sign in)."""
    from ..partnership import secret_readable

    try:
        keys = db.session.execute(
            text("SELECT name, notify_api_key FROM partnership WHERE notify_api_key <> ''")
        ).all()
        factors = db.session.scalars(text("SELECT totp_secret FROM staff_second_factor")).all()
    except Exception:  # noqa: BLE001 - the tables may be missing until the upgrade
        return [problem("secrets", "they cannot be read", f"run `{FLASK} db upgrade`")]
    finally:
        db.session.rollback()
    lost_keys = sorted(name for name, token in keys if not secret_readable(token))
    lost_factors = sum(not secret_readable(token) for token in factors)
    if lost_keys or lost_factors:
        what = []
        if lost_keys:
            what.append(f"the Notify key of {', '.join(lost_keys)}")
        if lost_factors:
            what.append(f"{lost_factors} staff member(s)' authenticator app")
        return [
            problem(
                "secrets",
                f"SECRET_KEY cannot read {' and '.join(what)}",
                "put the SECRET_KEY they were saved under in SECRET_KEY_FALLBACKS; if it is "
                "lost, each coordinator enters their Notify key again on the settings page, "
                "and a coordinator resets each second factor",
            )
        ]
    return [
        ok(
            "secrets",
            f"SECRET_KEY reads {len(keys)} partnership Notify key(s) and "
            f"{len(factors)} authenticator app secret(s)",
        )
    ]


def scheduled_jobs(app: Flask) -> dict[str, float]:
    """The cron commands this release has, with the
    hours within which each should have succeeded."""
    jobs_due = {}
    for name, hours in app.config["CRON_JOBS"].items():
        group, _, command = name.partition(" ")
        found = app.cli.commands.get(group)
        if found is not None and command in getattr(found, "commands", {}):
            jobs_due[name] = hours
    return jobs_due


def _ago(hours: float) -> str:
    return f"{hours * 60:.0f} minutes" if hours < 2 else f"{hours:.1f} hours"


def check_cron(app: Flask, now: datetime) -> list[Finding]:
    try:
        runs = jobs.last_runs(db.session)
    except Exception:  # noqa: BLE001 - the table may be missing until the upgrade
        db.session.rollback()
        return [problem("cron", "job_run cannot be read", f"run `{FLASK} db upgrade`")]
    finally:
        db.session.rollback()
    found = []
    for name, hours in scheduled_jobs(app).items():
        run = runs.get(name)
        command = f"`{FLASK} {name}`"
        timer = "enable its timer in deploy/ (or its cron line in README.md)"
        if (
            run is not None
            and run.last_failed_at is not None
            and (run.last_succeeded_at is None or run.last_failed_at > run.last_succeeded_at)
        ):
            found.append(
                problem(
                    "cron",
                    f"{command} failed {_ago(jobs.age_hours(run.last_failed_at, now))} ago "
                    f"({run.last_error})",
                    f"run it by hand to see why; its log lines carry reference {run.last_run_id}",
                )
            )
            continue
        if run is None or run.last_succeeded_at is None:  # nor failed: that is just above
            found.append(problem("cron", f"{command} has never run", timer))
            continue
        age = jobs.age_hours(run.last_succeeded_at, now)
        if age > hours:
            found.append(
                problem(
                    "cron",
                    f"{command} last succeeded {_ago(age)} ago (it should run at least every "
                    f"{_ago(hours)})",
                    f"check its timer (`systemctl list-timers 'clinic-*'`) or cron; {timer}",
                )
            )
        else:
            found.append(ok("cron", f"{command} succeeded {_ago(age)} ago"))
    return found


def check_backup_folder(config) -> list[Finding]:
    folder = Path(config["BACKUP_DIR"])
    probe = folder if folder.exists() else folder.parent
    if not probe.exists() or not probe.is_dir():
        return [problem("backups", f"{folder} cannot be made", "create it, or set BACKUP_DIR")]
    if not os.access(probe, os.W_OK):
        return [
            problem(
                "backups",
                f"{folder} is not writable by this user",
                "give the service's user write access, or set BACKUP_DIR",
            )
        ]
    keep, shortest = config["BACKUP_KEEP"], config.get("PRIVACY_KEEP_SENT_EMAIL_DAYS")
    if shortest is not None and keep > shortest:
        # One backup a day: purged or erased details would live on in a copy for longer
        # than the privacy notice says (design rule 7).
        return [
            problem(
                "backups",
                f"BACKUP_KEEP={keep} daily copies outlive PRIVACY_KEEP_SENT_EMAIL_DAYS={shortest}",
                f"set BACKUP_KEEP to {shortest} or fewer",
            )
        ]
    return [ok("backups", f"copies go to {folder}, the newest {keep} kept")]


def run_checks(app: Flask, now: datetime | None = None) -> list[Finding]:
    now = now or utcnow()
    config = app.config
    found = check_settings(config)
    database, has_schema = check_database(app)
    found += database
    found += check_mail(config)
    found += check_texts(config)
    found += check_rate_limits(config)
    if has_schema:
        found += check_secrets()
        found += check_cron(app, now)
    found += check_backup_folder(config)
    return found


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check settings and parts before going live; exit status 1 if anything is wrong."""
    # The proxy's own method (werkzeug's), which mypy misses: Flask types current_app as Flask.
    findings = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]
    for finding in findings:
        click.echo(finding.line())
    problems = [f for f in findings if not f.ok]
    if problems:
        click.echo(f"{len(problems)} problem(s) found.")
        raise SystemExit(1)
    click.echo("No problems found.")
