"""``/readyz``: the readiness check for a load balancer (``/healthz`` is in ``clinic/core.py``)."""

from flask import Blueprint

from ..extensions import db
from . import health

bp = Blueprint("ops", __name__)


@bp.get("/readyz")
def readyz():
    """200 with the figures when this server should get traffic, else 503 with the reasons."""
    result = health.readiness(db.session)
    return result.as_json(), 200 if result.ready else 503
