"""Public: finding a school, its clinics, and booking a place (parents, and staff for them).

The booking takes three pages and works without JavaScript: the form (Continue), the
check-your-answers page (Confirm booking), the confirmation.  The answers wait between
the first two in the session — Flask's signed cookie, so the server keeps no state and
any worker can take the next step; the cookie stays on the parent's own device and is
cleared once the booking is made.  Keeping them there (rather than in hidden fields) lets
the Change links on the check page be plain links back to a filled-in form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from xml.etree import ElementTree

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from .. import pagecache
from ..auth.service import may_access_school, require_school_access
from ..auth.views import roles_required
from ..extensions import client_address, db, limiter
from ..forms import form_view
from ..localtime import local_today
from ..models import Booking, Slot, normalise_email, utcnow
from ..outbox.service import external_url
from . import finder, service
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
    changes (``clinic.pagecache``: the key is read fresh on every request)."""
    school = _school_or_404(slug)
    now, today = utcnow(), local_today()

    def key() -> str:
        return pagecache.key_of(
            "school", finder.school_page_key(db.session, school, now=now, today=today)
        )

    def draw() -> str:
        listings = finder.upcoming_clinics(db.session, school, now=now, today=today)
        return render_template(
            "booking/school.html",
            school=school,
            listings=listings,
            staff_may_book=_staff_may_book(school.id),
        )

    return pagecache.cached_page(key, draw)


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
    staff: bool
    roles: tuple[str, ...] = ()


PARENT = Flow(
    form="booking.book",
    check="booking.check",
    done="booking.confirmation",
    form_class=HouseholdForm,
    answers_key="booking_answers",
    booked_key="booking_made",
    staff=False,
)
STAFF = Flow(
    form="booking.staff_book",
    check="booking.staff_check",
    done="booking.staff_confirmation",
    form_class=StaffHouseholdForm,
    answers_key="staff_booking_answers",
    booked_key="staff_booking_made",
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
    """The answers kept from the form for this clinic, if any."""
    kept = session.get(flow.answers_key)
    if isinstance(kept, dict) and kept.get("clinic_id") == clinic_id:
        return kept.get("answers")
    return None


def _form_step(flow: Flow, slot_id: int):
    slot = _slot_for(flow, slot_id)
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
        if service.live_booking_exists(db.session, slot.clinic_id, answers["email"]):
            form.email.errors.append(_already_booked_message(flow))
        else:
            session[flow.answers_key] = {"clinic_id": slot.clinic_id, "answers": answers}
            return redirect(url_for(flow.check, slot_id=slot.id))
    return render_template("booking/form.html", form=form, flow=flow, slot=slot, clinic=slot.clinic)


def _already_booked_message(flow: Flow) -> str:
    if flow.staff:
        return "This email address already has a booking at this clinic"
    return service.AlreadyBooked.message


def _check_step(flow: Flow, slot_id: int):
    slot = _slot_for(flow, slot_id)
    form = ConfirmBookingForm()
    if request.method == "POST" and form.validate():
        return _confirm(flow, slot, form.submission_id.data)
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
        flash("Your answers were not kept (the page was open too long). Enter them again.")
        return redirect(url_for(flow.form, slot_id=slot.id))
    try:
        booking = service.book_place(
            db.session,
            slot_id=slot.id,
            details=answers,
            submission_id=submission_id,
            booked_by=_current_staff() if flow.staff else None,
        )
    except service.SlotFull:
        db.session.rollback()
        return _slot_full(flow, slot)
    except service.AlreadySubmitted as exc:
        db.session.rollback()
        return _booked(flow, db.session.get(Booking, exc.booking_id))
    except service.ClinicNotFound:
        db.session.rollback()
        abort(404)
    except service.AlreadyBooked:
        db.session.rollback()
        return render_template("booking/already_booked.html", flow=flow, slot=slot), 409
    except service.BookingError as exc:
        db.session.rollback()
        return _unavailable(flow, slot, exc)
    db.session.commit()
    return _booked(flow, booking)


def _booked(flow: Flow, booking: Booking):
    session.pop(flow.answers_key, None)
    session[flow.booked_key] = booking.id
    return redirect(url_for(flow.done))


def _current_staff():
    return current_user._get_current_object()


def _done_step(flow: Flow):
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
    )


# --- rate limits on the parents' POSTs -------------------------------------------------


def _address_limit() -> str:
    return current_app.config["BOOKING_LIMIT_PER_ADDRESS"]


def _email_limit() -> str:
    return current_app.config["BOOKING_LIMIT_PER_EMAIL"]


def _email_key() -> str:
    """The email address the confirm button would book for (or, without one, the caller)."""
    kept = session.get(PARENT.answers_key)
    email = kept.get("answers", {}).get("email") if isinstance(kept, dict) else None
    if not email:
        return "booking-address:" + client_address()
    return "booking-email:" + normalise_email(email)[:254]


_per_address = limiter.shared_limit(_address_limit, scope="booking-address", methods=["POST"])
_per_email = limiter.limit(_email_limit, key_func=_email_key, methods=["POST"])


# --- routes: parents -------------------------------------------------------------------

# Ids the database can hold: a longer number is simply not found (PostgreSQL would refuse it).
SLOT = "<int:slot_id>"


@bp.route(f"/book/{SLOT}", methods=["GET", "POST"])
@_per_address
@form_view
def book(slot_id: int):
    return _form_step(PARENT, slot_id)


@bp.route(f"/book/{SLOT}/check", methods=["GET", "POST"])
@_per_address
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
