"""The figures the safeguarding partnership needs: how the clinics went, by school and month.

Only clinics that ran count: published (not draft, not cancelled) and either closed by the
officer or with their date passed.  A clinic's month is its own date, which is already the
local (Europe/London) day.

Everything is counted from columns that anonymisation keeps (booking status, topics and
clinic; slot capacity; walk-ins; feedback scores), never from a parent's details, so the
numbers stay the same after old bookings are anonymised (``flask privacy purge``; a test
compares the figures before and after).  The written feedback comments shown with them are
not counts: the purge removes them with the rest of a clinic's personal data, so they
drop out of the list.

The number of queries is fixed (one GROUP BY query per kind of record), whatever the number
of clinics.  The apps and devices parents asked about are JSON lists; they are counted in
Python over one query that returns only those lists, because unpacking a JSON array in SQL
needs different functions on SQLite (``json_each``) and PostgreSQL
(``json_array_elements_text``).  The rows are a few short strings per household.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, distinct, extract, func, or_, select
from sqlalchemy.orm import Session

from ..auth.scope import scoped_school_filter
from ..booking.choices import TOPIC_LABELS, TOPICS
from ..models import Booking, Clinic, Feedback, School, Slot, User, WalkIn
from ..text import spreadsheet_cell

COMMENTS_SHOWN = 50


@dataclass
class Row:
    """The figures of one school in one month, or a total over several."""

    school_id: int | None = None
    school_name: str = ""
    urn: str = ""
    month: date | None = None  # the first day of the month
    clinics: int = 0
    places: int = 0
    booked: int = 0  # bookings not cancelled: confirmed, attended or no-show
    attended: int = 0
    no_shows: int = 0
    cancellations: int = 0
    walk_ins: int = 0
    feedback: int = 0
    useful_total: int = 0
    # "Still coming?": attendance marked for families who said yes, and for those asked
    # who did not answer (families who gave their place back were cancelled).
    said_yes_attended: int = 0
    said_yes_no_shows: int = 0
    no_answer_attended: int = 0
    no_answer_no_shows: int = 0
    topics: Counter = field(default_factory=Counter)  # households per topic asked about

    @property
    def fill_rate(self) -> float | None:
        """Booked places as a share of places offered (None when none were offered)."""
        return self.booked / self.places if self.places else None

    @property
    def no_show_rate(self) -> float | None:
        """Of the bookings whose attendance was marked, the share that did not come (None
        when none was marked: a clinic nobody checked in says nothing about no-shows)."""
        marked = self.attended + self.no_shows
        return self.no_shows / marked if marked else None

    @property
    def no_show_rate_said_yes(self) -> float | None:
        """The no-show rate of families who answered "Yes, we're coming" (of those marked)."""
        marked = self.said_yes_attended + self.said_yes_no_shows
        return self.said_yes_no_shows / marked if marked else None

    @property
    def no_show_rate_no_answer(self) -> float | None:
        """The no-show rate of families asked "Still coming?" who did not answer."""
        marked = self.no_answer_attended + self.no_answer_no_shows
        return self.no_answer_no_shows / marked if marked else None

    @property
    def mean_useful(self) -> float | None:
        """The average answer to "was the clinic useful?", 1 to 5."""
        return self.useful_total / self.feedback if self.feedback else None

    @property
    def households(self) -> int:
        """Families helped or booked: the base for the share asking about each topic."""
        return self.booked + self.walk_ins

    def add(self, other: Row) -> None:
        """Add another row's counts into this one (for totals)."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.topics.update(other.topics)


_COUNTS = (
    "clinics",
    "places",
    "booked",
    "attended",
    "no_shows",
    "cancellations",
    "walk_ins",
    "feedback",
    "useful_total",
    "said_yes_attended",
    "said_yes_no_shows",
    "no_answer_attended",
    "no_answer_no_shows",
)


@dataclass(frozen=True)
class Comment:
    """Something a parent wrote on the feedback form, shown without their name."""

    school_name: str
    clinic_date: date
    text: str
    useful: int


@dataclass
class Figures:
    rows: list[Row]  # one per school and month, by month then school name
    total: Row
    comments: list[Comment]

    @property
    def by_month(self) -> list[Row]:
        return _combine(self.rows, key=lambda row: row.month, make=lambda r: Row(month=r.month))

    @property
    def by_school(self) -> list[Row]:
        rows = _combine(
            self.rows,
            key=lambda row: row.school_id,
            make=lambda r: Row(school_id=r.school_id, school_name=r.school_name, urn=r.urn),
        )
        return sorted(rows, key=lambda row: (row.school_name.lower(), row.school_id))


