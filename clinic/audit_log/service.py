"""Finding audit events: filters, newest first, a page at a time.  Reads only: there is
no way to change or delete an event from the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload

from ..auth.scope import scoped_partnership_filter
from ..models import AuditEvent, User
from ..paging import Window


@dataclass(frozen=True)
class Filters:
    actor: str = ""  # part of the actor's email or label ("parent", "system", "cli")
    action: str = ""  # exactly, e.g. "user.deactivate"
    object_type: str = ""  # e.g. "booking"
    object_id: int | None = None
    start: date | None = None  # local dates, both included
    end: date | None = None


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    number: int
    pages: int
    total: int


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


def _where(filters: Filters, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.actor:
        pattern = (
            "%"
            + filters.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        where.append(func.lower(AuditEvent.actor_label).like(pattern, escape="\\"))
    if filters.action:
        where.append(AuditEvent.action == filters.action)
    if filters.object_type:
        where.append(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        where.append(AuditEvent.object_id == filters.object_id)
    if filters.start:
        where.append(AuditEvent.at >= _start_of(filters.start, zone))
    if filters.end:
        where.append(AuditEvent.at < _start_of(filters.end + timedelta(days=1), zone))
    return where


def search(
    session: Session,
    filters: Filters,
    *,
    page: int,
    zone: ZoneInfo,
    user: User | None = None,
) -> Page:
    """One page of the events matching ``filters``, newest first; dates are the clinic's
    (``zone``) calendar days.  For a coordinator (``user``), their partnership's events
    only; without one (a command), every partnership's."""
    where = _where(filters, zone) + _within(user)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    window = Window.over(total, page)
    events = session.scalars(
        select(AuditEvent)
        .where(*where)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(window.per_page)
        .offset(window.offset)
    ).all()
    return Page(list(events), window.number, window.pages, total)


def _within(user: User | None) -> list[ColumnElement[bool]]:
    return [] if user is None else [scoped_partnership_filter(user, AuditEvent.partnership_id)]


def actions(session: Session, user: User | None = None) -> list[str]:
    statement = select(AuditEvent.action).where(*_within(user)).distinct()
    return list(session.scalars(statement.order_by(AuditEvent.action)))


def object_types(session: Session, user: User | None = None) -> list[str]:
    statement = select(AuditEvent.object_type).where(*_within(user)).distinct()
    return list(session.scalars(statement.order_by(AuditEvent.object_type)))
