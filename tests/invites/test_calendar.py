"""clinic.invites.calendar, read back by three independent parsers.

Every output is parsed by icalendar (converting local times with the VTIMEZONE in
the file, not its own zone database), by Mozilla's ical.js under node (which has
no zone database, so it can only use our VTIMEZONE), and by vobject (which maps
TZID=Europe/London to the Olson zone). All three must agree on the UTC instants.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from dateutil.rrule import rrulestr
from icalendar import vDuration

from clinic.invites.calendar import (
    CONTENT_TYPE,
    CalendarEvent,
    Person,
    build_feed,
    build_invite,
    content_type,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
OFFICER = Person("pc.jones@police.example", "PC Sam Jones")
PARENT = Person("ann.parent@example.com", "Ann Parent")
PARSERS = ["icalendar", "icaljs", "vobject"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_event(**changes) -> CalendarEvent:
    base = CalendarEvent(
        uid="booking-5b0e6a52-2f5e-4b8e-9d7c-1f2a3b4c5d6e@clinics.example",
        sequence=0,
        summary="Parental controls clinic",
        starts_at=utc(2026, 11, 10, 15, 30),
        ends_at=utc(2026, 11, 10, 15, 45),
        description="Bring the phones and tablets your children use.",
        location="Library, Oakfield Primary School",
        url="https://clinics.example/manage/abc",
        organizer=OFFICER,
        attendee=PARENT,
    )
    return replace(base, **changes)


# --- the three parsers, each reduced to the same plain shape ---------------------


def _params(params) -> dict[str, str]:
    """Upper-case keys, single string values (vobject gives lists)."""
    return {
        key.upper(): value[0] if isinstance(value, list) else str(value)
        for key, value in params.items()
        if not key.upper().startswith("X-VOBJ")
    }


def read_icalendar(data: bytes) -> dict:
    cal = icalendar.Calendar.from_ical(data)
    # Convert with the VTIMEZONE we wrote, not icalendar's zoneinfo lookup.
    zones = {str(tz["TZID"]): tz.to_tz(lookup_tzid=False) for tz in cal.timezones}

    def instant(prop):
        tzid = prop.params.get("TZID")
        if tzid is None:
            return prop.dt.astimezone(UTC)
        return prop.dt.replace(tzinfo=zones[tzid]).astimezone(UTC)

    def text(component, name):
        return None if name not in component else str(component[name])

    events = []
    for ev in cal.events:
        attendees = ev.get("ATTENDEE", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        events.append(
            {
                "uid": str(ev["UID"]),
                "sequence": int(ev["SEQUENCE"]),
                "summary": text(ev, "SUMMARY"),
                "description": text(ev, "DESCRIPTION"),
                "location": text(ev, "LOCATION"),
                "url": text(ev, "URL"),
                "status": text(ev, "STATUS"),
                "start": instant(ev["DTSTART"]),
                "end": instant(ev["DTEND"]),
                "start_tzid": ev["DTSTART"].params.get("TZID"),
                "end_tzid": ev["DTEND"].params.get("TZID"),
                "stamp": ev["DTSTAMP"].dt,
                "organizer": text(ev, "ORGANIZER"),
                "attendees": [(str(a), _params(a.params)) for a in attendees],
                "triggers": [a["TRIGGER"].dt for a in ev.walk("VALARM")],
            }
        )
    return {
        "method": text(cal, "METHOD"),
        "calname": text(cal, "X-WR-CALNAME"),
        "tzids": list(zones),
        "events": events,
    }


def read_icaljs(data: bytes) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot run the ical.js cross-check")
    if not (ROOT / "node_modules" / "ical.js").is_dir():
        pytest.skip("ical.js is not installed: run `npm install` for the cross-check")
    done = subprocess.run(
        [node, str(HERE / "parse_ics.mjs")], input=data, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    raw = json.loads(done.stdout)

    def instant(value):
        # A TZID that ical.js could not resolve would silently become floating.
        assert value["tzid"] is None or value["zone"] == value["tzid"], value
        return datetime.fromisoformat(value["utc"])

    events = [
        {
            "uid": ev["uid"],
            "sequence": ev["sequence"],
            "summary": ev["summary"],
            "description": ev["description"],
            "location": ev["location"],
            "url": ev["url"],
            "status": ev["status"],
            "start": instant(ev["dtstart"]),
            "end": instant(ev["dtend"]),
            "start_tzid": ev["dtstart"]["tzid"],
            "end_tzid": ev["dtend"]["tzid"],
            "stamp": instant(ev["dtstamp"]),
            "organizer": ev["organizer"] and ev["organizer"]["value"],
            "attendees": [(a["value"], _params(a["params"])) for a in ev["attendees"]],
            "triggers": [vDuration.from_ical(a["trigger"]) for a in ev["alarms"]],
        }
        for ev in raw["events"]
    ]
    return {
        "method": raw["method"],
        "calname": raw["x-wr-calname"],
        "tzids": raw["timezones"],
        "events": events,
    }


def read_vobject(data: bytes) -> dict:
    cal = vobject.readOne(data.decode("utf-8"))

    def text(component, name):
        line = component.contents.get(name)
        return None if line is None else str(line[0].value)

    def tzid(line):
        return (line.params.get("TZID") or line.params.get("X-VOBJ-ORIGINAL-TZID") or [None])[0]

    events = [
        {
            "uid": ev.uid.value,
            "sequence": int(ev.sequence.value),
            "summary": text(ev, "summary"),
            "description": text(ev, "description"),
            "location": text(ev, "location"),
            "url": text(ev, "url"),
            "status": text(ev, "status"),
            "start": ev.dtstart.value.astimezone(UTC),
            "end": ev.dtend.value.astimezone(UTC),
            "start_tzid": tzid(ev.dtstart),
            "end_tzid": tzid(ev.dtend),
            "stamp": ev.dtstamp.value,
            "organizer": text(ev, "organizer"),
            "attendees": [(a.value, _params(a.params)) for a in ev.contents.get("attendee", [])],
            "triggers": [a.trigger.value for a in ev.contents.get("valarm", [])],
        }
        for ev in cal.contents.get("vevent", [])
    ]
    return {
        "method": text(cal, "method"),
        "calname": text(cal, "x-wr-calname"),
        "tzids": [tz.tzid.value for tz in cal.contents.get("vtimezone", [])],
        "events": events,
    }


READERS = {"icalendar": read_icalendar, "icaljs": read_icaljs, "vobject": read_vobject}


@pytest.fixture(params=PARSERS)
def read(request):
    return READERS[request.param]


def unfolded_lines(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


# --- invites ------------------------------------------------------------------------


def test_request_round_trips(read):
    event = make_event(sequence=3, last_modified=utc(2026, 8, 31, 9))
    got = read(build_invite(event, now=NOW))
    assert got["method"] == "REQUEST"
    assert got["tzids"] == ["Europe/London"]
    (ev,) = got["events"]
    assert ev["uid"] == event.uid
    assert ev["sequence"] == 3
    assert ev["summary"] == "Parental controls clinic"
    assert ev["status"] == "CONFIRMED"
    assert ev["url"] == "https://clinics.example/manage/abc"
    assert ev["stamp"] == NOW
    assert (ev["start"], ev["end"]) == (event.starts_at, event.ends_at)
    assert ev["start_tzid"] == ev["end_tzid"] == "Europe/London"
    assert ev["organizer"] == "mailto:pc.jones@police.example"
    assert ev["attendees"] == [
        (
            "mailto:ann.parent@example.com",
            {
                "CN": "Ann Parent",
                "CUTYPE": "INDIVIDUAL",
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "FALSE",
            },
        )
    ]


def test_invite_envelope_is_rfc5545():
    data = build_invite(make_event(last_modified=utc(2026, 8, 31, 9)), now=NOW)
    text = data.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = unfolded_lines(data)
    for line in ("VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:REQUEST"):
        assert line in lines
    assert "PRODID:-//Safer Schools Clinics//Booking//EN" in lines
    assert "DTSTAMP:20260901T120000Z" in lines
    assert "LAST-MODIFIED:20260831T090000Z" in lines
    assert "DTSTART;TZID=Europe/London:20261110T153000" in lines
    # The VTIMEZONE comes before the event that uses it.
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


def test_same_inputs_same_bytes():
    event = make_event(alarm_before=timedelta(days=1))
    assert build_invite(event, now=NOW) == build_invite(event, now=NOW)
    assert build_feed([event], calendar_name="x", now=NOW) == build_feed(
        [event], calendar_name="x", now=NOW
    )


def test_cancel_keeps_uid_and_sets_cancelled(read):
    event = make_event(sequence=1, alarm_before=timedelta(days=1))
    first = read(build_invite(event, now=NOW))["events"][0]
    got = read(build_invite(replace(event, sequence=2), method="CANCEL", now=NOW))
    assert got["method"] == "CANCEL"
    (ev,) = got["events"]
    assert ev["uid"] == first["uid"] == event.uid
    assert ev["sequence"] == 2 > first["sequence"]
    assert ev["status"] == "CANCELLED"
    assert [a for a, _ in ev["attendees"]] == ["mailto:ann.parent@example.com"]
    assert ev["triggers"] == []  # no reminder for a clinic that is not happening


def test_cancelled_flag_sets_status_in_a_download(read):
    got = read(build_invite(make_event(cancelled=True), method="PUBLISH", now=NOW))
    assert got["events"][0]["status"] == "CANCELLED"


def test_publish_download_has_no_attendee(read):
    data = build_invite(make_event(), method="publish", now=NOW)
    assert "ATTENDEE" not in data.decode()
    got = read(data)
    assert got["method"] == "PUBLISH"
    assert got["events"][0]["attendees"] == []


@pytest.mark.parametrize("field", ["starts_at", "ends_at", "last_modified"])
def test_naive_datetimes_rejected(field):
    naive = datetime(2026, 11, 10, 15, 30)
    with pytest.raises(ValueError, match="timezone-aware"):
        make_event(**{field: naive})


def test_naive_now_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        build_invite(make_event(), now=datetime(2026, 9, 1, 12))


def test_aware_non_utc_means_the_same_instant():
    london = ZoneInfo("Europe/London")
    event = make_event(
        starts_at=datetime(2026, 7, 1, 10, tzinfo=london),
        ends_at=datetime(2026, 7, 1, 10, 15, tzinfo=london),
    )
    same = make_event(starts_at=utc(2026, 7, 1, 9), ends_at=utc(2026, 7, 1, 9, 15))
    assert build_invite(event, now=NOW) == build_invite(same, now=NOW)


@pytest.mark.parametrize("minutes", [0, -15])
def test_end_not_after_start_rejected(minutes):
    start = utc(2026, 11, 10, 15, 30)
    with pytest.raises(ValueError, match="after"):
        make_event(starts_at=start, ends_at=start + timedelta(minutes=minutes))


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_itip_needs_organizer_and_attendee(method):
    with pytest.raises(ValueError, match="organizer"):
        build_invite(make_event(organizer=None), method=method, now=NOW)
    with pytest.raises(ValueError, match="attendee"):
        build_invite(make_event(attendee=None), method=method, now=NOW)


def test_unknown_method_rejected():
    with pytest.raises(ValueError, match="method"):
        build_invite(make_event(), method="REPLY", now=NOW)
    with pytest.raises(ValueError, match="method"):
        content_type("COUNTER")


@pytest.mark.parametrize(
    "changes",
    [
        {"uid": ""},
        {"sequence": -1},
        {"sequence": "1"},
        {"alarm_before": timedelta(0)},
        {"attendee": [PARENT, Person("other.parent@example.com")]},
    ],
)
def test_bad_event_values_rejected(changes):
    with pytest.raises(ValueError):
        make_event(**changes)


@pytest.mark.parametrize(
    "email", ["", "no-at-sign", "a@b@c", "ann@example.com\r\nATTENDEE:mailto:x@y.z", "a b@c.d"]
)
def test_bad_email_rejected(email):
    with pytest.raises(ValueError, match="email"):
        Person(email)


def test_exactly_one_attendee_line():
    data = build_invite(make_event(), now=NOW)
    attendees = [line for line in unfolded_lines(data) if line.startswith("ATTENDEE")]
    assert len(attendees) == 1
    assert "ann.parent@example.com" in attendees[0]


def test_content_type():
    assert CONTENT_TYPE == "text/calendar; charset=utf-8"
    assert content_type("request") == "text/calendar; charset=utf-8; method=REQUEST"
    assert content_type("CANCEL") == "text/calendar; charset=utf-8; method=CANCEL"


# --- text escaping, folding, alarms -------------------------------------------------

TRICKY = {
    "summary": "Clinic: phones, tablets; consoles \\ apps",
    "description": "Line one, with comma; semicolon\r\nLine two\nLine three — “Roblox” ✓",
    "location": "Room 4, Block B; St Mary's C of E Primary",
}


def test_special_characters_escaped_on_the_wire():
    lines = unfolded_lines(build_invite(make_event(**TRICKY), now=NOW))
    assert "SUMMARY:Clinic: phones\\, tablets\\; consoles \\\\ apps" in lines
    assert "LOCATION:Room 4\\, Block B\\; St Mary's C of E Primary" in lines
    assert (
        "DESCRIPTION:Line one\\, with comma\\; semicolon\\nLine two\\nLine three — “Roblox” ✓"
        in lines
    )


def test_special_characters_round_trip(read):
    (ev,) = read(build_invite(make_event(**TRICKY), now=NOW))["events"]
    assert ev["summary"] == TRICKY["summary"]
    assert ev["location"] == TRICKY["location"]
    # A browser textarea sends CRLF; calendars only know "\n".
    assert ev["description"] == TRICKY["description"].replace("\r\n", "\n")


def test_long_lines_are_folded_at_75_octets():
    data = build_invite(make_event(description="Tablets ✓ " * 40), now=NOW)
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
    assert b"\r\n " in data


def test_cn_with_quotes_round_trips_where_rfc6868_is_known():
    parent = Person("jo@example.com", 'Jo "JJ" Smith, Jr')
    data = build_invite(make_event(attendee=parent), now=NOW)
    for reader in (read_icalendar, read_icaljs):
        (ev,) = reader(data)["events"]
        assert ev["attendees"][0][1]["CN"] == 'Jo "JJ" Smith, Jr'


def test_alarm_trigger_one_day_before(read):
    data = build_invite(make_event(alarm_before=timedelta(days=1)), now=NOW)
    assert "TRIGGER:-P1D" in unfolded_lines(data)
    assert "ACTION:DISPLAY" in unfolded_lines(data)
    assert read(data)["events"][0]["triggers"] == [timedelta(days=-1)]


def test_no_alarm_unless_asked(read):
    assert read(build_invite(make_event(), now=NOW))["events"][0]["triggers"] == []


# --- the days the clocks change -----------------------------------------------------

# (start UTC, end UTC, DTSTART line, DTEND line). Europe/London: BST ends at
# 02:00 BST on 25 Oct 2026 (01:00-02:00 local happens twice), starts at 01:00 GMT
# on 28 Mar 2027 (01:00-02:00 local never happens).
CLOCK_CASES = {
    "day before autumn change, BST": (
        utc(2026, 10, 24, 9),
        utc(2026, 10, 24, 9, 15),
        "DTSTART;TZID=Europe/London:20261024T100000",
        "DTEND;TZID=Europe/London:20261024T101500",
    ),
    "autumn change day, GMT": (
        utc(2026, 10, 25, 10),
        utc(2026, 10, 25, 10, 15),
        "DTSTART;TZID=Europe/London:20261025T100000",
        "DTEND;TZID=Europe/London:20261025T101500",
    ),
    "day before spring change, GMT": (
        utc(2027, 3, 27, 10),
        utc(2027, 3, 27, 10, 15),
        "DTSTART;TZID=Europe/London:20270327T100000",
        "DTEND;TZID=Europe/London:20270327T101500",
    ),
    "spring change day, BST": (
        utc(2027, 3, 28, 9),
        utc(2027, 3, 28, 9, 15),
        "DTSTART;TZID=Europe/London:20270328T100000",
        "DTEND;TZID=Europe/London:20270328T101500",
    ),
    # 00:30Z is 01:30 BST and 01:30Z is 01:30 GMT: the same wall time twice, so
    # a TZID cannot say which; UTC can.
    "autumn repeated hour, both ends": (
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 30),
        "DTSTART:20261025T003000Z",
        "DTEND:20261025T013000Z",
    ),
    # 01:15-01:45 BST is the first pass: RFC 5545 says readers pick it, but
    # ical.js picks the second, so this too is written in UTC.
    "autumn repeated hour, first pass only": (
        utc(2026, 10, 25, 0, 15),
        utc(2026, 10, 25, 0, 45),
        "DTSTART:20261025T001500Z",
        "DTEND:20261025T004500Z",
    ),
    "autumn, across the change": (
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 2, 30),
        "DTSTART;TZID=Europe/London:20261025T003000",
        "DTEND;TZID=Europe/London:20261025T023000",
    ),
    "spring, across the missing hour": (
        utc(2027, 3, 28, 0, 30),
        utc(2027, 3, 28, 1, 30),
        "DTSTART;TZID=Europe/London:20270328T003000",
        "DTEND;TZID=Europe/London:20270328T023000",
    ),
}


@pytest.mark.parametrize("case", CLOCK_CASES.values(), ids=CLOCK_CASES.keys())
def test_clock_changes_keep_the_utc_instant(read, case):
    start, end, dtstart, dtend = case
    data = build_invite(make_event(starts_at=start, ends_at=end), now=NOW)
    lines = unfolded_lines(data)
    assert dtstart in lines and dtend in lines
    (ev,) = read(data)["events"]
    assert (ev["start"], ev["end"]) == (start, end)


def test_icalendar_zoneinfo_agrees_with_our_vtimezone():
    """icalendar itself resolves TZID=Europe/London with zoneinfo; same instants."""
    for start, end, _, _ in CLOCK_CASES.values():
        data = build_invite(make_event(starts_at=start, ends_at=end), now=NOW)
        (ev,) = icalendar.Calendar.from_ical(data).events
        assert (ev.start, ev.end) == (start, end)


def _onset_days(data: bytes, until: datetime = datetime(2030, 1, 1)) -> set:
    """The day of every transition (DTSTART, RRULE or RDATE) in the file's one VTIMEZONE."""
    (tz,) = icalendar.Calendar.from_ical(data).timezones
    days = set()
    for sub in tz.subcomponents:
        start = sub["DTSTART"].dt
        days.add(start.date())
        if "RRULE" in sub:
            rule = rrulestr(sub["RRULE"].to_ical().decode(), dtstart=start)
            days.update(d.date() for d in rule.between(start, until, inc=True))
        rdates = sub.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            days.update(d.dt.date() for d in rdate.dts)
    return days


