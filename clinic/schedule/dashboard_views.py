"""The clinics dashboard (filtered by school and status) and one clinic's page."""

from __future__ import annotations

from itertools import groupby

from flask import render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.access import current_staff
from ..extensions import db
from ..forms import record_id
from ..localtime import local_today
from ..models import School
from ..waitlist import service as waitlist
from . import service
from .blueprint import bp, clinic_or_404
from .forms import VersionForm


def _filter_schools() -> list[School]:
    if current_user.role == "admin":
        return list(db.session.scalars(select(School).order_by(School.name)))
    if current_user.role == "officer":
        return list(current_user.schools)
    return []


@bp.get("/")
@login_required
def dashboard():
    status = request.args.get("status", "")
    status = status if status in service.STATUSES else ""
    school_id = request.args.get("school", type=record_id)  # None unless a real id
    rows = service.dashboard_rows(
        db.session, current_staff(), school_id=school_id, status=status or None
    )
    by_date = [(day, list(group)) for day, group in groupby(rows, key=lambda r: r.clinic.date)]
    return render_template(
        "schedule/dashboard.html",
        by_date=by_date,
        schools=_filter_schools(),
        school_id=school_id,
        status=status,
        filtered=bool(status or school_id),
        today=local_today(),
        can_create=bool(service.schools_to_run(current_staff())),
    )


@bp.get("/<int:clinic_id>")
@login_required
def show_clinic(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    return render_template(
        "schedule/clinic.html",
        clinic=clinic,
        status=service.display_status(clinic, local_today()),
        waiting=waitlist.live_count(db.session, clinic.id),
        button=VersionForm(version=clinic.version),
    )
