"""Managing a booking from the emailed link, and staff changing one for a parent.

Parents have no account: each page is reached by a signed link (``clinic.links``).
Opening a link changes nothing (rule 5); every change is a button that POSTs with a CSRF
token.  A tampered or unknown link gets a friendly not-found page, never another booking.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.access import current_staff, require_school_access, roles_required
from ..booking.places import SlotFull
from ..extensions import db
from ..filters import format_datetime
from ..forms import ConfirmForm, Form, form_view, run_step
from ..invites.bring import bring_for
from ..invites.calendar import CONTENT_TYPE
from ..links import (
    InvalidLink,
    booking_for_token,
    details_erased,
    keep_private,
    link_not_found,
)
from ..models import PARTNERSHIP_ROLES, Booking, utcnow
from ..notices import add_to_calendar, booking_ics
from ..partnership import use_for_school
from . import service as manage
from .forms import MoveForm, StaffCancelForm, StillComingForm

bp = Blueprint("manage", __name__, url_prefix="/booking")
bp.after_request(keep_private)


# --- the parent's booking ----------------------------------------------------------------


def _booking_for(token: str) -> Booking | None:
    """The booking a parent's link names, or None for a tampered or unknown link."""
    try:
        booking = booking_for_token(db.session, token)
    except InvalidLink:
        return None
    use_for_school(booking.clinic.school)  # its partnership's name, notice and languages
    return booking


def _show(booking: Booking, token: str, *, refused: str | None = None, status: int = 200):
    """The booking page: its state, and what can still be done with it."""
    now = utcnow()
    locked = manage.lock_reason(booking, now)
    return (
        render_template(
            "manage/booking.html",
            booking=booking,
            clinic=booking.clinic,
            slot=booking.slot,
            token=token,
            locked=locked,
            add_to_calendar=add_to_calendar(booking) if locked is None else None,
            locked_message=None if locked is None else manage.LOCKED_MESSAGES.get(locked),
            can_move=locked is None and bool(manage.move_choices(booking, now)),
            booking_closed=manage.booking_closed(booking.clinic, now),
            refused=refused,
            # The same list as the email (the devices and apps asked about, in the
            # booking's language), not a general one.
            bring=bring_for(db.session, booking),
        ),
        status,
    )


def _refuse(booking: Booking, token: str, error: manage.ChangeRefused):
    """A change the rules did not allow: nothing is kept, the booking page says why."""
    db.session.rollback()
    return _show(db.session.get_one(Booking, booking.id), token, refused=error.message, status=409)


def _locked(booking: Booking, token: str, reason: str):
    """A cancelled or past booking: its page says so (a POST is refused, with 409)."""
    if request.method == "POST":
        return _refuse(booking, token, manage.BookingLocked(reason))
    return _show(booking, token)


@bp.get("/<token>")
def show(token: str):
    booking = _booking_for(token)
    if booking is None:
        return link_not_found()
    if booking.anonymised_at is not None:
        return details_erased()
    return _show(booking, token)


