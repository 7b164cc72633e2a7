"""The rules for clinics and slots: create, publish, change, cancel, copy; the officer feed.

Plain functions taking a session. They raise named errors (``ClinicError`` with the field
each message belongs next to, ``StaleClinic``, ``NeedsConfirmation``) and never commit: the
caller commits once, so a change, its audit events and every email it causes are saved
together or not at all (design rule 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..auth.scope import scoped_school_filter
from ..booking.places import give_back_every_place
from ..errors import RuleError
from ..filters import format_date, format_time
from ..localtime import local_today, zone_name
from ..manage import service as manage
from ..models import Booking, Clinic, School, Slot, User, WaitlistEntry, utcnow
from ..notices import send_booking_email, send_booking_text
from ..paging import PER_PAGE, Window
from ..waitlist import service as waitlist
from ..workdays import WEEKEND, bank_holiday, why_not_working
from .slots import (
    MAX_SLOTS,
    SlotPattern,
    SlotPatternError,
    check_capacity,
    generate_slots,
    local_instant,
    shift_to_day,
)

STATUSES = ("draft", "published", "cancelled", "past")
DEFAULT_TITLE = "Parental controls clinic"
CLOSE_BEFORE_START = timedelta(hours=24)
_HOURS = int(CLOSE_BEFORE_START.total_seconds() // 3600)
# What the booking-window boxes say when left blank: the rule of booking_window(), in words.
DEFAULT_WINDOW_HINT = (
    f"Leave these blank and booking opens as soon as you publish, and closes {_HOURS} hours "
    f"before the first slot. A clinic you make less than {_HOURS} hours before it starts "
    "can be booked until it starts."
)


# --- errors -----------------------------------------------------------------------------------


class ClinicError(RuleError):
    """A broken rule, with the form field its message belongs next to."""

    @classmethod
    def on(cls, field_name: str, message: str, **extra) -> ClinicError:
        error = cls(message, field_name)
        error.__dict__.update(extra)
        return error


class SlotHasBookings(ClinicError):
    """The slot holds bookings that would be lost; ``bookings`` says whose."""

    bookings: list[Booking]


class OverlapWarning(ClinicError):
    """The officer already runs a clinic at that time; saved only when they say so."""

    clinics: list[Clinic]


class ClosedDayWarning(ClinicError):
    """The clinic falls on a weekend or a bank holiday, when schools are usually closed;
    saved only when the officer says the school is open."""


class StaleClinic(Exception):
    """Someone else saved the clinic after this form was opened."""

    def __init__(self, clinic_id: int):
        super().__init__(f"clinic {clinic_id} was changed by someone else")
        self.clinic_id = clinic_id


@dataclass
class NeedsConfirmation(Exception):
    """The change must be confirmed first: these booked households will be emailed."""

    changes: list[str]
    bookings: list[Booking]


# --- values the forms hand over ---------------------------------------------------------------


@dataclass(frozen=True)
class ClinicDetails:
    """What an officer types about a clinic. Blank booking times mean "use the default"."""

    title: str
    description: str
    venue: str
    date: date
    booking_opens_at: datetime | None = None
    booking_closes_at: datetime | None = None


@dataclass(frozen=True)
class Changed:
    """What a change told parents, and which booked households were emailed."""

    changes: list[str]
    told: list[Booking]


@dataclass(frozen=True)
class Cancelled:
    """Who was told of a cancellation: the bookings cancelled and the waiting list's size."""

    bookings: list[Booking]
    waiting: int


@dataclass
class ClinicRow:
    """One clinic on the dashboard, with its totals counted by the database."""

    clinic: Clinic
    status: str
    slots: int
    capacity: int
    booked: int
    waiting: int
    starts_at: datetime | None
    ends_at: datetime | None
    next_action: str = field(default="")


# --- reading ----------------------------------------------------------------------------------


