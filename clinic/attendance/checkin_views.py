"""Check-in on the day of a clinic: the phone page, marks, walk-ins, closing the clinic.

Marks work as plain form posts; the check-in page's script sends the same posts with
``Accept: application/json`` and redraws the row from the answer.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from ..auth.access import current_staff
from ..extensions import db
from ..forms import form_view, run_step
from . import checkin, service
from .blueprint import bp, clinic_or_404
from .forms import WalkInForm

MARK_DONE = {
    "attended": "{name} is marked as attended.",
    "no_show": "{name} is marked as a no-show.",
    "confirmed": "{name} is back to booked (not marked).",
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _check_in_page(clinic_id: int, anchor: str | None = None):
    return redirect(url_for(".check_in", clinic_id=clinic_id, _anchor=anchor))


@bp.get("/clinics/<int:clinic_id>/check-in")
def check_in(clinic_id: int):
    """The phone page used on the day: a row per booking with its buttons."""
    clinic = clinic_or_404(clinic_id)
    return render_template(
        "attendance/check_in.html",
        clinic=clinic,
        sheet=service.build_sheet(db.session, clinic),
        refusal=checkin.check_in_refusal(clinic, current_staff()),
    )


@bp.post("/clinics/<int:clinic_id>/bookings/<int:booking_id>/mark")
def mark(clinic_id: int, booking_id: int):
    """Attended, no-show or back to booked; a page for a form post, JSON for the script
    (which shows a refusal itself: nothing is flashed for it)."""
    clinic = clinic_or_404(clinic_id)
    status = request.form.get("mark", "")
    if status not in checkin.MARKS:
        abort(400)
    try:
        checkin.mark_booking(db.session, clinic, booking_id, status, actor=current_staff())
    except checkin.NotInClinic:
        db.session.rollback()
        abort(404)
    except checkin.CheckInRefused as error:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=str(error)), 409
        flash(str(error))
        return _check_in_page(clinic_id)
    db.session.commit()
    anchor = f"booking-{booking_id}"
    if not _wants_json():
        return _check_in_page(clinic_id, anchor)
    row = service.sheet_row(db.session, clinic, booking_id)
    return jsonify(
        id=anchor,
        status=row.status,
        message=MARK_DONE[row.status].format(name=row.parent_name),
        row=render_template(
            "attendance/_check_in_row.html", clinic=clinic, row=row, can_change=True
        ),
        totals=render_template(
            "attendance/_check_in_totals.html",
            totals=checkin.current_totals(db.session, clinic),
        ),
    )


@bp.route("/clinics/<int:clinic_id>/walk-ins/new", methods=["GET", "POST"])
@form_view
def add_walk_in(clinic_id: int):
    """Someone who came without booking (name optional)."""
    clinic = clinic_or_404(clinic_id)
    refusal = checkin.check_in_refusal(clinic, current_staff())
    if refusal:
        flash(refusal)
        return _check_in_page(clinic_id)
    sheet = service.build_sheet(db.session, clinic)
    form = WalkInForm(sheet.slots)
    if form.validate_on_submit():
        try:
            added = run_step(
                form,
                lambda: checkin.add_walk_in(
                    db.session, clinic, actor=current_staff(), **form.values()
                ),
                refusals=checkin.CheckInRefused,  # closed meanwhile: said at the form
            )
        except checkin.NotInClinic:
            db.session.rollback()
            abort(404)
        if added:
            flash("The walk-in has been added.", "success")
            return _check_in_page(clinic_id, "walk-ins")
    return render_template("attendance/walk_in.html", clinic=clinic, sheet=sheet, form=form)


@bp.post("/clinics/<int:clinic_id>/walk-ins/<int:walk_in_id>/remove")
def remove_walk_in(clinic_id: int, walk_in_id: int):
    """Take back a walk-in added by mistake."""
    clinic = clinic_or_404(clinic_id)
    try:
        removed = run_step(
            None,
            lambda: checkin.remove_walk_in(db.session, clinic, walk_in_id, actor=current_staff()),
            refusals=checkin.CheckInRefused,
        )
    except checkin.NotInClinic:
        db.session.rollback()
        abort(404)
    if not removed:
        return _check_in_page(clinic_id)
    flash("The walk-in has been removed.", "success")
    return _check_in_page(clinic_id, "walk-ins")


@bp.get("/clinics/<int:clinic_id>/close")
def confirm_close(clinic_id: int):
    """A page asking to confirm: closing sends follow-up emails to parents who came."""
    clinic = clinic_or_404(clinic_id)
    if clinic.closed_at is not None:
        flash("This clinic has already been closed.")
        return _check_in_page(clinic_id)
    refusal = checkin.check_in_refusal(clinic, current_staff())
    if refusal:
        flash(refusal)
        return _check_in_page(clinic_id)
    sheet = service.build_sheet(db.session, clinic)
    return render_template("attendance/close.html", clinic=clinic, sheet=sheet)


@bp.post("/clinics/<int:clinic_id>/close")
def close(clinic_id: int):
    """Close the clinic (after the confirmation page); follow-up emails key off this."""
    clinic = clinic_or_404(clinic_id)
    if run_step(None, lambda: checkin.close_clinic(db.session, clinic, actor=current_staff())):
        flash(
            "The clinic is closed. Parents marked as attended will get a follow-up email.",
            "success",
        )
    return _check_in_page(clinic_id)
