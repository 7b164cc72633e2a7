"""Booking a place: a parent's three pages, and the same three for staff booking on a
parent's behalf (a phone call to the school office).

Each takes three pages and works without JavaScript: the form (Continue), the
check-your-answers page (Confirm booking), the confirmation.  The answers wait between
the first two on the server (``drafts``: the ``booking_draft`` table), and the session
cookie holds only the draft's random id, so whoever uses the browser next cannot read
them; any worker can take the next step.  The draft is deleted once the booking is made.
Keeping the answers there (rather than in hidden fields) lets the Change links on the
check page be plain links back to a filled-in form.

The parent's and the staff's views are written out one after the other; where they
differ is where the rules differ:

- a parent's Confirm ends on the same "Check your email" page whether it booked or the
  address already had a booking (``service.tell_already_booked`` emails the holder), so
  the form tells whoever typed an address nothing; staff are told at the form;
- Back, a reload or a second Confirm after booking shows a parent that page again where
  the form would not be shown anyway (the slot is full now, or there are no answers left
  to check), holding nothing of the parent (the browser may be shared); the form itself
  comes back blank, saying this browser confirmed the time, so the next family can book.
  Staff, who book family after family, see the booking they made in the same places.

The steps both take are the small functions below the routes.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from .. import pagecache
from ..auth.access import current_staff, require_school_access, roles_required
from ..extensions import db
from ..forms import form_view
from ..i18n import current_language
from ..invites.bring import bring_for, bring_in
from ..links import keep_private
from ..models import Booking, Slot, utcnow
from ..partnership import use_for_school
from . import drafts, limits, service
from .blueprint import STAFF_ROLES, bp
from .choices import SCHOOL_YEAR_LABELS, TOPIC_LABELS, interpreter_label
from .forms import ConfirmBookingForm, HouseholdForm, StaffHouseholdForm


@dataclass(frozen=True)
class Pages:
    """What the flow's templates (``flow``) link to and say: the form and check pages'
    endpoints, and whether staff are booking for a parent."""

    form: str
    check: str
    staff: bool


PARENT = Pages(form="booking.book", check="booking.check", staff=False)
STAFF = Pages(form="booking.staff_book", check="booking.staff_check", staff=True)

# The session's keys (the names cookies already carry): the draft's id, what the last
# Confirm did, and the slots this browser confirmed.
ANSWERS, BOOKED, RECENT = "booking_answers", "booking_made", "booked_here"
STAFF_ANSWERS, STAFF_BOOKED, STAFF_RECENT = (
    "staff_booking_answers",
    "staff_booking_made",
    "staff_booked_here",
)
ALREADY_BOOKED = "This email address already has a booking at this clinic"
# Flashed (kept in the session as text: ``str`` of it, in the page's language).
ANSWERS_LOST = _l("Your answers were not kept (the page was open too long). Enter them again.")

# Ids the database can hold: a longer number is simply not found (PostgreSQL would refuse it).
SLOT = "<int:slot_id>"


def _private(view):
    """The form and check pages hold the household's answers (and, once booked, the
    booking's own link): no cache keeps them, so Back asks again and sees what is true now."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return keep_private(make_response(view(*args, **kwargs)))

    return wrapper


# --- rate limits on the parents' POSTs (what each is keyed on: clinic/booking/limits.py) --


def _kept_email() -> str | None:
    """The email address the confirm button would book for (the answers wait on the server)."""
    kept = _draft(ANSWERS)
    return kept[1].get("email") if kept else None


_per_address = limits.per_address("BOOKING_LIMIT_PER_ADDRESS", "booking-address")
_per_session = limits.per_session("BOOKING_LIMIT_PER_SESSION", "booking-session")
_per_email = limits.per_email("BOOKING_LIMIT_PER_EMAIL", _kept_email)


# --- a parent booking ----------------------------------------------------------------------


