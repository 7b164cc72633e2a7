"""Builders shared by the follow-up and figures tests: clinics on a chosen day, bookings in
each state, walk-ins and feedback."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from clinic.models import Booking, Clinic, Feedback, Slot, WalkIn, utcnow

FEEDBACK_LINK = re.compile(r"https?://[^\s\"<>]+/feedback/[^\s\"<>]+")


def clinic_dated(
    session, school, officer, day: date, *, slots=1, capacity=2, closed=False, **fields
):
    """A published clinic on ``day`` at 3pm UTC with ``slots`` slots of ``capacity`` each."""
    start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
    clinic = Clinic(
        school=school,
        officer=officer,
        title="Parental controls clinic",
        venue="School library",
        date=day,
        status=fields.pop("status", "published"),
        booking_opens_at=start - timedelta(days=30),
        booking_closes_at=start - timedelta(hours=24),
        closed_at=utcnow() - timedelta(hours=1) if closed else None,
        **fields,
    )
    for i in range(slots):
        begins = start + timedelta(minutes=20 * i)
        clinic.slots.append(
            Slot(starts_at=begins, ends_at=begins + timedelta(minutes=20), capacity=capacity)
        )
    session.add(clinic)
    session.commit()
    return clinic


def book(make, clinic, status="confirmed", topics=("roblox",), slot=0, **fields):
    """A booking in the clinic's ``slot``-th slot, in ``status``."""
    return make.booking(clinic.slots[slot], status=status, topics=list(topics), **fields)


def walk_in(session, clinic, topics=("roblox",)):
    record = WalkIn(clinic_id=clinic.id, parent_name="Walk-in parent", topics=list(topics))
    session.add(record)
    session.commit()
    return record


def feedback(session, booking, useful, comments=None):
    record = Feedback(
        clinic_id=booking.clinic_id, booking_id=booking.id, useful=useful, comments=comments
    )
    session.add(record)
    session.commit()
    return record


def anonymise_everything(session) -> None:
    """What the retention feature will do to old records: personal details gone, counts kept."""
    now = utcnow()
    session.execute(
        update(Booking).values(
            parent_name=None,
            email=None,
            email_normalised=None,
            phone=None,
            access_needs=None,
            other_topic=None,
            anonymised_at=now,
        )
    )
    session.execute(update(WalkIn).values(parent_name=None, anonymised_at=now))
    session.commit()


def feedback_link_in(message) -> str:
    """The feedback link in an email's plain-text body."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = FEEDBACK_LINK.search(text)
    assert match, text
    return match.group(0)
