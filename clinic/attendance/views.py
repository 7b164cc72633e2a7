"""Staff pages for one clinic's attendance: the list (print, PDF, CSV, send to the school) and
check-in on the day (marks, walk-ins, closing the clinic).

Every page is for the clinic's school only: its officers, its staff and coordinators; anyone
else gets the not-found page (``require_school_access``). Marks work as plain form posts;
the check-in page's script sends the same posts with ``Accept: application/json`` and
redraws the row from the answer.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..auth.access import current_staff, require_school_access, roles_required
from ..extensions import db
from ..forms import form_view
from ..localtime import clinic_zone
from ..models import ROLES, Clinic
from . import pdf, service, sheets
from .forms import WalkInForm

bp = Blueprint("attendance", __name__, url_prefix="/staff/attendance")
MARK_DONE = {
    "attended": "{name} is marked as attended.",
    "no_show": "{name} is marked as a no-show.",
    "confirmed": "{name} is back to booked (not marked).",
}


@bp.before_request
@roles_required(*ROLES)
def staff_only():
    """Signed-in staff only; which clinics each may see is checked per clinic."""


def _clinic_or_404(clinic_id: int) -> Clinic:
    """The clinic, if the signed-in person may see its school's records (404 otherwise)."""
    clinic = service.get_clinic(db.session, clinic_id)
    if clinic is None:
        abort(404)
    require_school_access(clinic.school_id)
    return clinic


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _check_in_page(clinic_id: int, anchor: str | None = None):
    return redirect(url_for(".check_in", clinic_id=clinic_id, _anchor=anchor))


# --- the list ------------------------------------------------------------------------------


@bp.get("/clinics/<int:clinic_id>")
def clinic_list(clinic_id: int):
    """The list on screen; printed, the same page is the sign-in sheet (print styles)."""
    clinic = _clinic_or_404(clinic_id)
    sheet = service.build_sheet(db.session, clinic)
    due_at = None
    if clinic.list_sent_at is None:
        due_at = service.list_due_at(clinic.date, service.send_time(), clinic_zone())
    return render_template(
        "attendance/list.html",
        clinic=clinic,
        sheet=sheet,
        pdf=pdf.pdf_state(db.session, clinic, sheet),
        changes=service.changes_since_sent(clinic, sheet),
        due_at=due_at,
        blank_rows=sheets.BLANK_ROWS_PER_SLOT,
    )


@bp.get("/clinics/<int:clinic_id>/list.csv")
def clinic_csv(clinic_id: int):
    """The list as a spreadsheet, for schools that keep their own records."""
    clinic = _clinic_or_404(clinic_id)
    data = sheets.build_csv(service.build_sheet(db.session, clinic))
    return _download(data, "text/csv", service.file_name(clinic, "csv"))


@bp.get("/clinics/<int:clinic_id>/sheet.pdf")
def clinic_pdf(clinic_id: int):
    """The sign-in sheet as a PDF, for printing without the browser's print dialogue: the
    one the worker made (``attendance.pdf``), if it shows the list as it is now; otherwise
    the page that says where it is."""
    clinic = _clinic_or_404(clinic_id)
    data = pdf.stored_pdf(db.session, clinic, service.build_sheet(db.session, clinic))
    if data is None:
        return redirect(url_for(".pdf_page", clinic_id=clinic_id))
    return _download(data, "application/pdf", service.file_name(clinic, "pdf"))


@bp.get("/clinics/<int:clinic_id>/sheet-pdf")
def pdf_page(clinic_id: int):
    """The PDF being prepared ("refresh this page"), ready (the download link), or not
    asked for yet (the button)."""
    clinic = _clinic_or_404(clinic_id)
    sheet = service.build_sheet(db.session, clinic)
    return render_template(
        "attendance/sheet_pdf_page.html",
        clinic=clinic,
        sheet=sheet,
        pdf=pdf.pdf_state(db.session, clinic, sheet),
    )


