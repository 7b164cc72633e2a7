"""Admin pages: schools, staff accounts and officer assignments (coordinators only)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..auth.access import (
    current_staff,
    require_partnership,
    require_school_access,
    roles_required,
)
from ..auth.reauth import recent_auth_required
from ..auth.scope import scoped_school_filter
from ..extensions import db
from ..forms import CSRF_MESSAGE, ConfirmForm, form_view, run_step
from ..inputs import upload_limit
from ..models import Partnership, School, User
from . import importing, service
from .forms import (
    ROLE_HINTS,
    ROLE_LABELS,
    GiasApplyForm,
    GiasImportForm,
    InviteForm,
    OfficerSchoolsForm,
    RoleForm,
    SchoolForm,
)

bp = Blueprint("schools", __name__, url_prefix="/admin")
SEARCH_MAX = 100


@bp.before_request
@roles_required("admin")
def admin_only():
    """Every page here is for coordinators; anyone else signed in gets the not-found page."""


@bp.context_processor
def role_names():
    return {"role_labels": ROLE_LABELS, "role_hints": ROLE_HINTS}


def _staff_page(user_id: int, **_) -> str:
    """Where a refused button's POST comes back to after "Confirm your password"."""
    return url_for("schools.show_staff", user_id=user_id)


def _all_schools() -> list[School]:
    """Every school of the coordinator's partnership (the choices on the staff forms)."""
    in_scope = scoped_school_filter(current_staff(), School.id)
    return list(db.session.scalars(select(School).where(in_scope).order_by(School.name, School.id)))


def _school_or_404(school_id: int) -> School:
    """A school of the coordinator's partnership; another's is not found."""
    school = db.get_or_404(School, school_id)
    require_school_access(school.id)
    return school


def _staff_or_404(user_id: int) -> User:
    """A staff account of the coordinator's partnership; another's (or the service
    owner's) is not found, as another school's records are."""
    user = db.get_or_404(User, user_id)
    require_partnership(user.partnership_id)
    return user


# --- schools ------------------------------------------------------------------------------


@bp.get("/schools")
def list_schools():
    query = request.args.get("q", "").strip()[:SEARCH_MAX]
    schools = service.search_schools(db.session, query, user=current_staff())
    return render_template("schools/schools.html", schools=schools, query=query)


@bp.route("/schools/new", methods=["GET", "POST"])
@form_view
def add_school():
    form = SchoolForm()
    if form.validate_on_submit():
        added = run_step(
            form, lambda: service.add_school(db.session, current_staff(), **form.details())
        )
        if added:
            flash(f"{added.result.name} has been added.", "success")
            return redirect(url_for(".show_school", school_id=added.result.id))
    return render_template("schools/school_form.html", form=form, school=None)


@bp.get("/schools/<int:school_id>")
def show_school(school_id: int):
    school = _school_or_404(school_id)
    staff = service.school_staff(db.session, school)
    return render_template("schools/school.html", school=school, staff=staff)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@form_view
def edit_school(school_id: int):
    school = _school_or_404(school_id)
    form = SchoolForm(obj=school)
    if form.validate_on_submit() and run_step(
        form, lambda: service.update_school(db.session, current_staff(), school, **form.details())
    ):
        flash(f"{school.name} has been updated.", "success")
        return redirect(url_for(".show_school", school_id=school_id))
    return render_template("schools/school_form.html", form=form, school=school)


# --- importing from GIAS (the DfE register) -------------------------------------------------


def _keep_minutes() -> int:
    return current_app.config["GIAS_PREVIEW_MINUTES"]


@bp.route("/schools/import", methods=["GET", "POST"])
@upload_limit("GIAS_MAX_UPLOAD_MB")
@form_view
def import_schools():
    """Upload the extract and choose local authorities and phases; nothing is saved but
    the preview (``importing.read_upload``), which the next page shows."""
    form = GiasImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        read = run_step(
            form,
            lambda: importing.read_upload(
                db.session,
                current_staff(),
                upload.stream,
                filename=upload.filename or "",
                las=form.chosen_las(),
                phases=form.phases.data,
                keep_minutes=_keep_minutes(),
            ),
        )
        if read:
            return redirect(url_for(".import_preview", id=read.result.id))
    return render_template(
        "schools/import.html", form=form, limit_mb=current_app.config["GIAS_MAX_UPLOAD_MB"]
    )


def _render_preview(pending, form: GiasApplyForm | None = None):
    partnership = db.session.get_one(Partnership, pending.partnership_id)
    todo = importing.plan(db.session, partnership, importing.establishments_of(pending))
    form = form or GiasApplyForm(import_id=pending.id)
    form.plan_key.data = todo.digest()  # the plan this page shows is the one agreed to
    skipped = importing.skipped_of(pending) + todo.held_elsewhere
    return render_template(
        "schools/import_preview.html",
        form=form,
        pending=pending,
        plan=todo,
        skipped=sorted(skipped, key=lambda row: row.line),
        labels=importing.FIELD_LABELS,
    )


def _pending_or_back(import_id: str):
    pending = importing.pending_import(db.session, current_staff(), import_id, _keep_minutes())
    if pending is None:
        flash("That preview has expired or was already imported. Upload the file again.")
    return pending


@bp.get("/schools/import/preview")
def import_preview():
    pending = _pending_or_back(request.args.get("id", ""))
    if pending is None:
        return redirect(url_for(".import_schools"))
    return _render_preview(pending)


