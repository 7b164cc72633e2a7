"""The officer's private calendar feed: every clinic they run, in their own calendar app.

The address holds an unguessable token (``User.calendar_token``) instead of a sign-in,
because calendar apps cannot sign in; turning the feed off or making a new address
stops the old one at once.  The feed carries counts, never a parent's details (rule 6).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, pagecache
from ..invites.calendar import build_feed
from ..invites.events import officer_clinic_event
from ..links import external_urls
from ..localtime import local_today, zone_name
from ..models import Clinic, School, User, utcnow
from ..notices import place_at
from .service import display_status, slot_totals

HISTORY = timedelta(days=30)
REFRESH = timedelta(hours=1)
FEEDS_KEPT = 32  # per worker; a 500-clinic feed is about 300 KB


class UnknownFeed(Exception):
    """No officer has this calendar feed token (never issued, or turned off)."""


def issue_calendar_token(session: Session, user: User) -> str:
    """A new private feed address for the officer; any old one stops working."""
    user.calendar_token = secrets.token_urlsafe(32)
    audit.record(session, user, "calendar_feed.issue", user)
    return user.calendar_token


def revoke_calendar_token(session: Session, user: User) -> None:
    user.calendar_token = None
    audit.record(session, user, "calendar_feed.revoke", user)


def officer_for_token(session: Session, token: str) -> User:
    user = session.scalar(select(User).where(User.calendar_token == token)) if token else None
    if user is None or not user.active or user.role != "officer":
        raise UnknownFeed(token)
    return user


def officer_feed(session: Session, officer: User, now: datetime | None = None) -> bytes:
    """All the officer's clinics from 30 days ago on, one event each, with counts only.

    Drafts stay out (parents cannot see them either); cancelled clinics stay in, marked
    cancelled, so a calendar that already holds them removes them.
    """
    now = now or utcnow()
    today = local_today(now)
    totals = slot_totals(select(Clinic.id).where(Clinic.officer_id == officer.id))
    clinics, schools = Clinic.__table__, School.__table__
    clinic, school = clinics.c, schools.c
    # Plain rows of the columns the events show (no ORM objects), and the link to each
    # clinic's page built from one binding of the URL map.
    statement = (
        select(
            clinic.id,
            clinic.uid,
            clinic.sequence,
            clinic.title,
            clinic.venue,
            clinic.status,
            clinic.date,
            school.name.label("school_name"),
            school.address,
            school.town,
            school.postcode,
            totals.c.starts_at,
            totals.c.ends_at,
            totals.c.booked,
            totals.c.capacity,
        )
        .join(totals, totals.c.clinic_id == clinic.id)
        .join(schools, school.id == clinic.school_id)
        .where(
            clinic.officer_id == officer.id,
            # only their own partnership's schools, whatever a stale row says (issue 21)
            school.partnership_id == officer.partnership_id,
            clinic.status != "draft",
            clinic.date >= local_today(now - HISTORY),
        )
        .order_by(totals.c.starts_at, clinic.id)
    )
    clinic_url = external_urls("schedule.show_clinic")
    events = [
        officer_clinic_event(
            uid=row.uid,
            sequence=row.sequence,
            title=row.title,
            place=place_at(row.school_name, row.venue, row.address, row.town, row.postcode),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            booked=row.booked or 0,
            capacity=row.capacity or 0,
            status=display_status(row, today),
            url=clinic_url(clinic_id=row.id),
        )
        for row in session.execute(statement)
    ]
    calendar_name = f"Clinics – {officer.name}"
    # Building 500 events with icalendar is nearly all of the feed's time, and calendar
    # apps ask for it every hour whether or not anything changed: the feed is built once
    # per worker for the same events (they are plain values: counts, never a parent).
    # Its DTSTAMP says when it was built.
    return pagecache.cached(
        pagecache.store("officer feeds", size=FEEDS_KEPT),
        pagecache.key_of("officer feed", officer.id, calendar_name, zone_name(), tuple(events)),
        lambda: build_feed(
            events, calendar_name=calendar_name, refresh=REFRESH, now=now, timezone=zone_name()
        ),
    )
