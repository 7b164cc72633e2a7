"""The pages of the service itself, which belong to no feature: the start page, the
privacy notice, the accessibility statement, and ``/healthz`` for load balancers.

What a visitor sees when something fails is ``clinic.error_pages``.
"""

from datetime import date

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from . import pagecache
from .extensions import db
from .models import School
from .partnership import PartnershipSettings, public_partnership, settings_for, use_on_page

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    """The same for everyone not signed in: drawn once per worker (``clinic.pagecache``)."""
    return pagecache.cached_page(lambda: "home", lambda: render_template("core/home.html"))


# Settings with a fixed set of answers, checked when the app is made (config.py says each).
CHOICES = {
    "LAWFUL_BASIS": ("public_task", "consent", "legitimate_interests"),
    "ACCESSIBILITY_COMPLIANCE": ("full", "partial", "none"),
}
DATES = ("ACCESSIBILITY_TESTED_ON", "ACCESSIBILITY_PREPARED_ON", "ACCESSIBILITY_REVIEWED_ON")


@bp.record_once
def _check_settings(state) -> None:
    config = state.app.config
    for name, allowed in CHOICES.items():
        if config[name] not in allowed:
            raise ValueError(f"{name} must be one of: {', '.join(allowed)} (not {config[name]!r})")
    for name in DATES:
        try:
            date.fromisoformat(config[name])
        except ValueError as exc:
            raise ValueError(f"{name} must be a date like 2026-12-07") from exc


def _notice_settings() -> PartnershipSettings:
    """The partnership whose notice this is: the school's in ``?school=<slug>`` (a school's
    pages and emails link to it so), else ``public_partnership``'s; the page is drawn in
    that partnership's name and languages.  While the database cannot answer, the
    installation's own (the notice and the statement stay readable in an outage)."""
    slug = request.args.get("school", "").strip()
    try:
        school = db.session.scalar(select(School).where(School.slug == slug)) if slug else None
        if school is None:
            return use_on_page(settings_for(public_partnership(db.session)))
        return use_on_page(settings_for(school.partnership), school_slug=school.slug)
    except SQLAlchemyError:
        db.session.rollback()
        return use_on_page(settings_for(None))


@bp.get("/privacy")
def privacy():
    return render_template("core/privacy.html", notice=_notice_settings())


@bp.get("/accessibility")
def accessibility():
    config = current_app.config
    notice = _notice_settings()
    return render_template(
        "core/accessibility.html",
        notice=notice,
        contact_email=notice.accessibility_email,
        contact_phone=notice.accessibility_phone,
        tested_on=date.fromisoformat(config["ACCESSIBILITY_TESTED_ON"]),
        prepared_on=date.fromisoformat(config["ACCESSIBILITY_PREPARED_ON"]),
        reviewed_on=date.fromisoformat(config["ACCESSIBILITY_REVIEWED_ON"]),
    )


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (for load balancers and monitoring)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