def slot_totals(clinic_ids=None):
    """Per clinic: number of slots, places, places booked, first start and last end.
    ``clinic_ids`` (a select of clinic ids) limits the sums to those clinics, so a page
    that shows some clinics does not add up the whole installation's slots."""
    statement = select(
        Slot.clinic_id,
        func.count(Slot.id).label("slots"),
        func.sum(Slot.capacity).label("capacity"),
        func.sum(Slot.booked).label("booked"),
        func.min(Slot.starts_at).label("starts_at"),
        func.max(Slot.ends_at).label("ends_at"),
    )
    if clinic_ids is not None:
        statement = statement.where(Slot.clinic_id.in_(clinic_ids))
    return statement.group_by(Slot.clinic_id).subquery()


def _waiting_totals(clinic_ids):
    return (
        select(WaitlistEntry.clinic_id, func.count(WaitlistEntry.id).label("waiting"))
        .where(WaitlistEntry.is_live, WaitlistEntry.clinic_id.in_(clinic_ids))
        .group_by(WaitlistEntry.clinic_id)
        .subquery()
    )


class Dated(Protocol):
    """What ``display_status`` reads: a ``Clinic``, or a row of its columns."""

    @property
    def status(self) -> str: ...

    @property
    def date(self) -> date: ...


def display_status(clinic: Dated, today: date) -> str:
    """draft, published or cancelled as stored; "past" once the day has gone."""
    if clinic.status != "cancelled" and clinic.date < today:
        return "past"
    return clinic.status


def _status_filter(status: str, today: date):
    if status == "past":
        return (Clinic.status != "cancelled") & (Clinic.date < today)
    if status == "cancelled":
        return Clinic.status == "cancelled"
    return (Clinic.status == status) & (Clinic.date >= today)


@dataclass
class ClinicsPage:
    """One page of the dashboard: its rows, and where it is among the pages."""

    rows: list[ClinicRow]
    window: Window


def dashboard_page(
    session: Session,
    user: User,
    *,
    school_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    now: datetime | None = None,
) -> ClinicsPage:
    """One page of the clinics this user may see, upcoming first (soonest first), then past
    (latest first): a coordinator's partnership runs hundreds of clinics a year.

    The totals, and how many clinics match, are counted by the database in the same query,
    not by loading every slot; a second query fetches the officers' names.
    """
    today = local_today(now)
    # The publish route's rule: officers and admins, at the schools they see (these rows).
    may_publish = user.role in ("officer", "admin")
    where = [scoped_school_filter(user, Clinic.school_id)]
    if school_id is not None:
        where.append(Clinic.school_id == school_id)
    if status in STATUSES:
        where.append(_status_filter(status, today))
    # Sums for the user's clinics only (issue 21: not every partnership's slots).
    seen = select(Clinic.id).where(*where)
    totals, waiting = slot_totals(seen), _waiting_totals(seen)
    upcoming = Clinic.date >= today
    statement = (
        # How many match comes with each row (a window function), so one query does.
        select(Clinic, totals, waiting.c.waiting, func.count().over().label("matching"))
        .join(Clinic.school)
        .outerjoin(totals, totals.c.clinic_id == Clinic.id)
        .outerjoin(waiting, waiting.c.clinic_id == Clinic.id)
        .options(contains_eager(Clinic.school), selectinload(Clinic.officer))
        .where(*where)
        .order_by(
            case((upcoming, 0), else_=1),
            case((upcoming, Clinic.date)).asc(),  # upcoming: soonest first
            case((~upcoming, Clinic.date)).desc(),  # past: latest first
            totals.c.starts_at,
            School.name,
            Clinic.id,
        )
        .limit(per_page)
    )
    number = max(page, 1)
    results = session.execute(statement.offset((number - 1) * per_page)).all()
    if not results and number > 1:  # past the last page (an old link): show the last
        total = session.scalar(select(func.count()).select_from(Clinic).where(*where)) or 0
        number = Window.over(total, number, per_page).number
        results = session.execute(statement.offset((number - 1) * per_page)).all()
    window = Window.over(results[0].matching if results else 0, number, per_page)
    rows = []
    for result in results:
        clinic = result.Clinic
        row = ClinicRow(
            clinic=clinic,
            status=display_status(clinic, today),
            slots=result.slots or 0,
            capacity=result.capacity or 0,
            booked=result.booked or 0,
            waiting=result.waiting or 0,
            starts_at=result.starts_at,
            ends_at=result.ends_at,
        )
        row.next_action = next_action(row, today, may_publish=may_publish)
        rows.append(row)
    return ClinicsPage(rows, window)


