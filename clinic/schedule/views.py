"""Officers' pages: the clinics dashboard, creating and changing clinics and slots,
publishing and cancelling, and the private calendar feed.

School staff see their school's clinics read-only; changing anything needs an officer
(or a coordinator). Every clinic is looked up through the one scope check (404 otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.access import current_staff, require_school_access, roles_required
from ..extensions import db
from ..forms import CSRF_MESSAGE, ConfirmForm, Form, form_view, record_id, show_rule_error
from ..links import external_url
from ..localtime import local, local_today
from ..models import Clinic, School, Slot, User
from ..waitlist import service as waitlist
from . import feed, service
from .forms import (
    FORMAT_HINTS,
    FORMAT_LABELS,
    CancelClinicForm,
    CopyClinicForm,
    EditClinicForm,
    NewClinicForm,
    SlotForm,
    VersionForm,
)

bp = Blueprint("schedule", __name__, url_prefix="/staff/clinics")
MANAGERS = ("officer", "admin")
STATUS_LABELS = {
    "draft": "Draft",
    "published": "Published",
    "cancelled": "Cancelled",
    "past": "Past",
}
# Where a service's message goes when the form has no field of that name.
STALE_MESSAGE = (
    "Someone else changed this clinic while you were working on it. "
    "Their version is shown below. Check it, then make your change again if it is still needed."
)


@bp.context_processor
def labels():
    return {
        "status_labels": STATUS_LABELS,
        "format_labels": FORMAT_LABELS,
        "format_hints": FORMAT_HINTS,
        "default_window_hint": service.DEFAULT_WINDOW_HINT,
        "can_manage": current_user.is_authenticated and current_user.role in MANAGERS,
    }


def _clinic_or_404(clinic_id: int) -> Clinic:
    clinic = db.get_or_404(Clinic, clinic_id)
    require_school_access(clinic.school_id)
    return clinic


def _slot_or_404(clinic: Clinic, slot_id: int) -> Slot:
    slot = db.get_or_404(Slot, slot_id)
    if slot.clinic_id != clinic.id:
        abort(404)
    return slot


def _fresh(clinic_id: int) -> Clinic:
    """The clinic as saved now (after a rollback), for showing someone else's change."""
    db.session.rollback()
    return db.get_or_404(Clinic, clinic_id)


def _keep_version(form: Form, clinic: Clinic) -> None:
    """The form now carries the version the officer has been shown."""
    form.version.data = clinic.version
    form.version.raw_data = [str(clinic.version)]


def _confirm_page(need: service.NeedsConfirmation, clinic: Clinic):
    """Who will be emailed, with the answers carried in hidden fields until confirmed."""
    db.session.rollback()
    carried = [(k, v) for k, v in request.form.items(multi=True) if k not in ("confirmed", "back")]
    return render_template(
        "schedule/confirm_change.html",
        clinic=clinic,
        changes=need.changes,
        bookings=need.bookings,
        carried=carried,
    )


# --- dashboard and one clinic -----------------------------------------------------------------


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
    clinic = _clinic_or_404(clinic_id)
    return render_template(
        "schedule/clinic.html",
        clinic=clinic,
        status=service.display_status(clinic, local_today()),
        waiting=waitlist.live_count(db.session, clinic.id),
        button=VersionForm(version=clinic.version),
    )