@bp.get("/<token>/invite.ics")
def invite(token: str):
    """The booking as a calendar file: METHOD:PUBLISH (a plain import, no attendee), with
    the emailed invite's UID and SEQUENCE, so importing it updates that same event."""
    booking = _booking_for(token)
    if booking is None:
        return link_not_found()
    if booking.anonymised_at is not None:
        return details_erased()
    if booking.status == "cancelled":
        return redirect(url_for(".show", token=token))
    filename = f"clinic-{booking.reference}.ics"
    return Response(
        booking_ics(booking, method="PUBLISH"),
        headers={
            "Content-Type": CONTENT_TYPE,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@bp.route("/<token>/move", methods=["GET", "POST"])
@form_view
def move(token: str):
    found = _booking_for(token)
    if found is None:
        return link_not_found()
    booking = found  # a Booking for the step below, though read again after a refusal
    if booking.anonymised_at is not None:
        return details_erased()
    now = utcnow()
    locked = manage.lock_reason(booking, now)
    if locked:
        return _locked(booking, token, locked)
    form = MoveForm()
    form.offer(manage.move_choices(booking, now))
    if form.validate_on_submit():
        try:
            moved = run_step(
                form,
                lambda: manage.move_booking(
                    db.session, booking, form.slot_id.data, actor="parent", now=now
                ),
                refusals=(SlotFull, manage.TimeNotAvailable),
            )
        except manage.ChangeRefused as error:  # no longer movable at all: the booking page
            return _refuse(booking, token, error)
        if moved:
            flash(
                _(
                    "Your booking has moved to %(when)s. "
                    "We have emailed you an updated calendar invite.",
                    when=format_datetime(booking.slot.starts_at),
                ),
                "success",
            )
            return redirect(url_for(".show", token=token))
        booking = db.session.get_one(Booking, booking.id)
        form.offer(manage.move_choices(booking, utcnow()))
    return render_template(
        "manage/move.html",
        form=form,
        booking=booking,
        clinic=booking.clinic,
        slot=booking.slot,
        token=token,
        booking_closed=manage.booking_closed(booking.clinic, now),
    )


@bp.route("/<token>/cancel", methods=["GET", "POST"])
@form_view
def cancel(token: str):
    booking = _booking_for(token)
    if booking is None:
        return link_not_found()
    if booking.anonymised_at is not None:
        return details_erased()
    locked = manage.lock_reason(booking, utcnow())
    if locked:
        return _locked(booking, token, locked)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            manage.cancel_booking(db.session, booking, actor="parent")
        except manage.ChangeRefused as error:
            return _refuse(booking, token, error)
        db.session.commit()
        flash(_("Your booking is cancelled. We have emailed you to confirm."), "success")
        return redirect(url_for(".show", token=token))
    return render_template(
        "manage/cancel.html",
        form=form,
        booking=booking,
        clinic=booking.clinic,
        slot=booking.slot,
        token=token,
    )


@bp.route("/<token>/still-coming", methods=["GET", "POST"])
@form_view
def still_coming(token: str):
    """The page the "Are you still coming?" email links to: "Yes" notes it and thanks
    them; "We can't come" is the usual cancellation.  Either can be pressed again, and a
    "Yes" can later become "We can't come"."""
    booking = _booking_for(token)
    if booking is None:
        return link_not_found()
    if booking.anonymised_at is not None:
        return details_erased()
    now = utcnow()
    locked = manage.lock_reason(booking, now)
    if locked:  # cancelled, clinic cancelled or over: the booking page says so
        return _locked(booking, token, locked)
    form = StillComingForm()
    if form.validate_on_submit() and (form.coming.data or form.cannot_come.data):
        try:
            if form.cannot_come.data:
                manage.give_place_back(db.session, booking, now=now)
            else:
                manage.say_still_coming(db.session, booking, now=now)
        except manage.ChangeRefused as error:
            return _refuse(booking, token, error)
        db.session.commit()
        if form.cannot_come.data:
            flash(
                _(
                    "Thank you for letting us know. Your booking is cancelled and your "
                    "place will be offered to another family. We have emailed you to confirm."
                ),
                "success",
            )
            return redirect(url_for(".show", token=token))
        return redirect(url_for(".still_coming", token=token))
    return render_template(
        "manage/still_coming.html",
        form=form,
        booking=booking,
        clinic=booking.clinic,
        slot=booking.slot,
        token=token,
    )


# --- staff ------------------------------------------------------------------------------


def _staff_booking(booking_id: int) -> Booking:
    """The booking, if it belongs to one of the signed-in staff member's schools (404)."""
    booking = db.get_or_404(Booking, booking_id)
    require_school_access(booking.clinic.school_id)
    return booking


@bp.route("/staff/<int:booking_id>/cancel", methods=["GET", "POST"])
@roles_required(*PARTNERSHIP_ROLES)
@form_view
def staff_cancel(booking_id: int):
    booking = _staff_booking(booking_id)
    form = StaffCancelForm()
    locked = manage.lock_reason(booking, utcnow())
    if locked is None and form.validate_on_submit():
        cancelled = run_step(
            form,
            lambda: manage.cancel_booking(
                db.session, booking, actor=current_staff(), reason=form.reason.data or None
            ),
        )
        if cancelled:
            flash(
                f"Booking {booking.reference} is cancelled. We have emailed the parent.", "success"
            )
            return redirect(url_for(".staff_cancel", booking_id=booking.id))
    return _staff_page("manage/staff_cancel.html", booking, form)


@bp.route("/staff/<int:booking_id>/move", methods=["GET", "POST"])
@roles_required(*PARTNERSHIP_ROLES)
@form_view
def staff_move(booking_id: int):
    booking = _staff_booking(booking_id)
    now = utcnow()
    form = MoveForm()
    form.submit.label.text = "Move booking"
    form.offer(manage.move_choices(booking, now, staff=True))
    locked = manage.lock_reason(booking, now)
    if locked is None and form.validate_on_submit():
        moved = run_step(
            form,
            lambda: manage.move_booking(
                db.session, booking, form.slot_id.data, actor=current_staff(), now=now
            ),
        )
        if moved:
            flash(
                f"Booking {booking.reference} has moved to "
                f"{format_datetime(booking.slot.starts_at)}. We have emailed the parent.",
                "success",
            )
            return redirect(url_for(".staff_move", booking_id=booking.id))
        booking = db.session.get_one(Booking, booking.id)
        form.offer(manage.move_choices(booking, utcnow(), staff=True))
    return _staff_page("manage/staff_move.html", booking, form)


def _staff_page(template: str, booking: Booking, form: Form):
    locked = manage.lock_reason(booking, utcnow())
    return render_template(
        template,
        booking=booking,
        clinic=booking.clinic,
        slot=booking.slot,
        form=form,
        locked=locked,
        locked_message=None if locked is None else manage.LOCKED_MESSAGES.get(locked),
    )