@bp.route(f"/book/{SLOT}", methods=["GET", "POST"])
@_per_address
@_per_session
@form_view
@_private
def book(slot_id: int):
    slot = _slot_or_404(slot_id)
    confirmed_here = _confirmed_here(RECENT, slot)[0]
    if confirmed_here and slot.places_left <= 0 and request.method == "GET":
        return _check_your_email_again(slot)
    kept = _answers(ANSWERS, slot.clinic_id)
    refused = _refusal(PARENT, slot, has_answers=kept is not None)
    if refused is not None:
        return refused
    form = HouseholdForm(data=_form_data(kept))
    if form.validate_on_submit():
        if form.is_bot():
            return _bot_refused(slot)
        _keep_answers(ANSWERS, slot, form.values())
        # The form goes on as usual for an address that already booked, so it tells
        # whoever typed it nothing (``service.tell_already_booked`` at Confirm).
        return redirect(url_for(".check", slot_id=slot.id))
    return _form_page(PARENT, form, slot, confirmed_here=confirmed_here)


@bp.route(f"/book/{SLOT}/check", methods=["GET", "POST"])
@_per_address
@_per_session
@_per_email
@form_view
@_private
def check(slot_id: int):
    slot = _slot_or_404(slot_id)
    form = ConfirmBookingForm()
    if request.method == "POST" and form.validate():
        return _confirm(slot, form.submission_id.data)
    answers = _answers(ANSWERS, slot.clinic_id)
    if answers is None and _confirmed_here(RECENT, slot)[0]:
        return _check_your_email_again(slot)
    refused = _refusal(PARENT, slot, has_answers=answers is not None)
    if refused is not None:
        return refused
    if answers is None:
        return redirect(url_for(".book", slot_id=slot.id))
    return _check_page(PARENT, form, slot, answers)


def _confirm(slot: Slot, submission_id: str):
    """Make the parent's booking from the kept answers; booked or already booked, the
    same "Check your email" page; each other refusal has its own page."""
    made = service.told_for_submission(db.session, submission_id)
    if made is not None:  # a second click, after the first one's answer arrived
        return _told(made.slot_id, made.email, made.topics, made.id)
    answers = _answers(ANSWERS, slot.clinic_id)
    if answers is None:
        if _confirmed_here(RECENT, slot)[0]:  # Back to an old check page, then Confirm again
            return _check_your_email_again(slot)
        flash(str(ANSWERS_LOST))
        return redirect(url_for(".book", slot_id=slot.id))
    try:
        booking = service.book_place(
            db.session,
            slot_id=slot.id,
            details=answers,
            submission_id=submission_id,
            submission_looked_up=True,
        )
    except service.AlreadySubmitted as exc:
        db.session.rollback()
        first = db.session.get_one(Booking, exc.booking_id)
        return _told(first.slot_id, first.email, first.topics, first.id)
    except service.AlreadyBooked:
        db.session.rollback()
        service.tell_already_booked(db.session, slot.clinic_id, answers["email"])
        _commit_without_draft(ANSWERS)
        return _told(slot.id, answers["email"], answers.get("topics"))
    except service.SlotFull:
        # Most of a rush (190 of 200): the page's few reads share the transaction that
        # tried, and it ends before the page is drawn (one write lock on SQLite).
        return _slot_full(PARENT, slot, has_answers=True)
    except service.BookingError as exc:
        db.session.rollback()
        return _not_booked(PARENT, slot, exc)
    # Read before the commit expires them (reading after it would ask the database again).
    told = (booking.slot_id, booking.email, booking.topics, booking.id)
    _commit_without_draft(ANSWERS)
    return _told(*told)


def _commit_without_draft(key: str) -> None:
    """Commit the Confirm's change with its draft deleted in the same transaction (one
    write lock on SQLite); the cookie forgets the draft only once that committed, so a
    failed commit leaves the answers where they were."""
    drafts.discard(db.session, session.get(key))
    db.session.commit()
    session.pop(key, None)