# --- creating and copying ---------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@roles_required("officer")
@form_view
def new_clinic():
    schools = service.schools_to_run(current_staff())
    by_id = {str(school.id): school for school in schools}
    chosen = request.values.get("school", "")
    if chosen and chosen not in by_id:
        abort(404)  # not one of this officer's schools
    form = NewClinicForm(schools)
    if request.method == "GET" and chosen:
        form.school.data = chosen
    preview, overlap, closed_day = None, False, False
    if form.validate_on_submit() and (window := form.booking_window()) is not None:
        details, pattern = form.details(*window), form.pattern()
        try:
            if form.preview.data:
                preview = service.plan_slots(details, pattern)
            else:
                clinic = service.create_clinic(
                    db.session,
                    current_staff(),
                    school=by_id[form.school.data],
                    details=details,
                    pattern=pattern,
                    allow_overlap=form.allow_overlap.data,
                    allow_closed_day=form.allow_closed_day.data,
                )
                db.session.commit()
                flash(
                    f"Draft saved with {len(clinic.slots)} slots. "
                    "Parents cannot see it until you publish it.",
                    "success",
                )
                return redirect(url_for(".show_clinic", clinic_id=clinic.id))
        except service.ClinicError as error:
            db.session.rollback()
            show_rule_error(form, error)
            overlap = isinstance(error, service.OverlapWarning)
            closed_day = isinstance(error, service.ClosedDayWarning)
    return render_template(
        "schedule/new_clinic.html",
        form=form,
        preview=preview,
        overlap=overlap or form.allow_overlap.data,
        closed_day=closed_day or form.allow_closed_day.data,
        has_schools=bool(schools),
    )


