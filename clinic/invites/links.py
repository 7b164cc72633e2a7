""" "Add to Google Calendar" and "Add to Outlook" links for a parent's appointment (pure).

Gmail hides an invite from a sender the parent has never written to, and some mail apps
drop the ``text/calendar`` part; these links put the appointment into the two big web
calendars in one tap.  They are plain URLs that a parent may forward, bookmark or open on
a shared computer, and they are stored in the calendar provider's history: so they carry
only what the invite's event says to the world (the title, the time and the place), never
the parent's name, email address, booking reference or manage link.

Google: ``calendar.google.com/calendar/render?action=TEMPLATE`` with ``text``, ``dates``
(``YYYYMMDDTHHMMSSZ/YYYYMMDDTHHMMSSZ``, UTC), ``location`` and ``details``.
Outlook (Outlook.com and Microsoft 365 on the web):
``outlook.live.com/calendar/0/action/compose?rru=addevent`` with ``subject``, ``startdt``
and ``enddt`` (ISO 8601, UTC), ``location`` and ``body``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/action/compose"


@dataclass(frozen=True)
class CalendarLinks:
    google: str
    outlook: str


def _utc(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("calendar link times must be timezone-aware")
    return value.astimezone(UTC).replace(microsecond=0)


def calendar_links(
    *, title: str, starts_at: datetime, ends_at: datetime, location: str, details: str = ""
) -> CalendarLinks:
    """The two links for one appointment; every value is URL-encoded (spaces as ``%20``:
    both calendars read ``+`` as a plus sign in some fields)."""
    start, end = _utc(starts_at), _utc(ends_at)
    if end <= start:
        raise ValueError("ends_at must be after starts_at")
    google = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}",
        "location": location,
        "details": details,
    }
    outlook = {
        "rru": "addevent",
        "subject": title,
        "startdt": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "enddt": f"{end:%Y-%m-%dT%H:%M:%SZ}",
        "location": location,
        "body": details,
    }
    return CalendarLinks(
        google=f"{GOOGLE}?{_query(google)}",
        outlook=f"{OUTLOOK}?{_query(outlook)}",
    )


def _query(values: dict[str, str]) -> str:
    return urlencode({k: v for k, v in values.items() if v}, quote_via=quote, safe="")
