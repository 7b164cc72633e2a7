"""Managing a booking from the emailed link, the waiting list, and the staff's own changes.

Parents have no account: each page is reached by a signed link (``clinic.booking.links``).
Opening a link changes nothing (rule 5); every change is a button that POSTs with a CSRF
token.  A tampered or unknown link gets a friendly not-found page, never another booking.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..auth.forms import ConfirmForm
from ..auth.service import require_school_access
from ..auth.views import roles_required
from ..extensions import db, limiter
from ..filters import format_datetime, format_time
from ..forms import Form, form_view, strip_filter
from ..invites.calendar import CONTENT_TYPE
from ..invites.notify import booking_ics, place_of
from ..models import Booking, Clinic, Slot, WaitlistEntry, utcnow
from . import manage, waitlist
from .forms import HouseholdForm
from .links import (
    InvalidLink,
    booking_for_token,
    manage_token,
    waitlist_entry_for_token,
    waitlist_token,
)
from .places import SlotFull
from .service import AlreadyBooked, BookingError

bp = Blueprint("manage", __name__, url_prefix="/booking")

STAFF_ROLES = ("admin", "officer", "school")
SLOT_FULL_MESSAGE = "That time has just been booked by someone else. Choose another time."


class MoveForm(Form):
    slot_id = RadioField(
        "Choose a new time",
        widget=GovRadioInput(),
        coerce=int,
        validate_choice=False,  # the service decides: a time may fill up while the page is open
        validators=[InputRequired("Choose a new time")],
    )
    submit = SubmitField("Move my booking", widget=GovSubmitInput())

    def offer(self, slots) -> None:
        self.slot_id.choices = [(slot.id, slot_label(slot)) for slot in slots]


class StaffCancelForm(Form):
    reason = TextAreaField(
        "Reason (optional)",
        widget=GovTextArea(),
        description="We put this in the email to the parent.",
        filters=[strip_filter],
        validators=[Optional(), Length(max=500, message="Reason must be 500 characters or fewer")],
    )
    submit = SubmitField("Cancel booking", widget=GovSubmitInput())


def slot_label(slot) -> str:
    places = slot.places_left
    left = "1 place left" if places == 1 else f"{places} places left"
    return f"{format_time(slot.starts_at)} to {format_time(slot.ends_at)} ({left})"


@bp.after_request
def keep_private(response: Response) -> Response:
    """Pages here show a household's booking: no caching, and the signed link never
    leaks to another site in a Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- the parent's booking ----------------------------------------------------------------


def _booking_for(token: str) -> Booking | None:
    """The booking a parent's link names, or None for a tampered or unknown link."""
    try:
        return booking_for_token(db.session, token)
    except InvalidLink:
        return None


def _link_not_found():
    return render_template("manage/link_not_found.html"), 404


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
            locked_message=manage.LOCKED_MESSAGES.get(locked),
            can_move=locked is None and bool(manage.move_choices(booking, now)),
            booking_closed=manage.booking_closed(booking.clinic, now),
            refused=refused,
        ),
        status,
    )


def _refuse(booking: Booking, token: str, error: manage.ChangeRefused):
    """A change the rules did not allow: nothing is kept, the booking page says why."""
    db.session.rollback()
    return _show(db.session.get(Booking, booking.id), token, refused=error.message, status=409)


def _locked(booking: Booking, token: str, reason: str):
    """A cancelled or past booking: its page says so (a POST is refused, with 409)."""
    if request.method == "POST":
        return _refuse(booking, token, manage.BookingLocked(reason))
    return _show(booking, token)


@bp.get("/<token>")
def show(token: str):
    booking = _booking_for(token)
    if booking is None:
        return _link_not_found()
    return _show(booking, token)