def _told(slot_id: int, email: str | None, topics, booking_id: int | None = None):
    """A parent's Confirm, booked or already booked: on to the "check your email" page,
    which says only what they typed themselves (the address, what to bring for the
    topics they chose).  A booking found again may have been anonymised since (no
    address): the page then says "the address you gave"."""
    _discard_draft(ANSWERS)
    topics = [topic for topic in topics or () if isinstance(topic, str)]
    session[BOOKED] = {
        "slot_id": slot_id,
        "email": email,
        "topics": topics,
        "at": int(utcnow().timestamp()),
    }
    _remember_confirmed(RECENT, slot_id, booking_id)
    return redirect(url_for(".confirmation"))


# How long the confirmation page goes on showing the address and the devices typed: long
# enough for a reload, not for the next person on a shared browser to find in its history.
TOLD_MINUTES = 10


@bp.get("/book/confirmation")
def confirmation():
    told = session.get(BOOKED)
    slot_id = told.get("slot_id") if isinstance(told, dict) else None
    slot = db.session.get(Slot, slot_id) if type(slot_id) is int else None
    if slot is None or not isinstance(told, dict):
        return redirect(url_for("core.home"))
    at = told.get("at")
    if type(at) is not int or utcnow().timestamp() - at > TOLD_MINUTES * 60:
        return _check_your_email_again(slot)
    return _check_your_email_page(slot, told)


def _check_your_email_again(slot: Slot):
    """What Back, a reload or a second Confirm shows once this browser has confirmed
    ``slot`` (and nothing new is on its way): never "this time is now full", but the
    "check your email" page, whether that booked the place or the address already had a
    booking.  The browser may be shared (a family tablet, a school-office PC), so this page
    holds nothing of whoever confirmed: not the address, not the devices chosen."""
    return _check_your_email_page(slot, {}, again=True)


def _check_your_email_page(slot: Slot, told: dict, *, again: bool = False):
    topics = told.get("topics")
    return render_template(
        "booking/check_email.html",
        slot=slot,
        clinic=slot.clinic,
        email=told.get("email"),
        again=again,
        bring=bring_in(
            db.session,
            slot.clinic.school.partnership_id,
            topics if isinstance(topics, list) else None,
            current_language(),
        ),
    )


# --- staff booking for a parent --------------------------------------------------------------


