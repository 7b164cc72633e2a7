"""Creating, copying, publishing, changing and cancelling clinics, and their slots one by
one (officers, and coordinators for every change but creating).

Each change carries the clinic's version: one based on an old version shows the other
person's change instead (``StaleClinic``), and one that would email booked households asks
first (``NeedsConfirmation``) — the two turns these views handle besides a refusal.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..auth.access import current_staff, roles_required
from ..extensions import db
from ..forms import CSRF_MESSAGE, Form, form_view, run_step, show_rule_error
from ..localtime import local
from ..models import Clinic, Slot
from ..waitlist import service as waitlist
from . import service
from .blueprint import MANAGERS, bp, clinic_or_404
from .forms import (
    CancelClinicForm,
    CopyClinicForm,
    EditClinicForm,
    NewClinicForm,
    SlotForm,
    VersionForm,
    answer,
)

STALE_MESSAGE = (
    "Someone else changed this clinic while you were working on it. "
    "Their version is shown below. Check it, then make your change again if it is still needed."
)


def _slot_or_404(clinic: Clinic, slot_id: int) -> Slot:
    slot = db.get_or_404(Slot, slot_id)
    if slot.clinic_id != clinic.id:
        abort(404)
    return slot


def _their_version(form: Form, clinic_id: int) -> Clinic:
    """Someone else saved the clinic first: nothing of this attempt is kept, the page shows
    the clinic as saved now, and the form carries the version the officer has been shown."""
    db.session.rollback()
    clinic = db.get_or_404(Clinic, clinic_id)
    form.version.data = clinic.version
    form.version.raw_data = [str(clinic.version)]
    return clinic


def _stale(clinic_id: int):
    """Someone else saved the clinic before this button was pressed: its page says so."""
    db.session.rollback()
    flash(STALE_MESSAGE)
    return redirect(url_for(".show_clinic", clinic_id=clinic_id))


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
        if form.preview.data:  # the slots it would make: nothing is saved
            try:
                preview = service.plan_slots(details, pattern)
            except service.ClinicError as error:
                show_rule_error(form, error)
        else:
            created = run_step(
                form,
                lambda: service.create_clinic(
                    db.session,
                    current_staff(),
                    school=by_id[form.school.data],
                    details=details,
                    pattern=pattern,
                    allow_overlap=form.allow_overlap.data,
                    allow_closed_day=form.allow_closed_day.data,
                ),
            )
            if created:
                flash(
                    f"Draft saved with {len(created.result.slots)} slots. "
                    "Parents cannot see it until you publish it.",
                    "success",
                )
                return redirect(url_for(".show_clinic", clinic_id=created.result.id))
            overlap = isinstance(created.error, service.OverlapWarning)
            closed_day = isinstance(created.error, service.ClosedDayWarning)
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
    source = clinic_or_404(clinic_id)
    form = CopyClinicForm()
    overlap = closed_day = False
    if form.validate_on_submit() and (window := form.booking_window()) is not None:
        copied = run_step(
            form,
            lambda: service.copy_clinic(
                db.session,
                current_staff(),
                source,
                day=answer(form.date),
                booking_opens_at=window[0],
                booking_closes_at=window[1],
                allow_overlap=form.allow_overlap.data,
                allow_closed_day=form.allow_closed_day.data,
            ),
        )
        if copied:
            flash("Copy saved as a draft. Check it, then publish it.", "success")
            return redirect(url_for(".show_clinic", clinic_id=copied.result.id))
        overlap = isinstance(copied.error, service.OverlapWarning)
        closed_day = isinstance(copied.error, service.ClosedDayWarning)
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
    clinic = clinic_or_404(clinic_id)
    form = VersionForm()
    if not form.validate_on_submit():
        flash(CSRF_MESSAGE)
        return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    try:
        published = run_step(
            None,
            lambda: service.publish_clinic(
                db.session, current_staff(), clinic, expected_version=form.version.data
            ),
        )
    except service.StaleClinic:
        return _stale(clinic_id)
    if published:
        flash("The clinic is published. Parents can now see it and book.", "success")
    return redirect(url_for(".show_clinic", clinic_id=clinic_id))


@bp.route("/<int:clinic_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@form_view
def edit_clinic(clinic_id: int):
    clinic = clinic_or_404(clinic_id)
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
            saved = run_step(
                form,
                lambda: service.update_clinic(
                    db.session,
                    current_staff(),
                    clinic,
                    form.details(*window),
                    expected_version=form.version.data,
                    confirmed=request.form.get("confirmed") == "yes",
                    allow_overlap=form.allow_overlap.data,
                    allow_closed_day=form.allow_closed_day.data,
                ),
            )
        except service.NeedsConfirmation as need:
            return _confirm_page(need, clinic)
        except service.StaleClinic:
            return _edit_page(form, _their_version(form, clinic_id), stale=True)
        if saved:
            flash(_saved_message("Clinic details saved.", len(saved.result.told)), "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
        overlap = isinstance(saved.error, service.OverlapWarning)
        closed_day = isinstance(saved.error, service.ClosedDayWarning)
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
    clinic = clinic_or_404(clinic_id)
    if clinic.status == "cancelled":
        flash("This clinic is already cancelled.")
        return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    form = CancelClinicForm(version=clinic.version)
    stale = False
    if form.validate_on_submit():
        try:
            cancelled = run_step(
                form,
                lambda: service.cancel_clinic(
                    db.session,
                    current_staff(),
                    clinic,
                    form.reason.data,
                    expected_version=form.version.data,
                ),
            )
        except service.StaleClinic:
            clinic, stale = _their_version(form, clinic_id), True
        else:
            if cancelled:
                flash(_cancelled_message(cancelled.result), "success")
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
    clinic = clinic_or_404(clinic_id)
    form = SlotForm(data={**_slot_form_defaults(clinic), "version": clinic.version})
    stale = False
    if form.validate_on_submit():
        try:
            added = run_step(
                form,
                lambda: service.add_slot(
                    db.session,
                    current_staff(),
                    clinic,
                    form.times(),
                    expected_version=form.version.data,
                ),
            )
        except service.StaleClinic:
            clinic, stale = _their_version(form, clinic_id), True
        else:
            if added:
                flash("Slot added.", "success")
                return redirect(url_for(".show_clinic", clinic_id=clinic_id))
    return render_template(
        "schedule/slot_form.html", form=form, clinic=clinic, slot=None, stale=stale, bookings=[]
    )


@bp.route("/<int:clinic_id>/slots/<int:slot_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
@form_view
def edit_slot(clinic_id: int, slot_id: int):
    clinic = clinic_or_404(clinic_id)
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
            saved = run_step(
                form,
                lambda: service.update_slot(
                    db.session,
                    current_staff(),
                    slot,
                    form.times(),
                    expected_version=form.version.data,
                    confirmed=request.form.get("confirmed") == "yes",
                ),
            )
        except service.NeedsConfirmation as need:
            return _confirm_page(need, clinic)
        except service.StaleClinic:
            clinic, stale = _their_version(form, clinic_id), True
            slot = _slot_or_404(clinic, slot_id)
        else:
            if saved:
                flash(_saved_message("Slot saved.", len(saved.result.told)), "success")
                return redirect(url_for(".show_clinic", clinic_id=clinic_id))
            if isinstance(saved.error, service.SlotHasBookings):
                bookings = saved.error.bookings
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
    clinic = clinic_or_404(clinic_id)
    slot = _slot_or_404(clinic, slot_id)
    form = VersionForm(version=clinic.version)
    problem = None
    if form.validate_on_submit():
        try:
            removed = run_step(
                form,
                lambda: service.remove_slot(
                    db.session, current_staff(), slot, expected_version=form.version.data
                ),
            )
        except service.StaleClinic:
            return _stale(clinic_id)
        if removed:
            flash("Slot removed.", "success")
            return redirect(url_for(".show_clinic", clinic_id=clinic_id))
        problem = removed.error.message  # the page shows it above the bookings in the way
    return render_template(
        "schedule/remove_slot.html",
        form=form,
        clinic=clinic,
        slot=slot,
        problem=problem,
        bookings=service.live_bookings(db.session, [slot.id]),
    )
