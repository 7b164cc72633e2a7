"""Finding audit events: filters, newest first, a page at a time.  Reads only: there is
no way to change or delete an event from the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload

from ..models import AuditEvent

PER_PAGE = 50


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


def search(session: Session, filters: Filters, *, page: int, zone: ZoneInfo) -> Page:
    """One page of the events matching ``filters``, newest first; dates are the clinic's
    (``zone``) calendar days."""
    where = _where(filters, zone)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    number = min(max(page, 1), pages)
    events = session.scalars(
        select(AuditEvent)
        .where(*where)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PER_PAGE)
        .offset((number - 1) * PER_PAGE)
    ).all()
    return Page(list(events), number, pages, total)


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def object_types(session: Session) -> list[str]:
    return list(
        session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type))
    )
