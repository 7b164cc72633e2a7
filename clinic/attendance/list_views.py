"""Staff pages for one clinic's attendance list: on screen (printed, the sign-in sheet),
as a CSV, as a PDF the outbox worker makes, and "Send to school now"."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for

from ..auth.access import current_staff
from ..extensions import db
from ..forms import run_step
from ..localtime import clinic_zone
from . import pdf, sending, service, sheets
from .blueprint import bp, clinic_or_404


@bp.get("/clinics/<int:clinic_id>")
def clinic_list(clinic_id: int):
    """The list on screen; printed, the same page is the sign-in sheet (print styles)."""
    clinic = clinic_or_404(clinic_id)
    sheet = service.build_sheet(db.session, clinic)
    due_at = None
    if clinic.list_sent_at is None:
        due_at = sending.list_due_at(clinic.date, sending.send_time(), clinic_zone())
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
    clinic = clinic_or_404(clinic_id)
    data = sheets.build_csv(service.build_sheet(db.session, clinic))
    return _download(data, "text/csv", service.file_name(clinic, "csv"))


@bp.get("/clinics/<int:clinic_id>/sheet.pdf")
def clinic_pdf(clinic_id: int):
    """The sign-in sheet as a PDF, for printing without the browser's print dialogue: the
    one the worker made (``attendance.pdf``), if it shows the list as it is now; otherwise
    the page that says where it is."""
    clinic = clinic_or_404(clinic_id)
    data = pdf.stored_pdf(db.session, clinic, service.build_sheet(db.session, clinic))
    if data is None:
        return redirect(url_for(".pdf_page", clinic_id=clinic_id))
    return _download(data, "application/pdf", service.file_name(clinic, "pdf"))


@bp.get("/clinics/<int:clinic_id>/sheet-pdf")
def pdf_page(clinic_id: int):
    """The PDF being prepared ("refresh this page"), ready (the download link), or not
    asked for yet (the button)."""
    clinic = clinic_or_404(clinic_id)
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
    clinic = clinic_or_404(clinic_id)
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
    clinic = clinic_or_404(clinic_id)
    requested = run_step(
        None, lambda: sending.request_list(db.session, clinic, actor=current_staff())
    )
    if requested:
        recipients = sending.list_recipients(db.session, clinic)
        flash(
            f"The attendance list is being emailed to {', '.join(recipients)}. "
            "This page shows when it has gone.",
            "success",
        )
    return redirect(url_for(".clinic_list", clinic_id=clinic_id))