def next_action(row: ClinicRow, today: date, *, may_publish: bool = True) -> str:
    """What the viewer most likely needs to do next with this clinic, in a few words.
    Adding slots and publishing are for those who may (``may_publish``: officers and
    admins, as the publish route allows); school staff are told who does it."""
    if row.status == "cancelled":
        return "Nothing: it is cancelled"
    if row.status == "past":
        return "Check who came"
    if row.slots == 0:
        return "Add slots" if may_publish else "Waiting for the officer to add times"
    if row.status == "draft":
        return "Check and publish" if may_publish else "Waiting for the officer to publish it"
    if row.clinic.date == today:
        return "Run the clinic today"
    if row.booked >= row.capacity:
        return "Full: think about another date" if row.waiting else "Full"
    return "Tell parents about it"


def schools_to_run(user: User) -> list[School]:
    """The schools where this user may put on clinics (officers: the ones they cover)."""
    return list(user.schools) if user.role == "officer" else []


def live_bookings(session: Session, slot_ids, *, status: str = "confirmed") -> list[Booking]:
    """Bookings in these slots, in slot then name order (for lists of who to tell).

    ``status="live"`` includes bookings already marked attended or no-show."""
    kept = Booking.is_live if status == "live" else Booking.status == status
    statement = (
        select(Booking)
        .join(Booking.slot)
        .where(Booking.slot_id.in_(list(slot_ids)), kept)
        .options(contains_eager(Booking.slot))
        .order_by(Slot.starts_at, Booking.parent_name, Booking.id)
    )
    return list(session.scalars(statement))


def find_overlaps(
    session: Session,
    officer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    exclude_clinic_id: int | None = None,
) -> list[Clinic]:
    """The officer's other clinics (not cancelled) that run during any of this time."""
    totals = slot_totals(select(Clinic.id).where(Clinic.officer_id == officer_id))
    statement = (
        select(Clinic)
        .join(totals, totals.c.clinic_id == Clinic.id)
        .where(
            Clinic.officer_id == officer_id,
            Clinic.status != "cancelled",
            totals.c.starts_at < ends_at,
            totals.c.ends_at > starts_at,
        )
        .options(selectinload(Clinic.school))
        .order_by(totals.c.starts_at)
    )
    if exclude_clinic_id is not None:
        statement = statement.where(Clinic.id != exclude_clinic_id)
    return list(session.scalars(statement))


# --- checks shared by create, copy and change -------------------------------------------------


def _check_future(
    day: date, first_start: datetime | None, now: datetime, start_field: str = "start_time"
) -> None:
    if day < local_today(now):
        raise ClinicError.on("date", "The date of the clinic must be today or in the future")
    if first_start is not None and first_start <= now:
        raise ClinicError.on(start_field, "The clinic must start later than now")


def booking_window(
    opens_at: datetime | None,
    closes_at: datetime | None,
    first_start: datetime | None,
    now: datetime,
) -> tuple[datetime, datetime | None]:
    """When parents may book: given times, or from now until 24 hours before the first slot
    (or until it starts, when that is less than 24 hours away).  A clinic with no slots
    yet has no default closing time."""
    opens_at = opens_at or now
    if closes_at is None and first_start is not None:
        closes_at = first_start - CLOSE_BEFORE_START
        if closes_at <= opens_at:
            closes_at = first_start
    if closes_at is None:
        return opens_at, None
    if first_start is not None and closes_at > first_start:
        raise ClinicError.on(
            "booking_closes", "Booking must close before the clinic starts, not after"
        )
    if closes_at <= opens_at:
        raise ClinicError.on("booking_closes", "Booking must close after it opens")
    return opens_at, closes_at