@bp.get("/<token>/invite.ics")
def invite(token: str):
    """The booking as a calendar file: METHOD:PUBLISH (a plain import, no attendee), with
    the emailed invite's UID and SEQUENCE, so importing it updates that same event."""
    booking = _booking_for(token)
    if booking is None:
        return _link_not_found()
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
    booking = _booking_for(token)
    if booking is None:
        return _link_not_found()
    now = utcnow()
    locked = manage.lock_reason(booking, now)
    if locked:
        return _locked(booking, token, locked)
    form = MoveForm()
    form.offer(manage.move_choices(booking, now))
    if form.validate_on_submit():
        try:
            manage.move_booking(db.session, booking, form.slot_id.data, actor="parent", now=now)
        except (SlotFull, manage.TimeNotAvailable) as error:
            db.session.rollback()
            booking = db.session.get(Booking, booking.id)
            form.offer(manage.move_choices(booking, utcnow()))
            form.slot_id.errors = [
                SLOT_FULL_MESSAGE if isinstance(error, SlotFull) else error.message
            ]
        except manage.ChangeRefused as error:
            return _refuse(booking, token, error)
        else:
            db.session.commit()
            flash(
                f"Your booking has moved to {format_datetime(booking.slot.starts_at)}. "
                "We have emailed you an updated calendar invite.",
                "success",
            )
            return redirect(url_for(".show", token=token))
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
        return _link_not_found()
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
        flash("Your booking is cancelled. We have emailed you to confirm.", "success")
        return redirect(url_for(".show", token=token))
    return render_template(
        "manage/cancel.html",
        form=form,
        booking=booking,
        clinic=booking.clinic,
        slot=booking.slot,
        token=token,
    )


# --- the waiting list ------------------------------------------------------------------


def _public_clinic_or_404(clinic_id: int) -> Clinic:
    """A clinic parents may see (drafts are not public yet)."""
    clinic = db.session.get(Clinic, clinic_id)
    if clinic is None or clinic.status == "draft":
        abort(404)
    return clinic


@bp.route("/clinics/<int:clinic_id>/waitlist", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["WAITLIST_LIMIT_PER_ADDRESS"],
    methods=["POST"],
)
@form_view
def join_waitlist(clinic_id: int):
    clinic = _public_clinic_or_404(clinic_id)
    state = waitlist.join_state(clinic, utcnow())
    form = HouseholdForm()
    if state == waitlist.JOIN_OPEN and form.validate_on_submit():
        if form.is_bot():
            flash("Thank you. Check your email for what happens next.", "success")
            return redirect(url_for(".join_waitlist", clinic_id=clinic.id))
        try:
            entry = waitlist.join(db.session, clinic, form.values())
        except (waitlist.WaitlistError, AlreadyBooked) as error:
            db.session.rollback()
            form.email.errors = [*form.email.errors, error.message]
        else:
            db.session.commit()
            flash(f"You are on the waiting list. We have emailed {entry.email}.", "success")
            return redirect(url_for(".waitlist_offer", token=waitlist_token(entry)))
    return render_template(
        "manage/waitlist_join.html",
        form=form,
        clinic=clinic,
        school=clinic.school,
        state=state,
        offer_hours=waitlist.offer_hours(),
    )


def _entry_for(token: str) -> WaitlistEntry | None:
    """The waiting-list entry a household's link names, or None for a bad link."""
    try:
        return waitlist_entry_for_token(db.session, token)
    except InvalidLink:
        return None


def _show_entry(entry: WaitlistEntry, token: str, *, refused: str | None = None, status=200):
    """The household's place in line, its offer, or how it ended."""
    now = utcnow()
    booking = db.session.get(Booking, entry.booking_id) if entry.booking_id else None
    slot = db.session.get(Slot, entry.offered_slot_id) if entry.offered_slot_id else None
    return (
        render_template(
            "manage/waitlist_entry.html",
            entry=entry,
            clinic=entry.clinic,
            school=entry.clinic.school,
            slot=slot,
            place_line=place_of(entry.clinic).one_line(),
            token=token,
            position=waitlist.position(db.session, entry),
            offer_open=waitlist.offer_is_open(entry, now),
            booking_url=url_for(".show", token=manage_token(booking)) if booking else None,
            form=ConfirmForm(),
            refused=refused,
        ),
        status,
    )


