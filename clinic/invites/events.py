"""What a clinic appointment looks like in a calendar: the wording, in one place.

Pure builders from plain values to ``CalendarEvent``; ``calendar.py`` turns those into
bytes. A parent's event carries only that parent; an officer's feed event carries counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..text import joined
from .calendar import CalendarEvent, Person


@dataclass(frozen=True)
class Place:
    """Where a clinic happens, as parents need to find it."""

    school_name: str
    venue: str = ""
    address: str = ""
    postcode: str = ""

    def one_line(self) -> str:
        return joined([self.venue, self.school_name, self.address, self.postcode])


def booking_event(
    *,
    uid: str,
    sequence: int,
    title: str,
    place: Place,
    starts_at: datetime,
    ends_at: datetime,
    parent: Person,
    organizer: Person,
    manage_url: str,
    reference: str,
    bring: Sequence[str] = (),
    cancelled: bool = False,
) -> CalendarEvent:
    """The parent's own appointment, with a reminder the day before; ``bring`` is what to
    bring (``invites.bring.bring_list``), one thing an item."""
    lines = [f"{title} at {place.school_name}.", f"Booking reference: {reference}.", ""]
    if bring:
        lines += ["What to bring:", *(f"- {item}" for item in bring), ""]
    lines.append(f"To change or cancel your booking: {manage_url}")
    if cancelled:
        lines = [f"This booking has been cancelled ({title} at {place.school_name})."]
    return CalendarEvent(
        uid=uid,
        sequence=sequence,
        summary=f"{title} – {place.school_name}",
        starts_at=starts_at,
        ends_at=ends_at,
        description="\n".join(lines),
        location=place.one_line(),
        url=manage_url,
        organizer=organizer,
        attendee=parent,
        cancelled=cancelled,
        alarm_before=None if cancelled else timedelta(days=1),
    )


def officer_clinic_event(
    *,
    uid: str,
    sequence: int,
    title: str,
    place: Place,
    starts_at: datetime,
    ends_at: datetime,
    booked: int,
    capacity: int,
    status: str,
    url: str,
) -> CalendarEvent:
    """A clinic in the officer's feed: school, venue and places booked; no parent's details."""
    lines = [
        f"{place.school_name}",
        f"Venue: {place.venue}" if place.venue else "",
        f"Places booked: {booked} of {capacity}",
        f"Status: {status}",
        f"Clinic page: {url}",
    ]
    return CalendarEvent(
        uid=uid,
        sequence=sequence,
        summary=f"{title} – {place.school_name}"
        + (" (cancelled)" if status == "cancelled" else ""),
        starts_at=starts_at,
        ends_at=ends_at,
        description="\n".join(line for line in lines if line),
        location=place.one_line(),
        url=url,
        cancelled=status == "cancelled",
    )
