"""Public: finding a school, its clinics, and booking a place (parents, and staff for them).

The booking takes three pages and works without JavaScript: the form (Continue), the
check-your-answers page (Confirm booking), the confirmation.  The answers wait between
the first two on the server (``drafts``: the ``booking_draft`` table), and the session
cookie holds only the draft's random id, so whoever uses the browser next cannot read
them; any worker can take the next step.  The draft is deleted once the booking is made.
Keeping the answers there (rather than in hidden fields) lets the Change links on the
check page be plain links back to a filled-in form.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from xml.etree import ElementTree

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from .. import pagecache
from ..auth.access import current_staff, require_school_access, roles_required
from ..auth.scope import may_access_school
from ..extensions import db
from ..forms import form_view
from ..invites.bring import advice_by_topic, bring_for, bring_list
from ..links import external_url, keep_private
from ..localtime import local_today
from ..models import Booking, School, Slot, utcnow
from . import drafts, finder, limits, service
from .choices import TOPIC_LABELS
from .forms import ConfirmBookingForm, HouseholdForm, StaffHouseholdForm

bp = Blueprint("booking", __name__)


# --- finding a school ------------------------------------------------------------------


@bp.get("/schools")
def find_school():
    query = request.args.get("q", "").strip()[:100]
    matches = finder.find_schools(db.session, query, today=local_today())

    def draw() -> str:
        return render_template("booking/find_school.html", query=query, matches=matches)

    if not matches:  # what was typed matched no school: it is drawn, never kept
        return draw()
    shown = tuple(
        (m.school.id, m.school.slug, m.school.name, m.school.town, m.school.postcode, m.next_clinic)
        for m in matches
    )
    # Kept only when schools match, so the words kept are part of public school names,
    # towns or postcodes; the key holds everything the page shows.
    return pagecache.cached_page(lambda: pagecache.key_of("finder", query, shown), draw)


def _school_or_404(slug: str):
    school = finder.school_by_slug(db.session, slug)
    if school is None:
        abort(404)
    return school


@bp.get("/schools/<slug>")
def school_page(slug: str):
    """The school's clinics and places left; drawn once per worker while nothing on it
    changes (``clinic.pagecache``: the key is read fresh, in one query, on every request)."""
    now, today = utcnow(), local_today()
    shown = finder.school_page_key(db.session, slug, now=now, today=today)
    if shown is None:
        abort(404)

    def draw() -> str:
        school = db.session.get(School, shown.school_id)
        listings = finder.upcoming_clinics(db.session, school, now=now, today=today)
        return render_template(
            "booking/school.html",
            school=school,
            listings=listings,
            staff_may_book=_staff_may_book(school.id),
        )

    return pagecache.cached_page(lambda: pagecache.key_of("school", shown.values), draw)


def _staff_may_book(school_id: int) -> bool:
    """Signed-in officers and school staff of this school get "Book for a parent" links."""
    return (
        current_user.is_authenticated
        and current_user.role in STAFF.roles
        and may_access_school(current_user, school_id)
    )


@bp.get("/s/<slug>")
def short_link(slug: str):
    """The short address printed on posters and in newsletters."""
    school = _school_or_404(slug)
    return redirect(url_for("booking.school_page", slug=school.slug))


@bp.get("/schools/<slug>/poster")
def poster(slug: str):
    school = _school_or_404(slug)
    link = external_url("booking.short_link", slug=school.slug)
    listings = finder.upcoming_clinics(db.session, school, now=utcnow(), today=local_today())
    return render_template(
        "booking/poster.html",
        school=school,
        link=link,
        qr=qr_svg(link, f"QR code for {link}"),
        listings=listings,
    )


def qr_svg(data: str, label: str) -> Markup:
    """An inline SVG QR code that scales with its box and is named for screen readers."""
    import qrcode  # noqa: PLC0415 - with Pillow, heavy; only the poster needs it
    import qrcode.image.svg  # noqa: PLC0415

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.get_image()
    for size in ("width", "height"):
        svg.attrib.pop(size, None)
    svg.set("role", "img")
    svg.set("aria-label", label)
    svg.set("class", "app-poster__qr")
    return Markup(ElementTree.tostring(svg, encoding="unicode"))  # noqa: S704 - our own SVG


# --- booking: the flow shared by parents and staff -------------------------------------


@dataclass(frozen=True)
class Flow:
    """The endpoints, form and session keys of one way through the booking pages."""

    form: str
    check: str
    done: str
    form_class: type[HouseholdForm]
    answers_key: str
    booked_key: str
    recent_key: str
    staff: bool
    roles: tuple[str, ...] = ()


PARENT = Flow(
    form="booking.book",
    check="booking.check",
    done="booking.confirmation",
    form_class=HouseholdForm,
    answers_key="booking_answers",
    booked_key="booking_made",
    recent_key="booked_here",
    staff=False,
)
STAFF = Flow(
    form="booking.staff_book",
    check="booking.staff_check",
    done="booking.staff_confirmation",
    form_class=StaffHouseholdForm,
    answers_key="staff_booking_answers",
    booked_key="staff_booking_made",
    recent_key="staff_booked_here",
    staff=True,
    roles=("officer", "school"),
)


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
    store = pagecache.pages()
    key = pagecache.key_of("household_fields", type(form).__qualname__, bool(staff), email_hint)
    html = store.get(key)
    if html is None:
        html = draw()
        store.put(key, html)
    return Markup(html)  # noqa: S704 - a template Jinja has escaped


def _blank(form) -> bool:
    """Nothing typed, nothing chosen, no error, in any of the form's fields."""
    return not any(
        field.raw_data or field.errors or field.data not in (None, "", [], False)
        for field in form
        if field.name != "csrf_token"
    )