@bp.post("/schools/import/preview")
@form_view
def apply_import():
    """Import what the preview showed, in one transaction, or nothing."""
    form = GiasApplyForm()
    pending = _pending_or_back(form.import_id.data or "")
    if pending is None:
        return redirect(url_for(".import_schools"))
    if not form.validate_on_submit():
        return _render_preview(pending, form)
    partnership = db.session.get_one(Partnership, pending.partnership_id)
    establishments = importing.establishments_of(pending)

    def step():
        done = importing.apply(
            db.session,
            current_staff(),
            partnership,
            establishments,
            agreed=form.plan_key.data or "",
            source=pending.filename,
        )
        db.session.delete(pending)
        return done

    imported = run_step(form, step)
    if not imported:
        return _render_preview(pending, form)
    done = imported.result
    flash(
        f"{len(done.add)} {'school' if len(done.add) == 1 else 'schools'} added and "
        f"{len(done.change)} changed from GIAS."
        + (" Add each new school's contact email: GIAS does not publish one." if done.add else ""),
        "success",
    )
    return redirect(url_for(".list_schools"))


# --- staff ----------------------------------------------------------------------------------


@bp.get("/staff")
def list_staff():
    return render_template(
        "schools/staff.html", staff=service.list_staff(db.session, current_staff())
    )


@bp.route("/staff/invite", methods=["GET", "POST"])
@recent_auth_required
@form_view
def invite_staff():
    schools = _all_schools()
    form = InviteForm(schools)
    if form.validate_on_submit():
        # A role with no school (None) finds none.
        by_id: dict[int | None, School] = {school.id: school for school in schools}
        invited = run_step(
            form,
            lambda: service.invite_staff(
                db.session,
                current_staff(),
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                school=by_id.get(form.chosen_school_id()),
                schools=[by_id[i] for i in form.chosen_officer_school_ids()],
            ),
        )
        if invited:
            user = invited.result
            flash(f"We have emailed {user.email} a link to set their password.", "success")
            return redirect(url_for(".show_staff", user_id=user.id))
    return render_template("schools/invite.html", form=form)


def _render_staff_member(user: User, schools_form: OfficerSchoolsForm | None = None):
    if user.role == "officer" and schools_form is None:
        schools_form = OfficerSchoolsForm(_all_schools(), schools=[s.id for s in user.schools])
    return render_template(
        "schools/staff_member.html",
        user=user,
        form=schools_form,
        button=ConfirmForm(),
        is_self=user.id == current_user.id,
    )


@bp.get("/staff/<int:user_id>")
def show_staff(user_id: int):
    return _render_staff_member(_staff_or_404(user_id))


@bp.post("/staff/<int:user_id>/schools")
@recent_auth_required(back=_staff_page)
@form_view
def set_staff_schools(user_id: int):
    user = _staff_or_404(user_id)
    if user.role != "officer":
        abort(404)
    schools = _all_schools()
    form = OfficerSchoolsForm(schools)
    if form.validate_on_submit():
        ticked = set(form.schools.data)
        chosen = [school for school in schools if school.id in ticked]
        if run_step(
            form, lambda: service.set_officer_schools(db.session, current_staff(), user, chosen)
        ):
            flash(f"Schools saved for {user.name}.", "success")
            return redirect(url_for(".show_staff", user_id=user_id))
    return _render_staff_member(user, form)


@bp.route("/staff/<int:user_id>/role", methods=["GET", "POST"])
@recent_auth_required
@form_view
def change_staff_role(user_id: int):
    user = _staff_or_404(user_id)
    schools = _all_schools()
    form = RoleForm(schools, role=user.role, school=str(user.school_id or ""))
    if form.validate_on_submit():
        school = next((s for s in schools if s.id == form.chosen_school_id()), None)
        if run_step(
            form,
            lambda: service.change_role(db.session, current_staff(), user, form.role.data, school),
        ):
            flash(f"{user.name}'s role is now {ROLE_LABELS[user.role]}.", "success")
            return redirect(url_for(".show_staff", user_id=user_id))
    return render_template("schools/change_role.html", form=form, user=user)


def _button_action(user_id: int, change, done: str):
    """Run a one-button change (its form carries only the CSRF token), then show the person."""
    user = _staff_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
    elif run_step(None, lambda: change(user)):
        flash(done, "success")
    return redirect(url_for(".show_staff", user_id=user_id))


@bp.post("/staff/<int:user_id>/deactivate")
@recent_auth_required(back=_staff_page)
@form_view
def deactivate_staff(user_id: int):
    return _button_action(
        user_id,
        lambda user: service.set_active(db.session, current_staff(), user, False),
        "The account has been deactivated. They can no longer sign in.",
    )


@bp.post("/staff/<int:user_id>/reactivate")
@recent_auth_required(back=_staff_page)
@form_view
def reactivate_staff(user_id: int):
    return _button_action(
        user_id,
        lambda user: service.set_active(db.session, current_staff(), user, True),
        "The account has been reactivated. They can sign in again.",
    )


@bp.post("/staff/<int:user_id>/send-link")
@recent_auth_required(back=_staff_page)
@form_view
def send_staff_link(user_id: int):
    return _button_action(
        user_id,
        lambda user: service.send_password_link(db.session, current_staff(), user),
        "We have emailed them a new link to set their password.",
    )
