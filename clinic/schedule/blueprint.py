"""The ``schedule`` blueprint (/staff/clinics), shared by the dashboard
(``dashboard_views.py``), creating and changing clinics and slots (``editing_views.py``) and
the officer's calendar feed (``feed_views.py``), so every endpoint keeps its name; with what
all their pages use: the labels, and the one scoped look-up of a clinic.

School staff see their school's clinics read-only; changing anything needs an officer
(or a coordinator). Every clinic is looked up through the one scope check (404 otherwise).
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ..auth.access import require_school_access
from ..extensions import db
from ..models import Clinic
from . import service
from .forms import FORMAT_HINTS, FORMAT_LABELS

bp = Blueprint("schedule", __name__, url_prefix="/staff/clinics")
MANAGERS = ("officer", "admin")
STATUS_LABELS = {
    "draft": "Draft",
    "published": "Published",
    "cancelled": "Cancelled",
    "past": "Past",
}


@bp.context_processor
def labels():
    return {
        "status_labels": STATUS_LABELS,
        "format_labels": FORMAT_LABELS,
        "format_hints": FORMAT_HINTS,
        "default_window_hint": service.DEFAULT_WINDOW_HINT,
        "closed_day_hint": service.closed_day_hint,
        "can_manage": current_user.is_authenticated and current_user.role in MANAGERS,
    }


def clinic_or_404(clinic_id: int) -> Clinic:
    clinic = db.get_or_404(Clinic, clinic_id)
    require_school_access(clinic.school_id)
    return clinic