def _combine(rows: list[Row], *, key, make) -> list[Row]:
    combined: dict = {}
    for row in rows:
        combined.setdefault(key(row), make(row)).add(row)
    return list(combined.values())


def topic_label(topic: str) -> str:
    return TOPIC_LABELS.get(topic, topic)


def most_common(topics: Counter) -> list[tuple[str, int]]:
    """Most asked first; ties in the booking form's order, so the list does not jump about."""
    order = {value: index for index, (value, _) in enumerate(TOPICS)}
    return sorted(topics.items(), key=lambda item: (-item[1], order.get(item[0], len(order))))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- the queries --------------------------------------------------------------------------


_YEAR = extract("year", Clinic.date)
_MONTH = extract("month", Clinic.date)


def _clinics_that_ran(
    user: User, *, today: date, school_id: int | None, start: date | None, end: date | None
) -> list:
    """WHERE conditions: clinics in the user's scope that ran, within the filters.

    ``start`` and ``end`` are months (first days); ``end`` is included."""
    conditions = [
        Clinic.status == "published",
        or_(Clinic.date < today, Clinic.closed_at.is_not(None)),
        scoped_school_filter(user, Clinic.school_id),
    ]
    if school_id is not None:
        conditions.append(Clinic.school_id == school_id)
    if start is not None:
        conditions.append(Clinic.date >= start)
    if end is not None:
        conditions.append(Clinic.date < next_month(end))
    return conditions


def _grouped(session: Session, columns: list, conditions: list, join=None):
    """(school id, month, *columns) per school and month of the clinics that ran."""
    statement = select(Clinic.school_id, _YEAR, _MONTH, *columns).select_from(Clinic)
    for target, on in join or ():
        statement = statement.join(target, on)
    statement = statement.where(*conditions).group_by(Clinic.school_id, _YEAR, _MONTH)
    for school_id, year, month, *values in session.execute(statement):
        yield (school_id, date(int(year), int(month), 1)), values


