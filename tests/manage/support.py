"""Helpers for the manage, waiting-list and reminder tests."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from clinic.links import manage_token, waitlist_token
from clinic.models import AuditEvent, Booking, OutboxMessage, Slot, WaitlistEntry, utcnow
from tests.helpers import csrf_token
from tests.invites.test_calendar import read_icalendar, read_icaljs

LINK = re.compile(r"https?://[^\s\"<>]+")


def manage_path(booking: Booking) -> str:
    return f"/booking/{manage_token(booking)}"


def offer_path(entry: WaitlistEntry) -> str:
    return f"/booking/waitlist/{waitlist_token(entry)}"


def snapshot(session) -> dict:
    """Everything a parent's action could change, to show that something changed nothing."""
    session.commit()  # a fresh look at the database, and no lock held (SQLite)
    session.expire_all()
    return {
        "bookings": session.execute(
            select(Booking.id, Booking.status, Booking.slot_id, Booking.sequence).order_by(
                Booking.id
            )
        ).all(),
        "slots": session.execute(select(Slot.id, Slot.booked).order_by(Slot.id)).all(),
        "waitlist": session.execute(
            select(WaitlistEntry.id, WaitlistEntry.status).order_by(WaitlistEntry.id)
        ).all(),
        "outbox": session.scalar(select(func.count()).select_from(OutboxMessage)),
        "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
    }


def set_times(
    session,
    clinic,
    *,
    starts_in: timedelta,
    closes_before: timedelta | None = timedelta(hours=24),
):
    """Move a clinic so its first slot starts ``starts_in`` from now (slots keep their
    lengths, back to back); booking closes ``closes_before`` its start (None: never)."""
    start = utcnow() + starts_in
    for index, slot in enumerate(sorted(clinic.slots, key=lambda s: s.starts_at)):
        length = slot.ends_at - slot.starts_at
        slot.starts_at = start + index * length
        slot.ends_at = slot.starts_at + length
    clinic.date = start.date()
    clinic.booking_opens_at = start - timedelta(days=30)
    clinic.booking_closes_at = None if closes_before is None else start - closes_before
    session.commit()
    return clinic


def post_with_token(client, page_path: str, action_path: str | None = None, data=None):
    """Open a page and press its button (the CSRF token comes from the page)."""
    page = client.get(page_path)
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    return client.post(
        action_path or page_path, data={"csrf_token": csrf_token(page), **(data or {})}
    )


def fresh_csrf(client) -> str:
    """A valid CSRF token for this client's session, from any page with a form."""
    return csrf_token(client.get("/staff/sign-in"))


def calendar_part(message):
    """The inline text/calendar part of an email (its method and bytes)."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), part.get_content().encode()
    raise AssertionError("no text/calendar part in the email")


def read_both(ics: bytes) -> dict:
    """The .ics read back by icalendar and by ical.js (node); both must agree."""
    first, second = read_icalendar(ics), read_icaljs(ics)
    for key in ("method", "tzids"):
        assert first[key] == second[key], key
    assert len(first["events"]) == len(second["events"]) == 1
    a, b = first["events"][0], second["events"][0]
    for key in ("uid", "sequence", "status", "start", "end", "attendees", "organizer"):
        assert a[key] == b[key], (key, a[key], b[key])
    return {"method": first["method"], **a}


def links_in(message) -> list[str]:
    """Every link in an email's text and HTML bodies."""
    found = []
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,))
        if body is not None:
            found += LINK.findall(body.get_content())
    return sorted(set(found))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def subject(message) -> str:
    """The Subject as a mail client shows it (a long one is folded onto a second line)."""
    return str(message["Subject"]).strip()