def _check_overlaps(
    session: Session,
    officer_id: int,
    times: list[tuple[datetime, datetime]],
    *,
    exclude_clinic_id: int | None = None,
) -> None:
    clinics = find_overlaps(
        session,
        officer_id,
        times[0][0],
        times[-1][1],
        exclude_clinic_id=exclude_clinic_id,
    )
    if clinics:
        names = "; ".join(
            f"{c.title} at {c.school.name}, {format_date(c.date)}" for c in clinics[:3]
        )
        raise OverlapWarning.on(
            "date", f"You already have a clinic at this time: {names}", clinics=clinics
        )


def check_school_day(day: date) -> None:
    """A clinic on a weekend or an England bank holiday needs the officer's "save anyway"."""
    reason = why_not_working(day)
    if reason is not None:
        raise ClosedDayWarning.on(
            "date",
            f"{format_date(day)} is {reason}, when schools are usually closed. "
            "Check the school is open that day, or choose another date",
        )


def closed_day_hint(day: date | None) -> str:
    """The hint under "Save it anyway: the school is open that day", from the reason the
    warning gave: a bank holiday (even one on a Saturday) or a weekend."""
    holiday = bank_holiday(day) if day is not None else None
    if holiday is not None:
        if holiday.endswith(" (observed)"):
            holiday = "the substitute day for " + holiday.removesuffix(" (observed)")
        return (
            f"Only if the school really is open on {holiday}: "
            "most schools are closed on bank holidays."
        )
    if day is not None and day.weekday() in WEEKEND:
        return f"For example, a school open on a {WEEKEND[day.weekday()]} for a family event."
    return "Only if the school is open that day."


def _check_version(clinic: Clinic, expected_version: int | None) -> None:
    if expected_version != clinic.version:
        raise StaleClinic(clinic.id)


def _check_changeable(clinic: Clinic, now: datetime) -> None:
    if clinic.status == "cancelled":
        raise ClinicError.on("submit", "This clinic has been cancelled, so it cannot be changed")
    if clinic.date < local_today(now):
        raise ClinicError.on("submit", "This clinic has already happened, so it cannot be changed")


def _save(session: Session, clinic: Clinic) -> None:
    """Write now, so a clinic saved by someone else meanwhile fails here (optimistic lock)."""
    clinic_id = clinic.id
    clinic.updated_at = utcnow()  # always an UPDATE of the clinic row, so its version counts
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleClinic(clinic_id) from exc


# --- create, copy, publish --------------------------------------------------------------------


def plan_slots(
    details: ClinicDetails, pattern: SlotPattern, now: datetime | None = None
) -> list[tuple[datetime, datetime]]:
    """The slots a new clinic would get, after every check but the overlap one (the preview)."""
    now = now or utcnow()
    try:
        times = generate_slots(details.date, pattern, zone_name())
    except SlotPatternError as exc:
        raise ClinicError.on(exc.field, str(exc)) from exc
    _check_future(details.date, times[0][0], now)
    booking_window(details.booking_opens_at, details.booking_closes_at, times[0][0], now)
    return times


def create_clinic(
    session: Session,
    actor: User,
    *,
    school: School,
    details: ClinicDetails,
    pattern: SlotPattern,
    allow_overlap: bool = False,
    allow_closed_day: bool = False,
    now: datetime | None = None,
) -> Clinic:
    """A draft clinic run by ``actor`` at ``school`` with its slots laid out by ``pattern``.

    Two warnings need the officer's "save anyway": ``OverlapWarning`` (they run another
    clinic then) and ``ClosedDayWarning`` (a weekend or a bank holiday)."""
    now = now or utcnow()
    times = plan_slots(details, pattern, now)
    return _new_clinic(
        session,
        actor,
        school,
        details,
        [(start, end, pattern.capacity) for start, end in times],
        allow_overlap=allow_overlap,
        allow_closed_day=allow_closed_day,
        now=now,
        action="clinic.create",
    )