@bp.route("/<int:clinic_id>/copy", methods=["GET", "POST"])
@roles_required("officer")
@form_view
def copy_clinic(clinic_id: int):
    source = _clinic_or_404(clinic_id)
    form = CopyClinicForm()
    overlap = closed_day = False
    if form.validate_on_submit() and (window := form.booking_window()) is not None:
        try:
            clinic = service.copy_clinic(
                db.session,
                current_staff(),
                source,
                day=form.date.data,
                booking_opens_at=window[0],
                booking_closes_at=window[1],
                allow_overlap=form.allow_overlap.data,
                allow_closed_day=form.allow_closed_day.data,
            )
        except service.ClinicError as error:
            db.session.rollback()
            show_rule_error(form, error)
            overlap = isinstance(error, service.OverlapWarning)
            closed_day = isinstance(error, service.ClosedDayWarning)
        else:
            db.session.commit()
            flash("Copy saved as a draft. Check it, then publish it.", "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic.id))
    return render_template(
        "schedule/copy_clinic.html",
        form=form,
        clinic=source,
        overlap=overlap or form.allow_overlap.data,
        closed_day=closed_day or form.allow_closed_day.data,
    )


# --- publishing, changing, cancelling ---------------------------------------------------------


@bp.post("/<int:clinic_id>/publish")
@roles_required(*MANAGERS)
@form_view
def publish_clinic(clinic_id: int):
    clinic = _clinic_or_404(clinic_id)
    form = VersionForm()
    if not form.validate_on_submit():
        flash(CSRF_MESSAGE)
        return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    try:
        service.publish_clinic(
            db.session, current_staff(), clinic, expected_version=form.version.data
        )
    except service.StaleClinic:
        db.session.rollback()
        flash(STALE_MESSAGE)
    except service.ClinicError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash("The clinic is published. Parents can now see it and book.", "success")
    return redirect(url_for(".show_clinic", clinic_id=clinic_id))


@bp.route("/<int:clinic_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@form_view
def edit_clinic(clinic_id: int):
    clinic = _clinic_or_404(clinic_id)
    if request.method == "GET":
        form = EditClinicForm(obj=clinic)
        form.fill_window(clinic.booking_opens_at, clinic.booking_closes_at)
        return _edit_page(form, clinic)
    form = EditClinicForm()
    if "back" in request.form:
        return _edit_page(form, clinic)
    overlap = closed_day = False
    if form.validate_on_submit() and (window := form.booking_window()) is not None:
        try:
            changed = service.update_clinic(
                db.session,
                current_staff(),
                clinic,
                form.details(*window),
                expected_version=form.version.data,
                confirmed=request.form.get("confirmed") == "yes",
                allow_overlap=form.allow_overlap.data,
                allow_closed_day=form.allow_closed_day.data,
            )
        except service.NeedsConfirmation as need:
            return _confirm_page(need, clinic)
        except service.StaleClinic:
            clinic = _fresh(clinic_id)
            _keep_version(form, clinic)
            return _edit_page(form, clinic, stale=True)
        except service.ClinicError as error:
            db.session.rollback()
            show_rule_error(form, error)
            overlap = isinstance(error, service.OverlapWarning)
            closed_day = isinstance(error, service.ClosedDayWarning)
        else:
            db.session.commit()
            flash(_saved_message("Clinic details saved.", len(changed.told)), "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    return _edit_page(
        form,
        clinic,
        overlap=overlap or form.allow_overlap.data,
        closed_day=closed_day or form.allow_closed_day.data,
    )


def _edit_page(
    form: EditClinicForm, clinic: Clinic, *, stale=False, overlap=False, closed_day=False
):
    return render_template(
        "schedule/edit_clinic.html",
        form=form,
        clinic=clinic,
        stale=stale,
        overlap=overlap,
        closed_day=closed_day,
    )


def _saved_message(done: str, told: int) -> str:
    if not told:
        return done
    households = "household" if told == 1 else "households"
    return f"{done} We have emailed {told} booked {households} an updated calendar invite."


@bp.route("/<int:clinic_id>/cancel", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@form_view
def cancel_clinic(clinic_id: int):
    clinic = _clinic_or_404(clinic_id)
    if clinic.status == "cancelled":
        flash("This clinic is already cancelled.")
        return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    form = CancelClinicForm(version=clinic.version)
    stale = False
    if form.validate_on_submit():
        try:
            cancelled = service.cancel_clinic(
                db.session,
                current_staff(),
                clinic,
                form.reason.data,
                expected_version=form.version.data,
            )
        except service.StaleClinic:
            clinic, stale = _fresh(clinic_id), True
            _keep_version(form, clinic)
        except service.ClinicError as error:
            db.session.rollback()
            show_rule_error(form, error)
        else:
            db.session.commit()
            flash(_cancelled_message(cancelled), "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    return render_template(
        "schedule/cancel_clinic.html",
        form=form,
        clinic=clinic,
        stale=stale,
        bookings=service.live_bookings(db.session, [slot.id for slot in clinic.slots]),
        waiting=waitlist.live_count(db.session, clinic.id),
    )


def _cancelled_message(cancelled: service.Cancelled) -> str:
    told = [
        _households(len(cancelled.bookings), "booked"),
        _households(cancelled.waiting, "on the waiting list"),
    ]
    told = [words for words in told if words]
    if not told:
        return "The clinic is cancelled. Nobody had booked, so nobody needed an email."
    return f"The clinic is cancelled. We have emailed {' and '.join(told)}."


def _households(count: int, which: str) -> str:
    if not count:
        return ""
    return f"{count} {'household' if count == 1 else 'households'} {which}"


# --- slots one by one -------------------------------------------------------------------------


def _slot_form_defaults(clinic: Clinic) -> dict:
    """A new slot straight after the last one, the same length and size."""
    if not clinic.slots:
        return {"capacity": 1}
    last = clinic.slots[-1]
    return {
        "start_time": local(last.ends_at).time(),
        "end_time": local(last.ends_at + (last.ends_at - last.starts_at)).time(),
        "capacity": last.capacity,
    }


@bp.route("/<int:clinic_id>/slots/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@form_view
def add_slot(clinic_id: int):
    clinic = _clinic_or_404(clinic_id)
    form = SlotForm(data={**_slot_form_defaults(clinic), "version": clinic.version})
    stale = False
    if form.validate_on_submit():
        try:
            service.add_slot(
                db.session,
                current_staff(),
                clinic,
                form.times(),
                expected_version=form.version.data,
            )
        except service.StaleClinic:
            clinic, stale = _fresh(clinic_id), True
            _keep_version(form, clinic)
        except service.ClinicError as error:
            db.session.rollback()
            show_rule_error(form, error)
        else:
            db.session.commit()
            flash("Slot added.", "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    return render_template(
        "schedule/slot_form.html", form=form, clinic=clinic, slot=None, stale=stale, bookings=[]
    )


@bp.route("/<int:clinic_id>/slots/<int:slot_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@form_view
def edit_slot(clinic_id: int, slot_id: int):
    clinic = _clinic_or_404(clinic_id)
    slot = _slot_or_404(clinic, slot_id)
    form = SlotForm(
        data={
            "start_time": local(slot.starts_at).time(),
            "end_time": local(slot.ends_at).time(),
            "capacity": slot.capacity,
            "version": clinic.version,
        }
    )
    stale, bookings = False, []
    if request.method == "POST" and "back" not in request.form and form.validate_on_submit():
        try:
            changed = service.update_slot(
                db.session,
                current_staff(),
                slot,
                form.times(),
                expected_version=form.version.data,
                confirmed=request.form.get("confirmed") == "yes",
            )
        except service.NeedsConfirmation as need:
            return _confirm_page(need, clinic)
        except service.StaleClinic:
            clinic, stale = _fresh(clinic_id), True
            slot = _slot_or_404(clinic, slot_id)
            _keep_version(form, clinic)
        except service.SlotHasBookings as error:
            db.session.rollback()
            show_rule_error(form, error)
            bookings = error.bookings
        except service.ClinicError as error:
            db.session.rollback()
            show_rule_error(form, error)
        else:
            db.session.commit()
            flash(_saved_message("Slot saved.", len(changed.told)), "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    return render_template(
        "schedule/slot_form.html",
        form=form,
        clinic=clinic,
        slot=slot,
        stale=stale,
        bookings=bookings,
    )


@bp.route("/<int:clinic_id>/slots/<int:slot_id>/remove", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@form_view
def remove_slot(clinic_id: int, slot_id: int):
    clinic = _clinic_or_404(clinic_id)
    slot = _slot_or_404(clinic, slot_id)
    form = VersionForm(version=clinic.version)
    problem = None
    if form.validate_on_submit():
        try:
            service.remove_slot(
                db.session, current_staff(), slot, expected_version=form.version.data
            )
        except service.StaleClinic:
            db.session.rollback()
            flash(STALE_MESSAGE)
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
        except service.ClinicError as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            flash("Slot removed.", "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    return render_template(
        "schedule/remove_slot.html",
        form=form,
        clinic=clinic,
        slot=slot,
        problem=problem,
        bookings=service.live_bookings(db.session, [slot.id]),
    )


# --- the officer's calendar feed --------------------------------------------------------------


def _feed_urls(token: str | None) -> dict[str, str] | None:
    if not token:
        return None
    https = external_url("schedule.calendar_feed", token=token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@bp.get("/calendar-feed")
@roles_required("officer")
def calendar_feed_page():
    return render_template(
        "schedule/calendar_feed.html",
        urls=_feed_urls(current_user.calendar_token),
    )


def _feed_action(change: Callable[[User], object], done: str):
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
    else:
        change(current_staff())
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".calendar_feed_page"))


@bp.post("/calendar-feed/new")
@roles_required("officer")
@form_view
def new_calendar_feed():
    return _feed_action(
        lambda user: feed.issue_calendar_token(db.session, user),
        "Your calendar address is ready. Any address you had before no longer works.",
    )


@bp.post("/calendar-feed/turn-off")
@roles_required("officer")
@form_view
def turn_off_calendar_feed():
    return _feed_action(
        lambda user: feed.revoke_calendar_token(db.session, user),
        "Your calendar address is turned off. Calendars subscribed to it get no more updates.",
    )


@bp.get("/feed/<token>.ics")
def calendar_feed(token: str):
    """The feed itself: no sign-in (calendar apps cannot), the token is the key."""
    try:
        officer = feed.officer_for_token(db.session, token)
    except feed.UnknownFeed:
        abort(404)
    response = Response(feed.officer_feed(db.session, officer))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="clinics.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
