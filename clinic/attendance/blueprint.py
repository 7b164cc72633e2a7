"""The ``attendance`` blueprint (/staff/attendance), shared by the list's pages
(``list_views.py``) and check-in on the day (``checkin_views.py``), so every endpoint keeps
its name; with the one scoped look-up of a clinic both make.

Every page is for the clinic's school only: its officers, its staff and coordinators; anyone
else gets the not-found page (``require_school_access``).
"""

from __future__ import annotations

from flask import Blueprint, abort

from ..auth.access import require_school_access, roles_required
from ..extensions import db
from ..models import PARTNERSHIP_ROLES, Clinic
from . import service

bp = Blueprint("attendance", __name__, url_prefix="/staff/attendance")


@bp.before_request
@roles_required(*PARTNERSHIP_ROLES)
def staff_only():
    """Signed-in staff only; which clinics each may see is checked per clinic."""


def clinic_or_404(clinic_id: int) -> Clinic:
    """The clinic, if the signed-in person may see its school's records (404 otherwise)."""
    clinic = service.get_clinic(db.session, clinic_id)
    if clinic is None:
        abort(404)
    require_school_access(clinic.school_id)
    return clinic
