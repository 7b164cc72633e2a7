"""The figures page and its CSV, for officers (their schools) and coordinators (all schools).

School staff get the not-found page: the figures compare schools, and the staff menu does
not offer them the page.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.access import require_school_access, roles_required
from ..extensions import db
from ..localtime import local_today
from . import pictures, service
from .forms import FiguresFilter

bp = Blueprint("figures", __name__, url_prefix="/staff/figures")


def _month_choices(today: date) -> list[date]:
    """Every month from the first clinic the user may see up to this one, newest first."""
    month = service.first_clinic_month(db.session, current_user) or service.month_start(today)
    months = []
    while month <= today:
        months.append(month)
        month = service.next_month(month)
    return months[::-1]


def _filters(today: date) -> FiguresFilter:
    """The filter form; a school outside the user's scope is not found (404)."""
    asked = request.args.get("school", "")
    if asked.isdigit():
        require_school_access(int(asked))
    scope = "All schools" if current_user.role == "admin" else "All your schools"
    form = FiguresFilter(
        service.schools_in_scope(db.session, current_user), _month_choices(today), scope
    )
    form.validate()
    return form


@bp.get("")
@roles_required("admin", "officer")
def index():
    today = local_today()
    form = _filters(today)
    result = None
    if not form.errors:
        result = service.figures(db.session, current_user, today=today, **form.chosen())
    return render_template(
        "figures/index.html",
        form=form,
        result=result,
        topic_label=service.topic_label,
        most_common=service.most_common,
        charts=pictures,
        # The query goes on to the link as it came: url_for's stub checks **mapping values
        # against its own keywords too (``_external: bool``) as well as **values.
        csv_url=url_for("figures.csv", **request.args),  # type: ignore[arg-type]
    )


@roles_required("admin", "officer")
def download_csv():
    today = local_today()
    form = _filters(today)
    if form.errors:  # the page shows what is wrong with the choices
        # Query values, which url_for's stub checks against ``_external`` (as in index).
        return redirect(url_for("figures.index", **request.args))  # type: ignore[arg-type]
    result = service.figures(db.session, current_user, today=today, **form.chosen())
    return Response(
        service.figures_csv(result),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{service.csv_filename(today)}"',
            "Cache-Control": "no-store",
        },
    )


@bp.record_once
def _csv_beside_the_page(state) -> None:
    """The CSV lives at /staff/figures.csv, beside the page rather than under its prefix
    (a blueprint route would be /staff/figures/.csv); still endpoint "figures.csv"."""
    state.app.add_url_rule("/staff/figures.csv", "figures.csv", download_csv)