def _slot_for(flow: Flow, slot_id: int) -> Slot:
    """The slot, or 404 when it is unknown, a draft, or (staff) not their school's."""
    try:
        slot = service.bookable_slot(db.session, slot_id)
    except service.ClinicNotFound:
        abort(404)
    if flow.staff:
        require_school_access(slot.clinic.school_id)
    return slot


def _refusal(flow: Flow, slot: Slot):
    """The page to show instead of the form when the slot cannot be booked now."""
    try:
        service.check_bookable(slot.clinic, slot, utcnow(), staff=flow.staff)
    except service.BookingError as exc:
        return _unavailable(flow, slot, exc)
    if slot.places_left <= 0:
        return _slot_full(flow, slot)
    return None


def _slot_full(flow: Flow, slot: Slot):
    """409: the "slot is now full" page, offering the clinic's other times and the list."""
    clinic = slot.clinic
    others = [
        SimpleNamespace(
            id=other.id,
            starts_at=other.starts_at,
            ends_at=other.ends_at,
            places_left=other.places_left,
        )
        for other in service.other_open_slots(clinic, utcnow(), but=slot.id)
    ]
    shown = {
        "slot": SimpleNamespace(starts_at=slot.starts_at),
        "clinic": SimpleNamespace(
            id=clinic.id, school=SimpleNamespace(slug=clinic.school.slug, name=clinic.school.name)
        ),
    }
    has_answers = _answers(flow, clinic.id) is not None
    # End the transaction before drawing the page: on SQLite a POST holds the write lock
    # from its first statement, and in a rush (200 parents, 10 places) the refused ones
    # drawing this page one after another behind that lock were most of the wait.
    db.session.rollback()
    return (
        render_template(
            "booking/slot_full.html", flow=flow, others=others, has_answers=has_answers, **shown
        ),
        409,
    )


def _unavailable(flow: Flow, slot: Slot, error: service.BookingError):
    return (
        render_template(
            "booking/unavailable.html",
            flow=flow,
            slot=slot,
            clinic=slot.clinic,
            error=error,
            not_open=isinstance(error, service.BookingNotOpen),
        ),
        409,
    )


def _answers(flow: Flow, clinic_id: int) -> dict | None:
    """The answers kept from the form for this clinic, if any (the cookie holds only the
    draft's id)."""
    return drafts.answers(db.session, session.get(flow.answers_key), clinic_id)


# How many bookings made in this browser are remembered (pairs of ints: a small cookie).
RECENT_BOOKINGS = 5


def _remember_confirmed(flow: Flow, slot_id: int, booking_id: int | None) -> None:
    """Note in this browser's session that it pressed Confirm for ``slot_id`` (newest
    last), with the booking it made (0 when the address already had one)."""
    kept = session.get(flow.recent_key)
    kept = kept if isinstance(kept, list) else []
    kept = [pair for pair in kept if isinstance(pair, list) and pair[:1] != [slot_id]]
    session[flow.recent_key] = [*kept, [slot_id, booking_id or 0]][-RECENT_BOOKINGS:]


def _confirmed_here(flow: Flow, slot: Slot) -> tuple[bool, Booking | None]:
    """Whether this same browser confirmed ``slot``, and the booking that made if it is
    still live there.  A booking since cancelled or moved counts as not confirmed, so the
    form comes back.

    Keyed on the browser's own (signed) session only, never on an email address, so
    nobody learns from it whether someone else booked."""
    kept = session.get(flow.recent_key)
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


