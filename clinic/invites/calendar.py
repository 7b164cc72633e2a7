"""Every iCalendar object the service sends: email invites and calendar feeds.

Pure: plain values in, bytes out, so the outbox, the booking pages and the
officer feed all produce the same calendar data and tests need no app.

DESIGN.md rule 3: one UID for an event's whole life, a higher SEQUENCE on every
change, METHOD:CANCEL for a cancellation, times with TZID=Europe/London and a
VTIMEZONE, instants stored in UTC. Rule 6: a parent never sees another parent,
so an event carries at most one ATTENDEE and feeds carry none.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import cast
from zoneinfo import ZoneInfo

from icalendar import (
    STATUS,
    Alarm,
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vText,
)

CONTENT_TYPE = "text/calendar; charset=utf-8"
DEFAULT_PRODID = "-//Safer Schools Clinics//Booking//EN"
DEFAULT_TIMEZONE = "Europe/London"
METHODS = ("REQUEST", "CANCEL", "PUBLISH")

# A language tag (RFC 5646: "pl", "en-GB"), nothing that could break a parameter.
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")
# One "@", nothing that could break out of a mailto: URI or a content line.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")


def _aware(value: datetime, name: str) -> datetime:
    """Reject naive datetimes: a wall time with no zone is a guess, not an instant."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Person:
    """An organizer or attendee: a mailto: address and an optional display name."""

    email: str
    name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.email, str) or not _EMAIL.fullmatch(self.email):
            raise ValueError(f"not an email address: {self.email!r}")


@dataclass(frozen=True)
class CalendarEvent:
    """One clinic appointment as the calendar sees it; checked when created."""

    uid: str
    sequence: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    location: str = ""
    url: str | None = None
    organizer: Person | None = None
    attendee: Person | None = None
    cancelled: bool = False
    alarm_before: timedelta | None = None
    last_modified: datetime | None = None
    # The language SUMMARY and DESCRIPTION are written in (RFC 5545 3.2.10), when known.
    language: str | None = None

    def __post_init__(self) -> None:
        if not self.uid:
            raise ValueError("uid is required: it identifies the event for life")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int):
            raise ValueError(f"sequence must be an int, got {self.sequence!r}")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        if _aware(self.ends_at, "ends_at") <= _aware(self.starts_at, "starts_at"):
            raise ValueError("ends_at must be after starts_at")
        if self.last_modified is not None:
            _aware(self.last_modified, "last_modified")
        for role in ("organizer", "attendee"):
            value = getattr(self, role)
            if value is not None and not isinstance(value, Person):
                # A list here would be several parents in one invite (rule 6).
                raise ValueError(f"{role} must be a single Person, got {value!r}")
        if self.alarm_before is not None and self.alarm_before <= timedelta(0):
            raise ValueError("alarm_before must be a positive timedelta")
        if self.language is not None and not _LANGUAGE.fullmatch(self.language):
            raise ValueError(f"language must be a language tag, got {self.language!r}")


def content_type(method: str) -> str:
    """MIME type for an .ics part; mail clients want the method repeated here."""
    return f"{CONTENT_TYPE}; method={_method(method)}"


def build_invite(
    event: CalendarEvent,
    *,
    method: str = "REQUEST",
    now: datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    prodid: str = DEFAULT_PRODID,
) -> bytes:
    """An iTIP message (RFC 5546) for one event, to attach to an email.

    REQUEST creates or updates the event in the recipient's calendar, CANCEL
    removes it (and forces STATUS:CANCELLED). Both need an ORGANIZER and the one
    ATTENDEE the message is about. PUBLISH is a plain download: no ATTENDEE.
    """
    method = _method(method)
    if method != "PUBLISH":
        if event.organizer is None:
            raise ValueError(f"METHOD:{method} needs an organizer (RFC 5546)")
        if event.attendee is None:
            raise ValueError(f"METHOD:{method} needs an attendee (RFC 5546)")
    cal = _calendar(method, [event], now, timezone, prodid)
    return cal.to_ical()


