"""What a clinic appointment looks like in a calendar: the wording, in one place.

Pure builders from plain values to ``CalendarEvent``; ``calendar.py`` turns those into
bytes. A parent's event carries only that parent; an officer's feed event carries counts.

A parent's event is in the household's language: its caller (``clinic.notices``) hands
in the sentences already translated (``Wording``), so this module stays free of Flask.
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


@dataclass(frozen=True)
class Wording:
    """The sentences of a parent's invite, translated by the caller into ``language``
    (English by default).  Each is a ``%``-template; the names it may use are listed."""

    language: str = "en"
    summary: str = "%(title)s – %(school)s"  # title, school
    heading: str = "%(title)s at %(school)s."  # title, school
    reference: str = "Booking reference: %(reference)s."  # reference
    bring: str = "What to bring:"
    manage: str = "To change or cancel your booking: %(url)s"  # url
    cancelled: str = "This booking has been cancelled (%(title)s at %(school)s)."  # title, school


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
    wording: Wording = Wording(),
) -> CalendarEvent:
    """The parent's own appointment, with a reminder the day before; ``bring`` is what to
    bring (``invites.bring.bring_list``), one thing an item.  ``wording`` is the invite's
    sentences in the household's language; SUMMARY and DESCRIPTION say which it is."""
    names = {"title": title, "school": place.school_name}
    lines = [wording.heading % names, wording.reference % {"reference": reference}, ""]
    if bring:
        lines += [wording.bring, *(f"- {item}" for item in bring), ""]
    lines.append(wording.manage % {"url": manage_url})
    if cancelled:
        lines = [wording.cancelled % names]
    return CalendarEvent(
        uid=uid,
        sequence=sequence,
        summary=wording.summary % names,
        language=wording.language,
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