def _already_booked_here(flow: Flow, slot: Slot, *, instead_of_form: bool):
    """What Back, a reload or a second Confirm shows once this browser has confirmed
    ``slot``: never the form again nor "this time is now full".

    A parent sees the same "check your email" page as after Confirm, whether that booked
    the place or the address already had a booking (the page tells the typist nothing;
    the email has the link).  Staff book for one family after another: they see the
    booking they made, only where the form would not be shown anyway (the slot is full
    now, or there are no answers left to check)."""
    confirmed, booking = _confirmed_here(flow, slot)
    if not confirmed:
        return None
    if not flow.staff:
        told = session.get(flow.booked_key)
        same = isinstance(told, dict) and told.get("slot_id") == slot.id
        return _check_your_email_page(slot, told if same else {})
    if booking is None or (instead_of_form and slot.places_left > 0):
        return None
    return render_template(
        "booking/booked_here.html", flow=flow, booking=booking, slot=slot, clinic=slot.clinic
    )


def _private(step):
    """The form and check pages hold the household's answers (and, once booked, the
    booking's own link): no cache keeps them, so Back asks again and sees what is true now."""

    @functools.wraps(step)
    def wrapper(flow: Flow, slot_id: int):
        return keep_private(make_response(step(flow, slot_id)))

    return wrapper


@_private
def _form_step(flow: Flow, slot_id: int):
    slot = _slot_for(flow, slot_id)
    booked_here = _already_booked_here(flow, slot, instead_of_form=True)
    if booked_here is not None:
        return booked_here
    refused = _refusal(flow, slot)
    if refused is not None:
        return refused
    kept = _answers(flow, slot.clinic_id)
    form = flow.form_class(data={**kept, "consent": True} if kept else None)
    if form.validate_on_submit():
        if form.is_bot():
            current_app.logger.info("booking form refused: the hidden field was filled in")
            return render_template("booking/refused.html", slot=slot), 400
        answers = form.values()
        # Staff are told at once; a parent's form goes on as usual, so it tells whoever
        # typed an address nothing (``service.tell_already_booked`` at Confirm).
        if flow.staff and service.live_booking_exists(db.session, slot.clinic_id, answers["email"]):
            form.email.errors.append(_already_booked_message(flow))
        else:
            session[flow.answers_key] = drafts.save(
                db.session, slot.clinic_id, answers, replaces=session.get(flow.answers_key)
            )
            db.session.commit()
            return redirect(url_for(flow.check, slot_id=slot.id))
    return render_template("booking/form.html", form=form, flow=flow, slot=slot, clinic=slot.clinic)


def _already_booked_message(flow: Flow) -> str:
    return "This email address already has a booking at this clinic"


@_private
def _check_step(flow: Flow, slot_id: int):
    slot = _slot_for(flow, slot_id)
    form = ConfirmBookingForm()
    if request.method == "POST" and form.validate():
        return _confirm(flow, slot, form.submission_id.data)
    if _answers(flow, slot.clinic_id) is None or not flow.staff:
        booked_here = _already_booked_here(flow, slot, instead_of_form=False)
        if booked_here is not None:
            return booked_here
    refused = _refusal(flow, slot)
    if refused is not None:
        return refused
    answers = _answers(flow, slot.clinic_id)
    if answers is None:
        return redirect(url_for(flow.form, slot_id=slot.id))
    if not form.submission_id.data or form.submission_id.errors:
        form.submission_id.data = str(uuid.uuid4())
    return render_template(
        "booking/check.html",
        form=form,
        flow=flow,
        slot=slot,
        clinic=slot.clinic,
        answers=answers,
        help_with=_help_with(answers),
    )


def _help_with(answers: dict) -> list[str]:
    """The devices and apps chosen, as the form labelled them, then the parent's own words."""
    chosen = [TOPIC_LABELS[value] for value in answers.get("topics", []) if value in TOPIC_LABELS]
    return chosen + ([answers["other_topic"]] if answers.get("other_topic") else [])


def _confirm(flow: Flow, slot: Slot, submission_id: str):
    """Make the booking from the kept answers; each refusal has its own page."""
    made = service.booking_for_submission(db.session, submission_id)
    if made is not None:  # a second click, after the first one's answer arrived
        return _booked(flow, made)
    answers = _answers(flow, slot.clinic_id)
    if answers is None:
        booked_here = _already_booked_here(flow, slot, instead_of_form=False)
        if booked_here is not None:  # Back to an old check page, then Confirm again
            return booked_here
        flash("Your answers were not kept (the page was open too long). Enter them again.")
        return redirect(url_for(flow.form, slot_id=slot.id))
    try:
        booking = service.book_place(
            db.session,
            slot_id=slot.id,
            details=answers,
            submission_id=submission_id,
            booked_by=current_staff() if flow.staff else None,
        )
    except service.SlotFull:
        db.session.rollback()
        return _slot_full(flow, slot)
    except service.AlreadySubmitted as exc:
        db.session.rollback()
        return _booked(flow, db.session.get_one(Booking, exc.booking_id))
    except service.ClinicNotFound:
        db.session.rollback()
        abort(404)
    except service.AlreadyBooked:
        db.session.rollback()
        if flow.staff:
            flash(_already_booked_message(flow) + ". Nothing new was booked.")
            return redirect(url_for(flow.form, slot_id=slot.id))
        service.tell_already_booked(db.session, slot.clinic_id, answers["email"])
        db.session.commit()
        return _told(flow, slot.id, answers["email"], answers.get("topics"))
    except service.BookingError as exc:
        db.session.rollback()
        return _unavailable(flow, slot, exc)
    db.session.commit()
    return _booked(flow, booking)