def build_feed(
    events: Iterable[CalendarEvent],
    *,
    calendar_name: str,
    refresh: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    prodid: str = DEFAULT_PRODID,
) -> bytes:
    """A subscribable calendar (METHOD:PUBLISH) of many events, never with attendees.

    NAME/REFRESH-INTERVAL are RFC 7986; clients still mostly read the older
    X-WR-CALNAME and X-PUBLISHED-TTL, so both are written.
    """
    events = list(events)
    uids = [event.uid for event in events]
    if len(set(uids)) != len(uids):
        raise ValueError("a feed must not repeat a UID")
    if refresh <= timedelta(0):
        raise ValueError("refresh must be a positive timedelta")
    cal = _calendar("PUBLISH", events, now, timezone, prodid)
    cal.add("NAME", vText(calendar_name))  # icalendar 7 does not escape NAME itself
    cal.add("X-WR-CALNAME", vText(calendar_name))
    cal.add("X-WR-TIMEZONE", vText(timezone))
    cal.add("REFRESH-INTERVAL", vDuration(refresh), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(refresh))
    return cal.to_ical()


def _method(method: str) -> str:
    upper = method.upper()
    if upper not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return upper


def _calendar(
    method: str,
    events: list[CalendarEvent],
    now: datetime | None,
    timezone: str,
    prodid: str,
) -> Calendar:
    """VCALENDAR with one VTIMEZONE, placed before the VEVENTs that use it."""
    stamp = datetime.now(UTC) if now is None else _aware(now, "now")
    tz = ZoneInfo(timezone)
    cal = Calendar()
    cal.add("PRODID", prodid)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", method)
    # Always present, even when no time needs it: RFC 5545 wants at least one
    # component in an (empty) feed, and rule 3 wants the zone spelled out.
    cal.add_component(_vtimezone(timezone, events, stamp))
    for event in events:
        cal.add_component(_vevent(event, method, stamp, tz))
    return cal


def _vtimezone(tzid: str, events: list[CalendarEvent], stamp: datetime) -> Timezone:
    """A VTIMEZONE with yearly rules (RRULE), as Google Calendar and Outlook write them.

    icalendar's own ``Timezone.from_tzid`` lists each clock change as an RDATE, which
    Outlook desktop is reported to ignore (summer events an hour out).  Zones whose
    changes follow a yearly "nth/last Sunday of a month" rule get that rule, checked
    against every change in the years the events span; any other zone falls back to the
    library's explicit transitions, cut to those years.
    """
    tz = ZoneInfo(tzid)
    instants = [e.starts_at for e in events] + [e.ends_at for e in events] or [stamp]
    years = [instant.astimezone(tz).year for instant in instants]
    # A copy: the calendar takes the component in, and the cached one must stay as built.
    return copy.deepcopy(_zone_component(tzid, min(years), max(years)))


@lru_cache(maxsize=64)
def _zone_component(tzid: str, first: int, last: int) -> Timezone:
    """The VTIMEZONE for ``first``..``last``, built once per process for those values.

    Finding the changes walks each year in 30-minute steps (tens of milliseconds), which
    every invite and every feed request used to repeat; the result depends only on the
    zone's name and the years (and the tz database, fixed for the life of a process).
    Callers get a deep copy (about 0.1 ms), never this object."""
    tz = ZoneInfo(tzid)
    return _rule_vtimezone(tzid, tz, first, last) or Timezone.from_tzid(
        tzid, first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1)
    )


def _changes(tz: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(local wall time just before, offset before, offset after) for each change in year."""
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    offset = _offset(instant, tz)
    while instant.year == year:
        following = instant + timedelta(minutes=30)
        new = _offset(following, tz)
        if new != offset:
            found.append(((following + offset).replace(tzinfo=None), offset, new))
            offset = new
        instant = following
    return found


def _offset(instant: datetime, tz: ZoneInfo) -> timedelta:
    """The zone's offset from UTC at an instant.  ``utcoffset()`` is typed Optional because
    a naive datetime has none; ``astimezone`` gives an aware one, which always has one."""
    return cast("timedelta", instant.astimezone(tz).utcoffset())


def _weekday_rule(moment: datetime) -> str:
    """BYDAY for the moment's weekday: -1SU for the last in the month, else 1SU..4SU."""
    day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][moment.weekday()]
    is_last = (moment + timedelta(days=7)).month != moment.month
    return f"-1{day}" if is_last else f"{(moment.day - 1) // 7 + 1}{day}"