def copy_clinic(
    session: Session,
    actor: User,
    source: Clinic,
    *,
    day: date,
    booking_opens_at: datetime | None = None,
    booking_closes_at: datetime | None = None,
    allow_overlap: bool = False,
    allow_closed_day: bool = False,
    now: datetime | None = None,
) -> Clinic:
    """A new draft on ``day`` with the source's details and the same slots by the clock."""
    now = now or utcnow()
    if not source.slots:
        raise ClinicError.on("date", "This clinic has no slots to copy")
    try:
        slots = [
            (
                shift_to_day(slot.starts_at, day, zone_name()),
                shift_to_day(slot.ends_at, day, zone_name()),
                slot.capacity,
            )
            for slot in source.slots
        ]
    except SlotPatternError as exc:
        raise ClinicError.on("date", str(exc)) from exc
    details = ClinicDetails(
        title=source.title,
        description=source.description,
        venue=source.venue,
        date=day,
        booking_opens_at=booking_opens_at,
        booking_closes_at=booking_closes_at,
    )
    _check_future(day, slots[0][0], now)
    clinic = _new_clinic(
        session,
        actor,
        source.school,
        details,
        slots,
        allow_overlap=allow_overlap,
        allow_closed_day=allow_closed_day,
        now=now,
        action="clinic.copy",
    )
    audit.record(session, actor, "clinic.copied", source, copy_id=clinic.id)
    return clinic


def _new_clinic(
    session: Session,
    actor: User,
    school: School,
    details: ClinicDetails,
    slots: list[tuple[datetime, datetime, int]],
    *,
    allow_overlap: bool,
    allow_closed_day: bool,
    now: datetime,
    action: str,
) -> Clinic:
    slots = sorted(slots)
    opens_at, closes_at = booking_window(
        details.booking_opens_at, details.booking_closes_at, slots[0][0], now
    )
    if not allow_closed_day:
        check_school_day(details.date)
    if not allow_overlap:
        _check_overlaps(session, actor.id, [(s, e) for s, e, _ in slots])
    clinic = Clinic(
        school=school,
        officer=actor,
        title=details.title.strip() or DEFAULT_TITLE,
        description=details.description.strip(),
        venue=details.venue.strip(),
        date=details.date,
        status="draft",
        booking_opens_at=opens_at,
        booking_closes_at=closes_at,
        slots=[Slot(starts_at=s, ends_at=e, capacity=c, booked=0) for s, e, c in slots],
    )
    session.add(clinic)
    session.flush()
    audit.record(session, actor, action, clinic, slots=len(slots), date=clinic.date.isoformat())
    return clinic


def publish_clinic(
    session: Session,
    actor: User,
    clinic: Clinic,
    *,
    expected_version: int | None,
    now: datetime | None = None,
) -> None:
    """Parents see a clinic only once it is published."""
    now = now or utcnow()
    _check_version(clinic, expected_version)
    _check_changeable(clinic, now)
    if clinic.status != "draft":
        raise ClinicError.on("submit", "This clinic is already published")
    if not clinic.slots:
        raise ClinicError.on("submit", "Add at least one slot before you publish the clinic")
    if clinic.slots[0].starts_at <= now:
        raise ClinicError.on("submit", "This clinic has already started, so it cannot be published")
    clinic.status = "published"
    clinic.sequence += 1
    _save(session, clinic)
    audit.record(session, actor, "clinic.publish", clinic)


# --- changing a clinic ------------------------------------------------------------------------


