"""The owner's partnership pages (role "owner": counts only, never a family's data) and
the coordinator's "Partnership settings" page (role "admin": their own partnership)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ..auth.access import current_staff, roles_required
from ..auth.reauth import recent_auth_required
from ..extensions import db
from ..forms import form_view, run_step
from ..models import Partnership
from ..partnership import LAWFUL_BASES, settings_for
from . import service
from .forms import LAWFUL_BASIS_LABELS, NewPartnershipForm, SettingsForm

bp = Blueprint("partnerships", __name__)


# --- the service owner ---------------------------------------------------------------------


@bp.get("/owner/partnerships")
@roles_required("owner")
def index():
    return render_template(
        "partnerships/index.html",
        partnerships=service.list_partnerships(db.session),
        limits=service.retention_limits(),
    )


@bp.route("/owner/partnerships/new", methods=["GET", "POST"])
@roles_required("owner")
@recent_auth_required
@form_view
def add():
    form = NewPartnershipForm()
    if form.validate_on_submit():
        done = run_step(
            form,
            lambda: service.create_partnership(
                db.session,
                current_staff(),
                name=form.name.data or "",
                slug=form.slug.data or "",
                coordinator_name=form.coordinator_name.data or "",
                coordinator_email=form.coordinator_email.data or "",
            ),
        )
        if done:
            partnership, coordinator = done.result
            flash(
                f"{partnership.name} has been added. {coordinator.name} has been emailed a "
                "link to set their password.",
                "success",
            )
            return redirect(url_for(".index"))
    return render_template("partnerships/new.html", form=form)


# --- the coordinator -----------------------------------------------------------------------


def _own_partnership() -> Partnership:
    staff_id = current_staff().partnership_id
    partnership = db.session.get(Partnership, staff_id) if staff_id else None
    if partnership is None:
        abort(404)
    return partnership


@bp.route("/admin/partnership", methods=["GET", "POST"])
@roles_required("admin")
@form_view
def settings():
    partnership = _own_partnership()
    form = SettingsForm(obj=partnership)
    if not form.is_submitted():
        form.notify_api_key.data = ""  # never shown back
        form.retention_days.data = (
            str(partnership.retention_days) if partnership.retention_days else ""
        )
        form.languages.data = [code for code in partnership.languages.split() if code != "en"]
    if form.validate_on_submit() and run_step(
        form,
        lambda: service.update_settings(db.session, current_staff(), partnership, form.change()),
    ):
        flash("Partnership settings saved.", "success")
        return redirect(url_for(".settings"))
    return render_template(
        "partnerships/settings.html",
        form=form,
        partnership=partnership,
        in_force=settings_for(partnership),
        key_set=bool(partnership.notify_api_key),
        lawful_basis_labels=LAWFUL_BASIS_LABELS,
        lawful_bases=LAWFUL_BASES,
    )
