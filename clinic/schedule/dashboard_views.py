"""The clinics dashboard (filtered by school and status) and one clinic's page."""

from __future__ import annotations

from itertools import groupby

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import paging
from ..auth.access import current_staff, roles_required
from ..auth.scope import scoped_school_filter
from ..booking import interpreters, still_coming
from ..extensions import db
from ..forms import CSRF_MESSAGE, ConfirmForm, form_view, record_id
from ..localtime import local_today
from ..models import PARTNERSHIP_ROLES, Booking, School, Slot
from ..waitlist import service as waitlist
from . import service
from .blueprint import bp, clinic_or_404
from .forms import VersionForm


def _filter_schools() -> list[School]:
    if current_user.role == "admin":  # every school of their partnership
        in_scope = scoped_school_filter(current_staff(), School.id)
        return list(db.session.scalars(select(School).where(in_scope).order_by(School.name)))
    if current_user.role == "officer":
        return list(current_user.schools)
    return []


@bp.get("/")
@roles_required(*PARTNERSHIP_ROLES)
def dashboard():
    status = request.args.get("status", "")
    status = status if status in service.STATUSES else ""
    school_id = request.args.get("school", type=record_id)  # None unless a real id
    page = service.dashboard_page(
        db.session,
        current_staff(),
        school_id=school_id,
        status=status or None,
        page=paging.asked(request.args.get("page")),
        per_page=paging.PER_PAGE,
    )
    rows = page.rows
    by_date = [(day, list(group)) for day, group in groupby(rows, key=lambda r: r.clinic.date)]
    filters = {"school": school_id, "status": status}

    def page_url(n: int) -> str:
        # Query values: url_for's stub checks **mapping values against its own keywords.
        return url_for(".dashboard", **{k: v for k, v in filters.items() if v}, page=n)  # type: ignore[arg-type]

    return render_template(
        "schedule/dashboard.html",
        by_date=by_date,
        window=page.window,
        page_url=page_url,
        schools=_filter_schools(),
        school_id=school_id,
        status=status,
        filtered=bool(status or school_id),
        today=local_today(),
        can_create=bool(service.schools_to_run(current_staff())),
        interpreters=interpreters.counts_by_clinic(db.session, (r.clinic.id for r in rows)),
    )


@bp.get("/<int:clinic_id>")
@roles_required(*PARTNERSHIP_ROLES)
def show_clinic(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
    return render_template(
        "schedule/clinic.html",
        clinic=clinic,
        status=service.display_status(clinic, local_today()),
        waiting=waitlist.live_count(db.session, clinic.id),
        button=VersionForm(version=clinic.version),
        interpreter_bookings=_interpreter_bookings(clinic.id),
        interpreter_form=ConfirmForm(),
        still_coming=[
            (booking, still_coming.answer_state(booking))
            for booking in still_coming.asked_bookings(db.session, clinic.id)
        ],
        answer_labels=still_coming.ANSWER_LABELS,
        answer_tags=still_coming.ANSWER_TAGS,
    )


def _interpreter_bookings(clinic_id: int) -> list[Booking]:
    """The clinic's live bookings that asked for an interpreter, in time order."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.slot)
            .where(
                Booking.clinic_id == clinic_id,
                Booking.is_live,
                Booking.interpreter_language.is_not(None),
            )
            .order_by(Slot.starts_at, Booking.id)
        )
    )


@bp.post("/<int:clinic_id>/bookings/<int:booking_id>/interpreter")
@roles_required(*PARTNERSHIP_ROLES)
@form_view
def mark_interpreter(clinic_id: int, booking_id: int):
    """Mark a booking's interpreter arranged (``arranged=1``) or not arranged yet."""
    clinic = clinic_or_404(clinic_id)  # staff who may see the school's clinics only
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.clinic_id != clinic.id or not booking.interpreter_language:
        abort(404)
    back = redirect(url_for(".show_clinic", clinic_id=clinic.id) + "#interpreters")
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
        return back
    arranged = request.form.get("arranged") == "1"
    interpreters.mark_arranged(db.session, booking, current_staff(), arranged=arranged)
    db.session.commit()
    name = booking.parent_name or booking.reference
    flash(
        f"The interpreter for {name} is marked arranged."
        if arranged
        else f"The interpreter for {name} is marked not arranged yet.",
        "success",
    )
    return back