def update_clinic(
    session: Session,
    actor: User,
    clinic: Clinic,
    details: ClinicDetails,
    *,
    expected_version: int | None,
    confirmed: bool = False,
    allow_overlap: bool = False,
    allow_closed_day: bool = False,
    now: datetime | None = None,
) -> Changed:
    """Change a clinic's details; a new date moves every slot to the same times that day.

    When the date or the place changes and households have booked, ``NeedsConfirmation``
    comes first; once confirmed, each booked parent is emailed what changed with an
    updated invite (same UID, higher SEQUENCE).
    """
    now = now or utcnow()
    _check_version(clinic, expected_version)
    _check_changeable(clinic, now)
    moves = _slot_times_on(clinic, details.date)
    first_start = min((s for s, _ in moves.values()), default=None)
    if details.date != clinic.date:
        _check_future(details.date, first_start, now, "date")
    opens_at, closes_at = booking_window(
        details.booking_opens_at or clinic.booking_opens_at,
        details.booking_closes_at,
        first_start,
        now,
    )
    if details.date != clinic.date and not allow_closed_day:
        check_school_day(details.date)
    if details.date != clinic.date and moves and not allow_overlap:
        _check_overlaps(
            session, clinic.officer_id, sorted(moves.values()), exclude_clinic_id=clinic.id
        )

    notes = []
    if details.date != clinic.date:
        notes.append(LazyString(_date_changed, clinic.date, details.date))
    if details.venue.strip() != clinic.venue.strip():
        notes.append(LazyString(_venue_changed, clinic.venue, details.venue))
    changes = in_english(notes)
    told = live_bookings(session, [slot.id for slot in clinic.slots]) if changes else []
    if told and not confirmed:
        raise NeedsConfirmation(changes, told)

    clinic.title = details.title.strip() or DEFAULT_TITLE
    clinic.description = details.description.strip()
    clinic.venue = details.venue.strip()
    clinic.date = details.date
    clinic.booking_opens_at, clinic.booking_closes_at = opens_at, closes_at
    for slot in clinic.slots:
        slot.starts_at, slot.ends_at = moves[slot.id]
    clinic.sequence += 1
    _save(session, clinic)
    audit.record(
        session, actor, "clinic.change", clinic, changes=changes, told=[b.id for b in told]
    )
    _tell(session, actor, clinic, told, notes)
    return Changed(changes, told)


# What changed, in plain sentences for the parents told of it.  Each is a ``LazyString``
# over one of these functions, so each household's email writes it in its own language
# (``queue_email`` draws it inside ``force_locale``); the officer's page and the audit log
# get it in English (``in_english``).


def in_english(notes: list[LazyString]) -> list[str]:
    with force_locale("en"):
        return [str(note) for note in notes]


def _date_changed(old: date, new: date) -> str:
    return _(
        "The date has changed from %(old)s to %(new)s", old=format_date(old), new=format_date(new)
    )


def _venue_changed(old: str, new: str) -> str:
    return _(
        "Where to go has changed from “%(old)s” to “%(new)s”",
        old=_venue_as_quoted(old),
        new=_venue_as_quoted(new),
    )


def _time_changed(old: datetime, new: datetime) -> str:
    return _(
        "The time has changed from %(old)s to %(new)s", old=format_time(old), new=format_time(new)
    )


def _end_changed(old: datetime, new: datetime) -> str:
    return _(
        "It now ends at %(new)s instead of %(old)s", new=format_time(new), old=format_time(old)
    )


def _venue_as_quoted(venue: str) -> str:
    """A venue as it reads between quotes in the change email: every run of white space
    (line breaks and spaces alike) one space, and "not given" when blank.  Not
    ``text.one_line``, which cleans what is stored: it leaves runs of spaces as typed and
    a blank value blank."""
    return " ".join(venue.split()) or _("not given")


