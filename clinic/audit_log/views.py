"""/admin/audit: the audit log, for coordinators only; a GET page, nothing to change."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from .. import paging
from ..auth.access import current_staff, roles_required
from ..extensions import db
from ..localtime import clinic_zone
from . import service
from .forms import AuditFilter

bp = Blueprint("audit_log", __name__, url_prefix="/admin/audit")


@bp.before_request
@roles_required("admin")
def admin_only():
    """Coordinators only; anyone else signed in gets the not-found page."""


@bp.get("")
def index():
    user = current_staff()  # a coordinator: their partnership's events only
    form = AuditFilter(service.actions(db.session, user), service.object_types(db.session, user))
    form.validate()
    number = paging.asked(request.args.get("page"))
    page = service.search(db.session, form.filters(), page=number, zone=clinic_zone(), user=user)
    args = {k: v for k, v in request.args.items() if k not in ("page", "submit") and v}

    def page_url(n: int) -> str:
        # Query values: url_for's stub checks **mapping values against its own keywords
        # too (``_external: bool``) as well as **values.
        return url_for(".index", **args, page=n)  # type: ignore[arg-type]

    return render_template("audit_log/index.html", form=form, page=page, page_url=page_url)