def _count_when(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def figures(
    session: Session,
    user: User,
    *,
    today: date,
    school_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Figures:
    """The figures for the clinics ``user`` may see (their schools; admins: all).

    ``today`` is the local date: a clinic on an earlier day counts as run even if nobody
    pressed "close clinic"."""
    where = _clinics_that_ran(user, today=today, school_id=school_id, start=start, end=end)
    rows: dict[tuple[int, date], Row] = {}

    statement = (
        select(
            Clinic.school_id,
            _YEAR,
            _MONTH,
            School.name,
            School.urn,
            func.count(distinct(Clinic.id)),
            func.coalesce(func.sum(Slot.capacity), 0),
        )
        .select_from(Clinic)
        .join(School, School.id == Clinic.school_id)
        .outerjoin(Slot, Slot.clinic_id == Clinic.id)
        .where(*where)
        .group_by(Clinic.school_id, _YEAR, _MONTH, School.name, School.urn)
    )
    for school, year, month, name, urn, clinics, places in session.execute(statement):
        when = date(int(year), int(month), 1)
        rows[(school, when)] = Row(
            school_id=school, school_name=name, urn=urn, month=when, clinics=clinics, places=places
        )

    booking_columns = [
        _count_when(Booking.status != "cancelled"),
        _count_when(Booking.status == "attended"),
        _count_when(Booking.status == "no_show"),
        _count_when(Booking.status == "cancelled"),
    ]
    said_yes = Booking.still_coming_answer == "yes"
    no_answer = Booking.still_coming_asked_at.is_not(None) & Booking.still_coming_answer.is_(None)
    for answered in (said_yes, no_answer):
        booking_columns += [
            _count_when(answered & (Booking.status == "attended")),
            _count_when(answered & (Booking.status == "no_show")),
        ]
    on_booking = [(Booking, Booking.clinic_id == Clinic.id)]
    for key, values in _grouped(session, booking_columns, where, on_booking):
        row = rows[key]
        (
            row.booked,
            row.attended,
            row.no_shows,
            row.cancellations,
            row.said_yes_attended,
            row.said_yes_no_shows,
            row.no_answer_attended,
            row.no_answer_no_shows,
        ) = (int(v) for v in values)

    on_walk_in = [(WalkIn, WalkIn.clinic_id == Clinic.id)]
    for key, (count,) in _grouped(session, [func.count(WalkIn.id)], where, on_walk_in):
        rows[key].walk_ins = count

    feedback_columns = [func.count(Feedback.id), func.coalesce(func.sum(Feedback.useful), 0)]
    on_feedback = [(Feedback, Feedback.clinic_id == Clinic.id)]
    for key, (count, total) in _grouped(session, feedback_columns, where, on_feedback):
        rows[key].feedback, rows[key].useful_total = count, int(total)

    _count_topics(session, rows, where)

    ordered = sorted(rows.values(), key=lambda r: (r.month, r.school_name.lower(), r.school_id))
    total = Row()
    for row in ordered:
        total.add(row)
    return Figures(rows=ordered, total=total, comments=_comments(session, where))


def _count_topics(session: Session, rows: dict[tuple[int, date], Row], where: list) -> None:
    """Households per topic: one query for the topics of live bookings and walk-ins."""
    lists = select(Clinic.school_id, _YEAR, _MONTH, Booking.topics.label("topics")).join(
        Booking, Booking.clinic_id == Clinic.id
    )
    lists = lists.where(*where, Booking.status != "cancelled")
    walk_ins = select(Clinic.school_id, _YEAR, _MONTH, WalkIn.topics).join(
        WalkIn, WalkIn.clinic_id == Clinic.id
    )
    statement = lists.union_all(walk_ins.where(*where))
    for school, year, month, topics in session.execute(statement):
        if isinstance(topics, list):
            rows[(school, date(int(year), int(month), 1))].topics.update(set(topics))


def _comments(session: Session, where: list) -> list[Comment]:
    """The latest written answers, newest first, with the school and clinic date only."""
    statement = (
        select(School.name, Clinic.date, Feedback.comments, Feedback.useful)
        .select_from(Feedback)
        .join(Clinic, Clinic.id == Feedback.clinic_id)
        .join(School, School.id == Clinic.school_id)
        .where(*where, Feedback.comments.is_not(None), Feedback.comments != "")
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(COMMENTS_SHOWN)
    )
    return [
        Comment(name, day, text or "", useful)  # the WHERE keeps only written answers
        for name, day, text, useful in session.execute(statement)
    ]


def first_clinic_month(session: Session, user: User) -> date | None:
    """The month of the earliest published clinic the user may see (for the month choices)."""
    earliest = session.scalar(
        select(func.min(Clinic.date)).where(
            Clinic.status == "published", scoped_school_filter(user, Clinic.school_id)
        )
    )
    return month_start(earliest) if earliest else None


def schools_in_scope(session: Session, user: User) -> list[School]:
    statement = select(School).where(scoped_school_filter(user, School.id))
    return list(session.scalars(statement.order_by(School.name, School.id)))


# --- CSV ------------------------------------------------------------------------------------


def _number(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _percent(rate: float | None) -> str:
    return _number(rate * 100 if rate is not None else None, 1)


CSV_HEADER = [
    "School",
    "URN",
    "Month",
    "Clinics run",
    "Places offered",
    "Booked",
    "Fill rate (%)",
    "Attended",
    "No-shows",
    "No-show rate (%)",
    "Cancellations",
    "Walk-ins",
    "Feedback answers",
    "Average usefulness (1 to 5)",
    "No-show rate, said they were coming (%)",
    "No-show rate, did not answer (%)",
] + [f"Asked about: {label}" for _, label in TOPICS]


def figures_csv(result: Figures) -> bytes:
    """One line per school and month, as UTF-8 with a byte order mark so Excel reads it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in result.rows:
        fill = row.fill_rate
        line = [
            row.school_name,
            row.urn,
            f"{row.month:%Y-%m}",
            row.clinics,
            row.places,
            row.booked,
            _number(fill * 100 if fill is not None else None, 1),
            row.attended,
            row.no_shows,
            _number(row.no_show_rate * 100 if row.no_show_rate is not None else None, 1),
            row.cancellations,
            row.walk_ins,
            row.feedback,
            _number(row.mean_useful, 2),
            _percent(row.no_show_rate_said_yes),
            _percent(row.no_show_rate_no_answer),
        ] + [row.topics.get(value, 0) for value, _ in TOPICS]
        writer.writerow([spreadsheet_cell(cell) for cell in line])
    return out.getvalue().encode("utf-8-sig")


def csv_filename(today: date) -> str:
    return f"clinic-figures-{today:%Y-%m-%d}.csv"