@bp.route("/waitlist/<token>", methods=["GET", "POST"])
@form_view
def waitlist_offer(token: str):
    """GET shows the household's place in line or its offer; POST books the offered place."""
    entry = _entry_for(token)
    if entry is None:
        return _link_not_found()
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _show_entry(entry, token)
    try:
        booking = waitlist.claim(db.session, entry)
    except waitlist.OfferNotOpen as error:
        db.session.rollback()
        return _show_entry(entry, token, refused=error.message, status=409)
    except AlreadyBooked as error:
        db.session.rollback()
        waitlist.leave(db.session, db.session.get(WaitlistEntry, entry.id), actor="parent")
        db.session.commit()
        return _show_entry(entry, token, refused=error.message, status=409)
    except (BookingError, SlotFull):
        db.session.rollback()
        entry = db.session.get(WaitlistEntry, entry.id)
        waitlist.return_to_line(db.session, entry)
        db.session.commit()
        message = "Sorry, this place can no longer be booked. You are still on the waiting list."
        return _show_entry(entry, token, refused=message, status=409)
    db.session.commit()
    flash(
        "Your place is booked. We have emailed you a confirmation and calendar invite.", "success"
    )
    return redirect(url_for(".show", token=manage_token(booking)))


@bp.post("/waitlist/<token>/leave")
@form_view
def leave_waitlist(token: str):
    entry = _entry_for(token)
    if entry is None:
        return _link_not_found()
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _show_entry(entry, token, refused=form.csrf_token.errors[0], status=400)
    try:
        waitlist.leave(db.session, entry)
    except waitlist.WaitlistError as error:
        db.session.rollback()
        return _show_entry(entry, token, refused=error.message, status=409)
    db.session.commit()
    flash("You have left the waiting list.", "success")
    return redirect(url_for(".waitlist_offer", token=token))


# --- staff ------------------------------------------------------------------------------


def _staff_booking(booking_id: int) -> Booking:
    """The booking, if it belongs to one of the signed-in staff member's schools (404)."""
    booking = db.get_or_404(Booking, booking_id)
    require_school_access(booking.clinic.school_id)
    return booking


def _actor():
    return current_user._get_current_object()


@bp.route("/staff/<int:booking_id>/cancel", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@form_view
def staff_cancel(booking_id: int):
    booking = _staff_booking(booking_id)
    form = StaffCancelForm()
    locked = manage.lock_reason(booking, utcnow())
    if locked is None and form.validate_on_submit():
        try:
            manage.cancel_booking(
                db.session, booking, actor=_actor(), reason=form.reason.data or None
            )
        except manage.ChangeRefused as error:
            db.session.rollback()
            form.submit.errors = [error.message]
        else:
            db.session.commit()
            flash(
                f"Booking {booking.reference} is cancelled. We have emailed the parent.", "success"
            )
            return redirect(url_for(".staff_cancel", booking_id=booking.id))
    return _staff_page("manage/staff_cancel.html", booking, form)


@bp.route("/staff/<int:booking_id>/move", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@form_view
def staff_move(booking_id: int):
    booking = _staff_booking(booking_id)
    now = utcnow()
    form = MoveForm()
    form.submit.label.text = "Move booking"
    form.offer(manage.move_choices(booking, now, staff=True))
    locked = manage.lock_reason(booking, now)
    if locked is None and form.validate_on_submit():
        try:
            manage.move_booking(db.session, booking, form.slot_id.data, actor=_actor(), now=now)
        except (SlotFull, manage.ChangeRefused) as error:
            db.session.rollback()
            booking = db.session.get(Booking, booking.id)
            form.offer(manage.move_choices(booking, utcnow(), staff=True))
            form.slot_id.errors = [getattr(error, "message", SLOT_FULL_MESSAGE)]
        else:
            db.session.commit()
            flash(
                f"Booking {booking.reference} has moved to "
                f"{format_datetime(booking.slot.starts_at)}. We have emailed the parent.",
                "success",
            )
            return redirect(url_for(".staff_move", booking_id=booking.id))
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
        locked_message=manage.LOCKED_MESSAGES.get(locked),
    )


@bp.get("/staff/clinics/<int:clinic_id>/waitlist")
@roles_required(*STAFF_ROLES)
def staff_waitlist(clinic_id: int):
    clinic = db.get_or_404(Clinic, clinic_id)
    require_school_access(clinic.school_id)
    entries = waitlist.entries_for_staff(db.session, clinic.id)
    live = [entry for entry in entries if entry.status in waitlist.LIVE]
    return render_template(
        "manage/staff_waitlist.html",
        clinic=clinic,
        school=clinic.school,
        live=live,
        finished=[entry for entry in entries if entry.status not in waitlist.LIVE],
        now=utcnow(),
    )
