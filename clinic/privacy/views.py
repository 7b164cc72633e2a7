"""A parent deleting their own details (from their booking's or waiting-list link), and
the coordinator's page for a subject access or erasure request (/admin/privacy): it finds,
exports and erases only their own partnership's records.

Opening a page never changes anything (rule 5): deleting is a button on a confirmation
page.  The admin's search is a POST too: it is audited, and keeps the address out of URLs.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request, url_for

from ..auth.access import current_staff, roles_required
from ..auth.reauth import recent_auth_required
from ..extensions import db
from ..forms import ConfirmForm, form_view
from ..links import (
    InvalidLink,
    booking_for_token,
    details_erased,
    keep_private,
    link_not_found,
    waitlist_entry_for_token,
)
from ..models import utcnow
from ..partnership import use_for_school
from . import service as privacy
from .forms import SubjectForm

bp = Blueprint("privacy", __name__, url_prefix="/booking")
bp.after_request(keep_private)
admin_bp = Blueprint("privacy_admin", __name__, url_prefix="/admin/privacy")
admin_bp.after_request(keep_private)


# --- parents ----------------------------------------------------------------------------


@bp.route("/<token>/delete", methods=["GET", "POST"])
@form_view
def delete_booking(token: str):
    try:
        booking = booking_for_token(db.session, token)
    except InvalidLink:
        return link_not_found()
    if privacy.is_erased(booking):
        return details_erased()
    use_for_school(booking.clinic.school)  # its partnership's name, notice and languages
    form = ConfirmForm()
    if form.validate_on_submit():
        privacy.erase_booking(db.session, booking, actor="parent", now=utcnow())
        db.session.commit()
        return render_template("privacy/deleted.html", cancelled=True)
    return render_template(
        "privacy/delete.html",
        form=form,
        clinic=booking.clinic,
        live=booking.is_live and booking.anonymised_at is None,
        back=url_for("manage.show", token=token),
        what="booking",
    )


@bp.route("/waitlist/<token>/delete", methods=["GET", "POST"])
@form_view
def delete_waitlist_entry(token: str):
    try:
        entry = waitlist_entry_for_token(db.session, token)
    except InvalidLink:
        return link_not_found()
    if privacy.is_erased(entry):
        return details_erased()
    use_for_school(entry.clinic.school)  # its partnership's name, notice and languages
    form = ConfirmForm()
    if form.validate_on_submit():
        privacy.erase_waitlist_entry(db.session, entry, actor="parent", now=utcnow())
        db.session.commit()
        return render_template("privacy/deleted.html", cancelled=False)
    return render_template(
        "privacy/delete.html",
        form=form,
        clinic=entry.clinic,
        live=entry.is_live,
        back=url_for("waitlist.offer", token=token),
        what="waiting list",
    )


# --- the admin's requests -----------------------------------------------------------------


def _requests_page(**_) -> str:
    return url_for("privacy_admin.index")


def _holdings(email: str) -> privacy.Holdings:
    """What the coordinator's own partnership holds for the address (never another's)."""
    return privacy.holdings(db.session, email, current_staff().partnership)


@admin_bp.route("", methods=["GET", "POST"])
@roles_required("admin")
@recent_auth_required
@form_view
def index():
    form = SubjectForm()
    found = None
    if form.validate_on_submit():
        found = _holdings(form.email.data)
        privacy.record_access(db.session, current_staff(), found)
        db.session.commit()
        found = _holdings(form.email.data)
    return render_template(
        "privacy/admin.html",
        form=form,
        found=found,
        held=privacy.export(db.session, found) if found else None,
        confirm=ConfirmForm(),
    )


@admin_bp.post("/download.<kind>")
@roles_required("admin")
@recent_auth_required(back=_requests_page)
@form_view
def download(kind: str):
    form = SubjectForm()
    if kind not in ("json", "html") or not form.validate_on_submit():
        return index()
    found = _holdings(form.email.data)
    privacy.record_access(db.session, current_staff(), found)
    db.session.commit()
    held = privacy.export(db.session, _holdings(form.email.data))
    name = f"personal-data-{utcnow():%Y%m%d}"
    if kind == "json":
        body = json.dumps(held, indent=2, ensure_ascii=False)
        content_type = "application/json; charset=utf-8"
    else:
        body = render_template("privacy/export.html", held=held, made_at=utcnow())
        content_type = "text/html; charset=utf-8"
    return Response(
        body,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}.{kind}"',
        },
    )


@admin_bp.post("/erase")
@roles_required("admin")
@recent_auth_required(back=_requests_page)
@form_view
def erase():
    """First press: the confirmation page; its button (``confirmed``) erases."""
    form = SubjectForm()
    if not form.validate_on_submit():
        return index()
    if request.form.get("confirm") == "yes":
        staff = current_staff()
        erased = privacy.erase_subject(
            db.session, form.email.data, actor=staff, partnership=staff.partnership, now=utcnow()
        )
        db.session.commit()
        return render_template("privacy/admin_erased.html", erased=erased)
    found = _holdings(form.email.data)
    return render_template(
        "privacy/admin_erase.html", form=form, held=privacy.export(db.session, found)
    )