def test_london_uses_yearly_rules_not_a_list_of_dates():
    """Outlook desktop is reported to ignore RDATE in a VTIMEZONE; yearly rules it reads."""
    data = build_invite(make_event(), now=NOW)
    (tz,) = icalendar.Calendar.from_ical(data).timezones
    parts = {sub.name: sub for sub in tz.subcomponents}
    assert set(parts) == {"DAYLIGHT", "STANDARD"}
    assert parts["DAYLIGHT"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert parts["STANDARD"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert b"RDATE" not in data
    assert parts["DAYLIGHT"]["DTSTART"].dt == datetime(1970, 3, 29, 1, 0)
    assert parts["STANDARD"]["DTSTART"].dt == datetime(1970, 10, 25, 2, 0)


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Sao_Paulo", "Australia/Sydney"])
def test_other_zones_keep_their_instants(read, zone):
    """No DST (Tokyo), DST abolished in 2019 (Sao Paulo: falls back to listed dates), and
    a southern-hemisphere zone: each parser reading our VTIMEZONE gives the same instants."""
    events = [
        make_event(uid=f"{n}@x", starts_at=utc(y, m, 1, 10), ends_at=utc(y, m, 1, 11))
        for n, (y, m) in enumerate([(2018, 1), (2019, 7), (2026, 1), (2026, 7)])
    ]
    data = build_feed(events, calendar_name="Clinics", now=NOW, timezone=zone)
    parsed = {ev["uid"]: (ev["start"], ev["end"]) for ev in read(data)["events"]}
    assert parsed == {e.uid: (e.starts_at, e.ends_at) for e in events}


def test_vtimezone_covers_the_event_years():
    events = [
        make_event(uid="a@x", starts_at=utc(2026, 11, 1, 10), ends_at=utc(2026, 11, 1, 11)),
        make_event(uid="b@x", starts_at=utc(2027, 6, 1, 10), ends_at=utc(2027, 6, 1, 11)),
    ]
    data = build_feed(events, calendar_name="Clinics", now=NOW)
    assert data.count(b"BEGIN:VTIMEZONE") == 1
    days = {day.isoformat() for day in _onset_days(data)}
    assert {"2026-03-29", "2026-10-25", "2027-03-28", "2027-10-31"} <= days


# --- feeds --------------------------------------------------------------------------


def test_feed_has_no_attendee_and_names_itself(read):
    events = [
        make_event(uid=f"booking-{n}@clinics.example", attendee=Person(f"parent{n}@example.com"))
        for n in range(3)
    ]
    data = build_feed(events, calendar_name="PC Jones clinics", now=NOW)
    assert b"ATTENDEE" not in data
    lines = unfolded_lines(data)
    for line in (
        "METHOD:PUBLISH",
        "NAME:PC Jones clinics",
        "X-WR-CALNAME:PC Jones clinics",
        "X-WR-TIMEZONE:Europe/London",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert line in lines
    got = read(data)
    assert got["method"] == "PUBLISH"
    assert got["calname"] == "PC Jones clinics"
    assert [ev["uid"] for ev in got["events"]] == [e.uid for e in events]
    assert all(ev["attendees"] == [] for ev in got["events"])
    assert all(ev["organizer"] == "mailto:pc.jones@police.example" for ev in got["events"])


def test_feed_refresh_and_name_escaping():
    data = build_feed(
        [make_event()], calendar_name="Oak, Ash; Elm", refresh=timedelta(minutes=30), now=NOW
    )
    lines = unfolded_lines(data)
    assert "X-WR-CALNAME:Oak\\, Ash\\; Elm" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in lines
    assert "X-PUBLISHED-TTL:PT30M" in lines


def test_feed_shows_cancelled_events_as_cancelled(read):
    data = build_feed([make_event(cancelled=True)], calendar_name="Clinics", now=NOW)
    assert read(data)["events"][0]["status"] == "CANCELLED"


def test_empty_feed_is_still_a_valid_calendar(read):
    data = build_feed([], calendar_name="No clinics yet", now=NOW)
    got = read(data)
    assert got["events"] == []
    assert got["tzids"] == ["Europe/London"]


def test_feed_rejects_repeated_uid_and_bad_refresh():
    with pytest.raises(ValueError, match="UID"):
        build_feed([make_event(), make_event()], calendar_name="x", now=NOW)
    with pytest.raises(ValueError, match="refresh"):
        build_feed([make_event()], calendar_name="x", refresh=timedelta(0), now=NOW)


# --- the VTIMEZONE is built once per zone and years -------------------------------------


@pytest.mark.parametrize("zone", ["Europe/London", "Australia/Sydney", "Asia/Tehran", "UTC"])
def test_cached_vtimezone_gives_the_same_bytes_as_building_it(zone):
    """The cache changes nothing in the file: the same bytes as a fresh build (and again)."""
    from clinic.invites import calendar

    events = [
        make_event(uid="a@x", starts_at=utc(2026, 3, 29, 0, 30), ends_at=utc(2026, 3, 29, 1, 30)),
        make_event(uid="b@x", starts_at=utc(2027, 10, 31, 0, 30), ends_at=utc(2027, 10, 31, 2)),
    ]
    fresh = calendar._zone_component.__wrapped__(zone, 2026, 2027).to_ical()
    calendar._zone_component.cache_clear()
    first = build_feed(events, calendar_name="Clinics", now=NOW, timezone=zone)
    again = build_feed(events, calendar_name="Clinics", now=NOW, timezone=zone)
    assert calendar._zone_component.cache_info().hits >= 1
    assert first == again
    assert fresh in first


def test_a_calendar_cannot_change_the_cached_vtimezone():
    """Each calendar gets its own copy: changing one leaves the next invite as it was."""
    from clinic.invites import calendar

    event = make_event()
    before = build_invite(event, now=NOW)
    cal = calendar._calendar("REQUEST", [event], NOW, "Europe/London", "-//x//y//EN")
    zone = cal.walk("VTIMEZONE")[0]
    zone["TZID"] = "Mars/Olympus_Mons"
    zone.subcomponents.clear()
    assert build_invite(event, now=NOW) == before
