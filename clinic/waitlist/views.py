"""The waiting list's pages: joining a full clinic, the household's own page (reached by
its signed link) with its place in line or its offer, leaving, and the staff's view.

Opening a household's link changes nothing (rule 5): claiming an offer and leaving are
buttons that POST with a CSRF token.  The addresses sit under /booking, where emails
already sent point.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from ..auth.access import require_school_access, roles_required
from ..booking import limits
from ..booking.forms import HouseholdForm
from ..booking.places import SlotFull
from ..booking.service import AlreadyBooked, BookingError
from ..extensions import db
from ..forms import ConfirmForm, form_view, run_step
from ..links import (
    InvalidLink,
    details_erased,
    keep_private,
    link_not_found,
    manage_token,
    waitlist_entry_for_token,
)
from ..models import PARTNERSHIP_ROLES, Booking, Clinic, Slot, WaitlistEntry, utcnow
from ..notices import place_of
from ..partnership import use_for_school
from . import service as waitlist

bp = Blueprint("waitlist", __name__, url_prefix="/booking")
bp.after_request(keep_private)


def _public_clinic_or_404(clinic_id: int) -> Clinic:
    """A clinic parents may see (drafts are not public yet)."""
    clinic = db.session.get(Clinic, clinic_id)
    if clinic is None or clinic.status == "draft":
        abort(404)
    use_for_school(clinic.school)  # its partnership's name, notice and languages
    return clinic


@bp.route("/clinics/<int:clinic_id>/waitlist", methods=["GET", "POST"])
@limits.per_address("WAITLIST_LIMIT_PER_ADDRESS", "waitlist-address")
@limits.per_session("WAITLIST_LIMIT_PER_SESSION", "waitlist-session")
@limits.per_email("WAITLIST_LIMIT_PER_EMAIL", lambda: request.form.get("email"))
@form_view
def join(clinic_id: int):
    clinic = _public_clinic_or_404(clinic_id)
    state = waitlist.join_state(clinic, utcnow())
    form = HouseholdForm()
    if state == waitlist.JOIN_OPEN and form.validate_on_submit():
        email = form.values()["email"]
        if form.is_bot():
            return _check_your_email(clinic, email)
        if run_step(form, lambda: waitlist.join_or_tell(db.session, clinic, form.values())):
            return _check_your_email(clinic, email)
    return render_template(
        "waitlist/join.html",
        form=form,
        clinic=clinic,
        school=clinic.school,
        state=state,
        offer_hours=waitlist.offer_hours(),
    )


JOINED_KEY = "waitlist_joined"


def _check_your_email(clinic: Clinic, email: str):
    """Joined, already in line or already booked: the same "check your email" page, which
    says only what the parent typed themselves (the email has the household's own link),
    so the form tells whoever typed an address nothing about it."""
    session[JOINED_KEY] = {"clinic_id": clinic.id, "email": email}
    return redirect(url_for(".joined", clinic_id=clinic.id))


@bp.get("/clinics/<int:clinic_id>/waitlist/check-your-email")
def joined(clinic_id: int):
    clinic = _public_clinic_or_404(clinic_id)
    told = session.get(JOINED_KEY)
    if not isinstance(told, dict) or told.get("clinic_id") != clinic.id:
        return redirect(url_for(".join", clinic_id=clinic.id))
    return render_template(
        "waitlist/check_email.html", clinic=clinic, school=clinic.school, email=told.get("email")
    )


def _entry_for(token: str) -> WaitlistEntry | None:
    """The waiting-list entry a household's link names, or None for a bad link."""
    try:
        entry = waitlist_entry_for_token(db.session, token)
    except InvalidLink:
        return None
    use_for_school(entry.clinic.school)  # its partnership's name, notice and languages
    return entry


def _show_entry(entry: WaitlistEntry, token: str, *, refused: str | None = None, status=200):
    """The household's place in line, its offer, or how it ended."""
    now = utcnow()
    booking = db.session.get(Booking, entry.booking_id) if entry.booking_id else None
    slot = db.session.get(Slot, entry.offered_slot_id) if entry.offered_slot_id else None
    return (
        render_template(
            "waitlist/entry.html",
            entry=entry,
            clinic=entry.clinic,
            school=entry.clinic.school,
            slot=slot,
            place_line=place_of(entry.clinic).one_line(),
            token=token,
            position=waitlist.position(db.session, entry),
            offer_open=waitlist.offer_is_open(entry, now),
            booking_url=url_for("manage.show", token=manage_token(booking)) if booking else None,
            form=ConfirmForm(),
            refused=refused,
        ),
        status,
    )


@bp.route("/waitlist/<token>", methods=["GET", "POST"])
@form_view
def offer(token: str):
    """GET shows the household's place in line or its offer; POST books the offered place."""
    entry = _entry_for(token)
    if entry is None:
        return link_not_found()
    if entry.anonymised_at is not None:
        return details_erased()
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
        waitlist.leave(db.session, db.session.get_one(WaitlistEntry, entry.id), actor="parent")
        db.session.commit()
        return _show_entry(entry, token, refused=error.message, status=409)
    except (BookingError, SlotFull):
        db.session.rollback()
        entry = db.session.get_one(WaitlistEntry, entry.id)
        waitlist.return_to_line(db.session, entry)
        db.session.commit()
        message = _("Sorry, this place can no longer be booked. You are still on the waiting list.")
        return _show_entry(entry, token, refused=message, status=409)
    db.session.commit()
    flash(
        _("Your place is booked. We have emailed you a confirmation and calendar invite."),
        "success",
    )
    return redirect(url_for("manage.show", token=manage_token(booking)))


@bp.post("/waitlist/<token>/leave")
@form_view
def leave(token: str):
    entry = _entry_for(token)
    if entry is None:
        return link_not_found()
    if entry.anonymised_at is not None:
        return details_erased()
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _show_entry(entry, token, refused=form.csrf_token.errors[0], status=400)
    try:
        waitlist.leave(db.session, entry)
    except waitlist.WaitlistError as error:
        db.session.rollback()
        return _show_entry(entry, token, refused=error.message, status=409)
    db.session.commit()
    flash(_("You have left the waiting list."), "success")
    return redirect(url_for(".offer", token=token))


@bp.get("/staff/clinics/<int:clinic_id>/waitlist")
@roles_required(*PARTNERSHIP_ROLES)
def staff_list(clinic_id: int):
    clinic = db.get_or_404(Clinic, clinic_id)
    require_school_access(clinic.school_id)
    entries = waitlist.entries_for_staff(db.session, clinic.id)
    live = [entry for entry in entries if entry.is_live]
    return render_template(
        "waitlist/staff_list.html",
        clinic=clinic,
        school=clinic.school,
        live=live,
        finished=[entry for entry in entries if not entry.is_live],
        now=utcnow(),
    )
