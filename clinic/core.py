"""The pages of the service itself, which belong to no feature: the start page, the
privacy notice, the accessibility statement, and ``/healthz`` for load balancers.

What a visitor sees when something fails is ``clinic.error_pages``.
"""

from flask import Blueprint, render_template
from sqlalchemy import text

from . import pagecache
from .extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    """The same for everyone not signed in: drawn once per worker (``clinic.pagecache``)."""
    return pagecache.cached_page(lambda: "home", lambda: render_template("core/home.html"))


@bp.get("/privacy")
def privacy():
    return render_template("core/privacy.html")


@bp.get("/accessibility")
def accessibility():
    return render_template("core/accessibility.html")


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (for load balancers and monitoring)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