@bp.route(f"/staff/book/{SLOT}", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@form_view
@_private
def staff_book(slot_id: int):
    slot = _staff_slot_or_404(slot_id)
    booking = _booking_made_here(slot)
    if booking is not None and slot.places_left <= 0:
        return _booking_made_page(booking, slot)
    kept = _answers(STAFF_ANSWERS, slot.clinic_id)
    refused = _refusal(STAFF, slot, has_answers=kept is not None)
    if refused is not None:
        return refused
    form = StaffHouseholdForm(data=_form_data(kept))
    if form.validate_on_submit():
        if form.is_bot():
            return _bot_refused(slot)
        answers = form.values()
        if not service.live_booking_exists(db.session, slot.clinic_id, answers["email"]):
            _keep_answers(STAFF_ANSWERS, slot, answers)
            return redirect(url_for(".staff_check", slot_id=slot.id))
        form.email.errors.append(ALREADY_BOOKED)  # staff are told at once
    return _form_page(STAFF, form, slot)


@bp.route(f"/staff/book/{SLOT}/check", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@form_view
@_private
def staff_check(slot_id: int):
    slot = _staff_slot_or_404(slot_id)
    form = ConfirmBookingForm()
    if request.method == "POST" and form.validate():
        return _staff_confirm(slot, form.submission_id.data)
    answers = _answers(STAFF_ANSWERS, slot.clinic_id)
    if answers is None and (booking := _booking_made_here(slot)) is not None:
        return _booking_made_page(booking, slot)
    refused = _refusal(STAFF, slot, has_answers=answers is not None)
    if refused is not None:
        return refused
    if answers is None:
        return redirect(url_for(".staff_book", slot_id=slot.id))
    return _check_page(STAFF, form, slot, answers)


def _staff_confirm(slot: Slot, submission_id: str):
    """Make the booking from the kept answers, booked by the signed-in staff member; an
    address that already has a booking is told at the form."""
    made = service.booking_for_submission(db.session, submission_id)
    if made is not None:  # a second click, after the first one's answer arrived
        return _staff_booked(made)
    answers = _answers(STAFF_ANSWERS, slot.clinic_id)
    if answers is None:
        booking = _booking_made_here(slot)
        if booking is not None:  # Back to an old check page, then Confirm again
            return _booking_made_page(booking, slot)
        flash(str(ANSWERS_LOST))
        return redirect(url_for(".staff_book", slot_id=slot.id))
    try:
        booking = service.book_place(
            db.session,
            slot_id=slot.id,
            details=answers,
            submission_id=submission_id,
            booked_by=current_staff(),
            submission_looked_up=True,
        )
    except service.AlreadySubmitted as exc:
        db.session.rollback()
        return _staff_booked(db.session.get_one(Booking, exc.booking_id))
    except service.AlreadyBooked:
        db.session.rollback()
        flash(ALREADY_BOOKED + ". Nothing new was booked.")
        return redirect(url_for(".staff_book", slot_id=slot.id))
    except (service.SlotFull, service.BookingError) as exc:
        db.session.rollback()
        return _not_booked(STAFF, slot, exc)
    _commit_without_draft(STAFF_ANSWERS)
    return _staff_booked(booking)


def _staff_booked(booking: Booking):
    _discard_draft(STAFF_ANSWERS)
    session[STAFF_BOOKED] = booking.id
    _remember_confirmed(STAFF_RECENT, booking.slot_id, booking.id)
    return redirect(url_for(".staff_confirmation"))


@bp.get("/staff/book/confirmation")
@roles_required(*STAFF_ROLES)
def staff_confirmation():
    booking_id = session.get(STAFF_BOOKED)
    booking = db.session.get(Booking, booking_id) if isinstance(booking_id, int) else None
    if booking is None:
        return redirect(url_for("core.home"))
    require_school_access(booking.clinic.school_id)
    return render_template(
        "booking/confirmation.html",
        flow=STAFF,
        booking=booking,
        slot=booking.slot,
        clinic=booking.clinic,
        bring=bring_for(db.session, booking),
    )


def _booking_made_here(slot: Slot) -> Booking | None:
    """The booking this browser's staff member made at ``slot``, while it is live there."""
    return _confirmed_here(STAFF_RECENT, slot)[1]


def _booking_made_page(booking: Booking, slot: Slot):
    return render_template(
        "booking/booked_here.html", booking=booking, slot=slot, clinic=slot.clinic
    )


# --- the steps both take ---------------------------------------------------------------------


def _slot_or_404(slot_id: int) -> Slot:
    """The slot, or 404 when it is unknown or a draft clinic's."""
    try:
        slot = service.bookable_slot(db.session, slot_id)
    except service.ClinicNotFound:
        abort(404)
    use_for_school(slot.clinic.school)  # its partnership's name, notice and languages
    return slot


def _staff_slot_or_404(slot_id: int) -> Slot:
    """The slot, or 404 when it is unknown, a draft, or not the staff member's school's."""
    slot = _slot_or_404(slot_id)
    require_school_access(slot.clinic.school_id)
    return slot


def _answers(key: str, clinic_id: int) -> dict | None:
    """The answers kept from the form for this clinic, if any (the cookie, under ``key``,
    holds only the draft's id)."""
    kept = _draft(key)
    return kept[1] if kept is not None and kept[0] == clinic_id else None


def _draft(key: str) -> tuple[int, dict] | None:
    """The clinic and answers of this browser's draft under ``key``, read once a request
    (kept on ``g``: the per-email limit, the view and the page each ask)."""
    draft_id = session.get(key)
    read = g.setdefault("booking_drafts", {})
    if (key, draft_id) not in read:
        read[key, draft_id] = drafts.read(db.session, draft_id)
    return read[key, draft_id]


def _form_data(kept: dict | None) -> dict | None:
    """The form filled in again with the kept answers (they were agreed to)."""
    return {**kept, "consent": True} if kept else None


def _keep_answers(key: str, slot: Slot, answers: dict) -> None:
    """Keep the answers as a draft (replacing this browser's last one) until Confirm.
    Someone is booking afresh: what the last Confirm here told (an address, the devices)
    is forgotten."""
    session[key] = drafts.save(db.session, slot.clinic_id, answers, replaces=session.get(key))
    if key == ANSWERS:
        session.pop(BOOKED, None)
    db.session.commit()


def _refusal(pages: Pages, slot: Slot, *, has_answers: bool):
    """The page to show instead of the form when the slot cannot be booked now."""
    try:
        service.check_bookable(slot.clinic, slot, utcnow(), staff=pages.staff)
    except service.BookingError as exc:
        return _unavailable(slot, exc)
    if slot.places_left <= 0:
        return _slot_full(pages, slot, has_answers=has_answers)
    return None


def _not_booked(pages: Pages, slot: Slot, error: service.SlotFull | service.BookingError):
    """Confirm refused: the slot filled meanwhile (the answers are still kept), the clinic
    is gone (404), or another reason with its own page."""
    if isinstance(error, service.SlotFull):
        return _slot_full(pages, slot, has_answers=True)
    if isinstance(error, service.ClinicNotFound):
        abort(404)
    return _unavailable(slot, error)


def _slot_full(pages: Pages, slot: Slot, *, has_answers: bool):
    """409: the "slot is now full" page, offering the clinic's other times and the list.

    What it shows is read as plain values in the request's transaction, which then ends
    before the page is drawn: on SQLite a POST holds the write lock from its first
    statement, and in a rush (200 parents, 10 places) the refused ones drawing this page
    behind that lock were most of the wait.  Nothing of the person asking is on it, so
    for someone not signed in it is drawn once per worker for the same values
    (``clinic.pagecache``): in a rush every refused parent sees the same page."""
    clinic = slot.clinic
    others = tuple(
        (other.id, other.starts_at, other.ends_at, other.places_left)
        for other in service.other_open_slots(db.session, clinic, utcnow(), but=slot.id)
    )
    school, starts_at, clinic_id = (
        (clinic.school.slug, clinic.school.name),
        slot.starts_at,
        clinic.id,
    )
    db.session.rollback()

    def draw() -> str:
        return render_template(
            "booking/slot_full.html",
            flow=pages,
            others=[
                SimpleNamespace(id=id_, starts_at=starts, ends_at=ends, places_left=left)
                for id_, starts, ends, left in others
            ],
            has_answers=has_answers,
            slot=SimpleNamespace(starts_at=starts_at),
            clinic=SimpleNamespace(
                id=clinic_id, school=SimpleNamespace(slug=school[0], name=school[1])
            ),
        )

    if not pagecache.for_anyone():
        return draw(), 409
    # The language links point at this address: it is part of the key.
    key = pagecache.key_of(
        "slot full", request.full_path, pages, starts_at, others, has_answers, clinic_id, school
    )
    return pagecache.cached(pagecache.store("slot full", 64), key, lambda: draw().encode()), 409


def _unavailable(slot: Slot, error: service.BookingError):
    return (
        render_template(
            "booking/unavailable.html",
            slot=slot,
            clinic=slot.clinic,
            error=error,
            not_open=isinstance(error, service.BookingNotOpen),
        ),
        409,
    )


def _bot_refused(slot: Slot):
    current_app.logger.info("booking form refused: the hidden field was filled in")
    return render_template("booking/refused.html", slot=slot), 400


def _form_page(pages: Pages, form: HouseholdForm, slot: Slot, *, confirmed_here: bool = False):
    return render_template(
        "booking/form.html",
        form=form,
        flow=pages,
        slot=slot,
        clinic=slot.clinic,
        confirmed_here=confirmed_here,
    )


def _check_page(pages: Pages, form: ConfirmBookingForm, slot: Slot, answers: dict):
    if not form.submission_id.data or form.submission_id.errors:
        form.submission_id.data = str(uuid.uuid4())
    return render_template(
        "booking/check.html",
        form=form,
        flow=pages,
        slot=slot,
        clinic=slot.clinic,
        answers=answers,
        years=[SCHOOL_YEAR_LABELS.get(year, year) for year in answers.get("child_years", [])],
        help_with=_help_with(answers),
        interpreter=interpreter_label(
            answers.get("interpreter_language"), answers.get("interpreter_other")
        ),
    )


def _help_with(answers: dict) -> list[str]:
    """The devices and apps chosen, as the form labelled them, then the parent's own words."""
    chosen = [TOPIC_LABELS[value] for value in answers.get("topics", []) if value in TOPIC_LABELS]
    return chosen + ([answers["other_topic"]] if answers.get("other_topic") else [])


def _discard_draft(key: str) -> None:
    draft_id = session.pop(key, None)
    if draft_id is not None:
        drafts.discard(db.session, draft_id)
        db.session.commit()


# How many bookings made in this browser are remembered (pairs of ints: a small cookie).
RECENT_BOOKINGS = 5


def _remember_confirmed(key: str, slot_id: int, booking_id: int | None) -> None:
    """Note in this browser's session (under ``key``) that it pressed Confirm for
    ``slot_id`` (newest last), with the booking it made (0 when the address already had
    one)."""
    kept = session.get(key)
    kept = kept if isinstance(kept, list) else []
    kept = [pair for pair in kept if isinstance(pair, list) and pair[:1] != [slot_id]]
    session[key] = [*kept, [slot_id, booking_id or 0]][-RECENT_BOOKINGS:]


def _confirmed_here(key: str, slot: Slot) -> tuple[bool, Booking | None]:
    """Whether this same browser confirmed ``slot``, and the booking that made if it is
    still live there.  A booking since cancelled or moved counts as not confirmed, so the
    form comes back.

    Keyed on the browser's own (signed) session only, never on an email address, so
    nobody learns from it whether someone else booked."""
    kept = session.get(key)
    for pair in reversed(kept if isinstance(kept, list) else []):
        if not (isinstance(pair, list) and len(pair) == 2 and pair[0] == slot.id):
            continue
        if type(pair[1]) is not int:
            continue
        if pair[1] == 0:
            return True, None
        booking = db.session.get(Booking, pair[1])
        if booking is not None and booking.slot_id == slot.id and booking.is_live:
            return True, booking
        return False, None
    return False, None


# --- the household's details, drawn for the booking form and the waiting list ---------------


@bp.app_template_global()
def household_fields(form, staff: bool = False, email_hint: str | None = None) -> Markup:
    """The parent's details (``booking/_household_fields.html``), for the booking form and
    the waiting list.  Drawing its GOV.UK widgets was about 70% of the booking form's time,
    and a blank form draws the same HTML every time: that one is kept per worker
    (``clinic.pagecache``).  A form holding anything a person typed, or an error, is drawn
    for that request alone, so no parent's answer is ever kept."""

    def draw() -> str:
        return render_template(
            "booking/_household_fields.html", form=form, staff=staff, email_hint=email_hint
        )

    if not _blank(form):
        return Markup(draw())  # noqa: S704 - a template Jinja has escaped
    key = pagecache.key_of("household_fields", type(form).__qualname__, bool(staff), email_hint)
    return Markup(pagecache.cached(pagecache.pages(), key, draw))  # noqa: S704 - a template Jinja has escaped


def _blank(form) -> bool:
    """Nothing typed, nothing chosen, no error, in any of the form's fields."""
    return not any(
        field.raw_data or field.errors or field.data not in (None, "", [], False)
        for field in form
        if field.name != "csrf_token"
    )