def _booked(flow: Flow, booking: Booking):
    if not flow.staff:
        return _told(flow, booking.slot_id, booking.email, booking.topics, booking.id)
    _discard_draft(flow)
    session[flow.booked_key] = booking.id
    _remember_confirmed(flow, booking.slot_id, booking.id)
    return redirect(url_for(flow.done))


def _told(flow: Flow, slot_id: int, email: str, topics, booking_id: int | None = None):
    """A parent's Confirm, booked or already booked: the same "check your email" page,
    which says only what they typed themselves (the address, what to bring for the
    topics they chose)."""
    _discard_draft(flow)
    topics = [topic for topic in topics or () if isinstance(topic, str)]
    session[flow.booked_key] = {"slot_id": slot_id, "email": email, "topics": topics}
    _remember_confirmed(flow, slot_id, booking_id)
    return redirect(url_for(flow.done))


def _discard_draft(flow: Flow) -> None:
    draft_id = session.pop(flow.answers_key, None)
    if draft_id is not None:
        drafts.discard(db.session, draft_id)
        db.session.commit()


def _done_step(flow: Flow):
    if not flow.staff:
        return _check_your_email()
    booking_id = session.get(flow.booked_key)
    booking = db.session.get(Booking, booking_id) if isinstance(booking_id, int) else None
    if booking is None:
        return redirect(url_for("core.home"))
    if flow.staff:
        require_school_access(booking.clinic.school_id)
    return render_template(
        "booking/confirmation.html",
        flow=flow,
        booking=booking,
        slot=booking.slot,
        clinic=booking.clinic,
        bring=bring_for(db.session, booking),
    )


def _check_your_email():
    told = session.get(PARENT.booked_key)
    slot_id = told.get("slot_id") if isinstance(told, dict) else None
    slot = db.session.get(Slot, slot_id) if type(slot_id) is int else None
    if slot is None:
        return redirect(url_for("core.home"))
    return _check_your_email_page(slot, told)


def _check_your_email_page(slot: Slot, told: dict):
    topics = told.get("topics")
    return render_template(
        "booking/check_email.html",
        slot=slot,
        clinic=slot.clinic,
        email=told.get("email"),
        bring=bring_list(topics if isinstance(topics, list) else None, advice_by_topic(db.session)),
    )


# --- rate limits on the parents' POSTs (what each is keyed on: clinic/booking/limits.py) --


def _kept_email() -> str | None:
    """The email address the confirm button would book for (the answers wait on the server)."""
    kept = drafts.answers(db.session, session.get(PARENT.answers_key))
    return kept.get("email") if kept else None


_per_address = limits.per_address("BOOKING_LIMIT_PER_ADDRESS", "booking-address")
_per_session = limits.per_session("BOOKING_LIMIT_PER_SESSION", "booking-session")
_per_email = limits.per_email("BOOKING_LIMIT_PER_EMAIL", _kept_email)


# --- routes: parents -------------------------------------------------------------------

# Ids the database can hold: a longer number is simply not found (PostgreSQL would refuse it).
SLOT = "<int:slot_id>"


@bp.route(f"/book/{SLOT}", methods=["GET", "POST"])
@_per_address
@_per_session
@form_view
def book(slot_id: int):
    return _form_step(PARENT, slot_id)


@bp.route(f"/book/{SLOT}/check", methods=["GET", "POST"])
@_per_address
@_per_session
@_per_email
@form_view
def check(slot_id: int):
    return _check_step(PARENT, slot_id)


@bp.get("/book/confirmation")
def confirmation():
    return _done_step(PARENT)


# --- routes: staff booking for a parent (a phone call to the school office) ------------


@bp.route(f"/staff/book/{SLOT}", methods=["GET", "POST"])
@roles_required(*STAFF.roles)
@form_view
def staff_book(slot_id: int):
    return _form_step(STAFF, slot_id)


@bp.route(f"/staff/book/{SLOT}/check", methods=["GET", "POST"])
@roles_required(*STAFF.roles)
@form_view
def staff_check(slot_id: int):
    return _check_step(STAFF, slot_id)


@bp.get("/staff/book/confirmation")
@roles_required(*STAFF.roles)
def staff_confirmation():
    return _done_step(STAFF)
