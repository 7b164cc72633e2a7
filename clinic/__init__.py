"""The Parental Controls Clinics booking service."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import BASE_DIR, CONFIGS, INSTANCE_DIR

from . import (
    govuk_text,
    headers,
    i18n,
    migrating,
    session_cookie,
    sqlite,  # noqa: F401 - SQLite pragmas and how transactions begin
)

# The mail extension under its own name: ``clinic.mail`` is the module of Flask-Mail's subclasses.
from .extensions import csrf, db, init_limiter, login_manager
from .extensions import mail as mail_extension
from .models import MAX_ID


class DatabaseIdConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class ClinicFlask(Flask):
    """Flask, with ``ensure_sync`` (which Flask's docs invite apps to override) answered
    once per function: Flask asks it for every hook of every request (a dozen), and each
    answer walked ``inspect.iscoroutinefunction``, 7 % of a page from the page cache."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        known = self._sync_for
        made = known.get(func)
        if made is None:
            made = known[func] = super().ensure_sync(func)
        return made

    @cached_property
    def _sync_for(self) -> dict[Callable[..., Any], Callable[..., Any]]:
        return {}


def create_app(config: str | Mapping | None = None) -> Flask:
    """Build the app. ``config`` is a setting name (development, test, production) or a
    mapping of overrides on top of the setting named by ``CLINIC_CONFIG``."""
    name = config if isinstance(config, str) else os.environ.get("CLINIC_CONFIG", "development")
    settings = CONFIGS[name]

    app = ClinicFlask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(settings)
    if isinstance(config, Mapping):
        app.config.update(config)
    if hasattr(settings, "check"):
        settings.check(app)
    if app.config.get("PROXY_FIX", name == "production"):
        # Flask's documented way to add WSGI middleware, which mypy reads as replacing a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1
        )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # Ids in URLs fit the database's integer columns; a longer one is a 404, not a 500.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(BASE_DIR / "templates")),
            PrefixLoader(
                {
                    # GOV.UK's macros, their own English words translated
                    "govuk_frontend_jinja": govuk_text.TranslatedMacros(),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    app.session_interface = session_cookie.KeptSerializerSessions()
    db.init_app(app)
    migrating.register(app)  # Flask-Migrate loads only where migrations run
    csrf.init_app(app)
    headers.register(app)  # security headers on every response
    i18n.register(app)  # parents' pages in their language (Flask-Babel)
    init_limiter(app)  # checks form posts only
    login_manager.init_app(app)
    mail_extension.init_app(app)

    # attendance, booking and schedule each keep one blueprint (so their endpoints keep
    # their names) with its pages in several modules: importing a module adds its routes.
    from . import core, error_pages, filters, inputs, outbox, partnership
    from .attendance import checkin_views, list_views  # noqa: F401
    from .attendance import pdf as attendance_pdf
    from .attendance import sending as attendance_sending
    from .attendance.blueprint import bp as attendance_bp
    from .audit_log import views as audit_log_views
    from .auth import mfa_views, passkey_views, session_views
    from .auth import views as auth_views
    from .booking import flow_views, page_views  # noqa: F401
    from .booking.blueprint import bp as booking_bp
    from .figures import views as figures_views
    from .followup import views as followup_views
    from .manage import views as manage_views
    from .outbox import views as outbox_views
    from .outbox.cli import add_worker_job
    from .partnerships import views as partnerships_views
    from .privacy import views as privacy_views
    from .schedule import dashboard_views, editing_views, feed_views  # noqa: F401
    from .schedule.blueprint import bp as schedule_bp
    from .schools import views as schools_views
    from .waitlist import views as waitlist_views

    filters.register(app)
    inputs.register(app)
    app.add_template_global(partnership.notice_args)
    error_pages.register(app)
    for blueprint in (
        core.bp,
        auth_views.bp,
        mfa_views.bp,
        session_views.bp,
        passkey_views.bp,
        schools_views.bp,
        outbox_views.bp,
        schedule_bp,
        booking_bp,
        manage_views.bp,
        waitlist_views.bp,
        attendance_bp,
        followup_views.bp,
        followup_views.guidance_bp,
        figures_views.bp,
        privacy_views.bp,
        privacy_views.admin_bp,
        audit_log_views.bp,
        partnerships_views.bp,
    ):
        app.register_blueprint(blueprint)
    outbox.register(app)
    add_worker_job(app, attendance_sending.send_requested_lists)
    add_worker_job(app, attendance_pdf.build_requested_pdfs)

    from .attendance.cli import attendance_cli
    from .auth.cli import users_cli
    from .booking.cli import reminders_cli
    from .demo import demo_cli
    from .followup.cli import followup_cli
    from .outbox.cli import outbox_cli
    from .partnerships.cli import partnerships_cli
    from .privacy.cli import privacy_cli
    from .schools.cli import schools_cli
    from .waitlist.cli import waitlist_cli

    for command in (
        users_cli,
        demo_cli,
        outbox_cli,
        reminders_cli,
        waitlist_cli,
        attendance_cli,
        followup_cli,
        privacy_cli,
        schools_cli,
        partnerships_cli,
    ):
        app.cli.add_command(command)

    _seed_new_partnerships()

    from . import ops

    ops.register(app)  # last: it learns every route that carries a parent's token
    _new_connections_after_fork(app)
    return app


def _new_connections_after_fork(app: Flask) -> None:
    """A process forked from this one (a gunicorn worker under ``preload_app``) opens its
    own database connections: the pool it inherited is forgotten without closing the
    parent's sockets (SQLAlchemy's ``dispose(close=False)``, its documented way)."""
    ref = weakref.ref(app)  # tests make many apps in one process; none is kept alive

    def forget() -> None:
        if (forked := ref()) is not None:
            with forked.app_context():
                for engine in db.engines.values():
                    engine.dispose(close=False)

    os.register_at_fork(after_in_child=forget)


def _seed_new_partnerships() -> None:
    """A new partnership starts with the guidance links a new installation gets
    (``clinic.signals.partnership_created``), once guidance is kept per partnership: the
    guidance seed that takes a partnership (issue 21).  Until then guidance is shared and
    there is nothing to add.  Connected once per process (blinker keeps one of each)."""
    from .signals import partnership_created

    partnership_created.connect(_add_guidance, weak=False)


def _add_guidance(session, partnership) -> None:
    import inspect

    from .followup import service as followup_service

    seed = followup_service.seed_guidance
    if "partnership" in inspect.signature(seed).parameters:
        seed(session, partnership=partnership)  # type: ignore[call-arg]