@bp.post("/clinics/<int:clinic_id>/sheet-pdf")
def make_pdf(clinic_id: int):
    """Ask the worker to make the PDF from the list as it is now; the answer is at once."""
    clinic = _clinic_or_404(clinic_id)
    pdf.request_pdf(db.session, clinic, actor=current_staff())
    db.session.commit()
    return redirect(url_for(".pdf_page", clinic_id=clinic_id))


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    """A file with parents' details: downloaded, never kept by a shared cache.

    Werkzeug adds ``charset=utf-8`` to a ``text/`` mimetype itself."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/clinics/<int:clinic_id>/send")
def send_now(clinic_id: int):
    """Email the list to the school now (a late change, or the school asked for it).

    The worker builds and sends it within a few seconds; the button answers at once and
    the list page shows when it went."""
    clinic = _clinic_or_404(clinic_id)
    try:
        service.request_list(db.session, clinic, actor=current_staff())
    except service.ListNotSendable as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        recipients = service.list_recipients(db.session, clinic)
        flash(
            f"The attendance list is being emailed to {', '.join(recipients)}. "
            "This page shows when it has gone.",
            "success",
        )
    return redirect(url_for(".clinic_list", clinic_id=clinic_id))


# --- check-in ------------------------------------------------------------------------------


@bp.get("/clinics/<int:clinic_id>/check-in")
def check_in(clinic_id: int):
    """The phone page used on the day: a row per booking with its buttons."""
    clinic = _clinic_or_404(clinic_id)
    return render_template(
        "attendance/check_in.html",
        clinic=clinic,
        sheet=service.build_sheet(db.session, clinic),
        refusal=service.check_in_refusal(clinic, current_staff()),
    )


@bp.post("/clinics/<int:clinic_id>/bookings/<int:booking_id>/mark")
def mark(clinic_id: int, booking_id: int):
    """Attended, no-show or back to booked; a page for a form post, JSON for the script."""
    clinic = _clinic_or_404(clinic_id)
    status = request.form.get("mark", "")
    if status not in service.MARKS:
        abort(400)
    try:
        service.mark_booking(db.session, clinic, booking_id, status, actor=current_staff())
    except service.NotInClinic:
        db.session.rollback()
        abort(404)
    except service.CheckInRefused as error:
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
            totals=service.current_totals(db.session, clinic),
        ),
    )


@bp.route("/clinics/<int:clinic_id>/walk-ins/new", methods=["GET", "POST"])
@form_view
def add_walk_in(clinic_id: int):
    """Someone who came without booking (name optional)."""
    clinic = _clinic_or_404(clinic_id)
    refusal = service.check_in_refusal(clinic, current_staff())
    if refusal:
        flash(refusal)
        return _check_in_page(clinic_id)
    sheet = service.build_sheet(db.session, clinic)
    form = WalkInForm(sheet.slots)
    if form.validate_on_submit():
        try:
            service.add_walk_in(db.session, clinic, actor=current_staff(), **form.values())
        except service.NotInClinic:
            db.session.rollback()
            abort(404)
        db.session.commit()
        flash("The walk-in has been added.", "success")
        return _check_in_page(clinic_id, "walk-ins")
    return render_template("attendance/walk_in.html", clinic=clinic, sheet=sheet, form=form)


@bp.post("/clinics/<int:clinic_id>/walk-ins/<int:walk_in_id>/remove")
def remove_walk_in(clinic_id: int, walk_in_id: int):
    """Take back a walk-in added by mistake."""
    clinic = _clinic_or_404(clinic_id)
    try:
        service.remove_walk_in(db.session, clinic, walk_in_id, actor=current_staff())
    except service.NotInClinic:
        db.session.rollback()
        abort(404)
    except service.CheckInRefused as error:
        db.session.rollback()
        flash(str(error))
        return _check_in_page(clinic_id)
    db.session.commit()
    flash("The walk-in has been removed.", "success")
    return _check_in_page(clinic_id, "walk-ins")


@bp.get("/clinics/<int:clinic_id>/close")
def confirm_close(clinic_id: int):
    """A page asking to confirm: closing sends follow-up emails to parents who came."""
    clinic = _clinic_or_404(clinic_id)
    if clinic.closed_at is not None:
        flash("This clinic has already been closed.")
        return _check_in_page(clinic_id)
    refusal = service.check_in_refusal(clinic, current_staff())
    if refusal:
        flash(refusal)
        return _check_in_page(clinic_id)
    sheet = service.build_sheet(db.session, clinic)
    return render_template("attendance/close.html", clinic=clinic, sheet=sheet)


@bp.post("/clinics/<int:clinic_id>/close")
def close(clinic_id: int):
    """Close the clinic (after the confirmation page); follow-up emails key off this."""
    clinic = _clinic_or_404(clinic_id)
    try:
        service.close_clinic(db.session, clinic, actor=current_staff())
    except service.AttendanceError as error:
        db.session.rollback()
        flash(str(error))
        return _check_in_page(clinic_id)
    db.session.commit()
    flash("The clinic is closed. Parents marked as attended will get a follow-up email.", "success")
    return _check_in_page(clinic_id)