def _slot_times_on(clinic: Clinic, day: date) -> dict[int, tuple[datetime, datetime]]:
    """Each slot's start and end moved to ``day`` at the same wall-clock times."""
    try:
        return {
            slot.id: (
                shift_to_day(slot.starts_at, day, zone_name()),
                shift_to_day(slot.ends_at, day, zone_name()),
            )
            for slot in clinic.slots
        }
    except SlotPatternError as exc:
        raise ClinicError.on("date", str(exc)) from exc


def _tell(
    session: Session, actor: User, clinic: Clinic, bookings: list[Booking], notes: list[LazyString]
) -> None:
    """Email each booked household what changed, with its invite updated (SEQUENCE + 1),
    in the household's language."""
    changes = in_english(notes)
    school = clinic.school.name
    for booking in bookings:
        booking.sequence += 1
        send_booking_email(
            session,
            booking,
            template="clinic_changed",
            subject=lambda: _("Your clinic booking has changed – %(school)s", school=school),
            kind="clinic_changed",
            changes=notes,
        )
        send_booking_text(session, booking, template="clinic_changed", kind="clinic_changed")
        audit.record(
            session,
            actor,
            "booking.told_of_change",
            booking,
            school_id=clinic.school_id,
            changes=changes,
        )


# --- slots one by one -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotTimes:
    """A slot as typed: local start and end on the clinic's date, and its capacity."""

    start: time
    end: time
    capacity: int


def _slot_instants(clinic: Clinic, times: SlotTimes) -> tuple[datetime, datetime]:
    try:
        check_capacity(times.capacity)
        starts_at = local_instant(clinic.date, times.start, zone_name(), "start_time")
        ends_at = local_instant(clinic.date, times.end, zone_name(), "end_time")
    except SlotPatternError as exc:
        raise ClinicError.on(exc.field, str(exc)) from exc
    if ends_at <= starts_at:
        raise ClinicError.on("end_time", "The end time must be after the start time")
    return starts_at, ends_at


def add_slot(
    session: Session,
    actor: User,
    clinic: Clinic,
    times: SlotTimes,
    *,
    expected_version: int | None,
    now: datetime | None = None,
) -> Slot:
    now = now or utcnow()
    _check_version(clinic, expected_version)
    _check_changeable(clinic, now)
    if len(clinic.slots) >= MAX_SLOTS:
        raise ClinicError.on("start_time", f"A clinic can have up to {MAX_SLOTS} slots")
    starts_at, ends_at = _slot_instants(clinic, times)
    if starts_at <= now:
        raise ClinicError.on("start_time", "The slot must start later than now")
    if clinic.booking_closes_at and clinic.booking_closes_at > starts_at:
        raise ClinicError.on(
            "start_time", "Booking for this clinic closes after that time. Choose a later time"
        )
    slot = Slot(starts_at=starts_at, ends_at=ends_at, capacity=times.capacity, booked=0)
    if clinic.booking_closes_at is None:  # the first slot of an emptied draft
        clinic.booking_opens_at, clinic.booking_closes_at = booking_window(
            clinic.booking_opens_at, None, starts_at, now
        )
    clinic.slots.append(slot)
    clinic.sequence += 1
    _save(session, clinic)
    audit.record(session, actor, "slot.add", slot, school_id=clinic.school_id, clinic_id=clinic.id)
    return slot


def update_slot(
    session: Session,
    actor: User,
    slot: Slot,
    times: SlotTimes,
    *,
    expected_version: int | None,
    confirmed: bool = False,
    now: datetime | None = None,
) -> Changed:
    """Change one slot; its booked households are told of a new time once confirmed."""
    now = now or utcnow()
    clinic = slot.clinic
    _check_version(clinic, expected_version)
    _check_changeable(clinic, now)
    starts_at, ends_at = _slot_instants(clinic, times)
    bookings = live_bookings(session, [slot.id])
    if times.capacity < slot.booked:
        raise SlotHasBookings.on(
            "capacity",
            f"{slot.booked} households have booked this slot, so it needs at least "
            f"{slot.booked} places. Move or cancel bookings first",
            bookings=bookings,
        )
    notes = _time_changes(slot, starts_at, ends_at)
    changes = in_english(notes)
    if changes and starts_at <= now:
        raise ClinicError.on("start_time", "The slot must start later than now")
    told = bookings if changes else []
    if told and not confirmed:
        raise NeedsConfirmation(changes, told)
    slot.starts_at, slot.ends_at, slot.capacity = starts_at, ends_at, times.capacity
    if changes:
        clinic.sequence += 1
    _save(session, clinic)
    audit.record(
        session,
        actor,
        "slot.change",
        slot,
        school_id=clinic.school_id,
        clinic_id=clinic.id,
        changes=changes,
        capacity=times.capacity,
        told=[b.id for b in told],
    )
    _tell(session, actor, clinic, told, notes)
    return Changed(changes, told)