def _rule_vtimezone(tzid: str, tz: ZoneInfo, first: int, last: int) -> Timezone | None:
    per_year = [_changes(tz, year) for year in range(first, last + 1)]
    pattern = [(c[0].month, _weekday_rule(c[0]), c[0].time(), c[1], c[2]) for c in per_year[0]]
    for changes in per_year:
        seen = [(c[0].month, _weekday_rule(c[0]), c[0].time(), c[1], c[2]) for c in changes]
        if seen != pattern:
            return None  # irregular: no single yearly rule describes these years
    zone = Timezone()
    zone.add("TZID", tzid)
    if not pattern:  # no clock changes: one STANDARD with the fixed offset
        offset = datetime(first, 1, 1, tzinfo=UTC).astimezone(tz)
        standard = TimezoneStandard()
        standard.add("DTSTART", datetime(1970, 1, 1))
        standard.add("TZOFFSETFROM", offset.utcoffset())
        standard.add("TZOFFSETTO", offset.utcoffset())
        standard.add("TZNAME", offset.tzname())
        zone.add_component(standard)
        return zone
    for (wall, before, after), (month, byday, *_rest) in zip(per_year[0], pattern, strict=True):
        part = TimezoneDaylight() if after > before else TimezoneStandard()
        # Start the rule long ago (as Google and Outlook do) so every date has an observance.
        part.add("DTSTART", datetime.combine(_rule_day(RULE_SINCE, month, byday), wall.time()))
        part.add("TZOFFSETFROM", before)
        part.add("TZOFFSETTO", after)
        part.add("TZNAME", _name_after(tz, wall, before))
        part.add("RRULE", {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": byday})
        zone.add_component(part)
    return zone


RULE_SINCE = 1970


def _rule_day(year: int, month: int, byday: str) -> date:
    """The date that BYMONTH=month;BYDAY=byday (e.g. -1SU, 2SU) names in ``year``."""
    weekday = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].index(byday[-2:])
    nth = int(byday[:-2])
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _name_after(tz: ZoneInfo, wall: datetime, before: timedelta) -> str:
    """The zone's abbreviation (GMT, BST…) just after the change at local ``wall``."""
    instant = (wall - before).replace(tzinfo=UTC) + timedelta(minutes=1)
    # Optional in the stubs for naive datetimes; a ZoneInfo names every aware time.
    return cast("str", instant.astimezone(tz).tzname())


def _wall_time(instant: datetime, tz: ZoneInfo) -> datetime:
    """Local time for TZID=..., or UTC when that local time is ambiguous.

    When the clocks go back, 01:00-02:00 happens twice. RFC 5545 (3.3.5) says a
    reader takes the first pass, but readers differ (ical.js, as in Thunderbird,
    takes the second), so any instant in that hour is written in UTC instead:
    DTSTART and DTEND may each carry their own zone, and nothing shifts an hour.
    """
    local = _aware(instant, "datetime").astimezone(tz)
    first, second = local.replace(fold=0), local.replace(fold=1)
    if first.astimezone(UTC) != second.astimezone(UTC):
        return instant.astimezone(UTC)
    return local


def _vevent(event: CalendarEvent, method: str, stamp: datetime, tz: ZoneInfo) -> Event:
    cancelled = event.cancelled or method == "CANCEL"
    organizer = attendee = None
    if event.organizer is not None:
        organizer = vCalAddress.new(event.organizer.email, cn=event.organizer.name)
    if event.attendee is not None and method != "PUBLISH":
        attendee = vCalAddress.new(
            event.attendee.email,
            cn=event.attendee.name,
            cutype="INDIVIDUAL",
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp=False,
        )
    # Each property added as it is (what ``Event.new`` ends in, without setting and
    # clearing its twenty others: a fifth of a 500-clinic feed's building).
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTAMP", stamp)
    if event.last_modified is not None:
        vevent.add("LAST-MODIFIED", _aware(event.last_modified, "last_modified"))
    vevent.add("SUMMARY", event.summary)
    if event.description:
        vevent.add("DESCRIPTION", event.description)
    if event.location:
        vevent.add("LOCATION", event.location)
    if event.url is not None:
        vevent.add("URL", event.url)
    vevent.add("DTSTART", _wall_time(event.starts_at, tz))
    vevent.add("DTEND", _wall_time(event.ends_at, tz))
    vevent.add("STATUS", STATUS.CANCELLED if cancelled else STATUS.CONFIRMED)
    if organizer is not None:
        vevent.add("ORGANIZER", organizer)
    if attendee is not None:
        vevent.add("ATTENDEE", attendee)
    if event.language is not None:
        for name in ("SUMMARY", "DESCRIPTION"):
            if name in vevent:
                vevent[name].params["LANGUAGE"] = event.language
    if event.alarm_before is not None and not cancelled:
        vevent.add_component(
            Alarm.new_display(description=event.summary or "Reminder", trigger=-event.alarm_before)
        )
    return vevent