def _time_changes(slot: Slot, starts_at: datetime, ends_at: datetime) -> list[LazyString]:
    """What a parent needs to hear when a slot moves, in plain sentences."""
    notes = []
    if starts_at != slot.starts_at:
        notes.append(LazyString(_time_changed, slot.starts_at, starts_at))
    if ends_at - starts_at != slot.ends_at - slot.starts_at:
        notes.append(LazyString(_end_changed, slot.ends_at, ends_at))
    return notes


def remove_slot(
    session: Session,
    actor: User,
    slot: Slot,
    *,
    expected_version: int | None,
    now: datetime | None = None,
) -> None:
    """Remove a slot nobody has booked (bookings are moved or cancelled first)."""
    now = now or utcnow()
    clinic = slot.clinic
    _check_version(clinic, expected_version)
    _check_changeable(clinic, now)
    bookings = live_bookings(session, [slot.id])
    if slot.booked or bookings:
        raise SlotHasBookings.on(
            "submit",
            "Households have booked this slot, so it cannot be removed. "
            "Move or cancel their bookings first",
            bookings=bookings,
        )
    if clinic.status == "published" and len(clinic.slots) == 1:
        raise ClinicError.on(
            "submit", "A published clinic needs at least one slot. Cancel the clinic instead"
        )
    audit.record(
        session,
        actor,
        "slot.remove",
        slot,
        school_id=clinic.school_id,
        clinic_id=clinic.id,
        starts_at=slot.starts_at.isoformat(),
    )
    clinic.slots.remove(slot)
    clinic.sequence += 1
    _save(session, clinic)


# --- cancelling -------------------------------------------------------------------------------


def cancel_clinic(
    session: Session,
    actor: User,
    clinic: Clinic,
    reason: str,
    *,
    expected_version: int | None,
    now: datetime | None = None,
) -> Cancelled:
    """Cancel the clinic and every booking in it; tell each household and the waiting list.

    Every slot is emptied in one statement before the bookings are read (see
    ``give_back_every_place``): a booking that committed before it is cancelled here, one
    that tries to take a place after it waits and then finds the clinic cancelled.
    """
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise ClinicError.on("reason", "Enter the reason parents will be given")
    _check_version(clinic, expected_version)
    _check_changeable(clinic, now)
    if clinic.slots and clinic.slots[0].starts_at <= now:
        raise ClinicError.on("reason", "This clinic has already started, so it cannot be cancelled")

    clinic.status = "cancelled"
    clinic.cancelled_reason = reason
    clinic.sequence += 1
    _save(session, clinic)
    give_back_every_place(session, clinic.id)
    bookings = live_bookings(session, [slot.id for slot in clinic.slots], status="live")
    for booking in bookings:
        manage.cancel_for_clinic(session, booking, actor=actor, reason=reason, now=now)
    waiting = waitlist.clinic_cancelled(session, clinic, actor=actor, reason=reason)
    audit.record(
        session,
        actor,
        "clinic.cancel",
        clinic,
        reason=reason,
        bookings=[b.id for b in bookings],
        waiting_list=waiting,
    )
    session.flush()
    return Cancelled(bookings, waiting)
