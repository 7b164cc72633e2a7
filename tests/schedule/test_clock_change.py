"""Clinics on the days the clocks change: slots, the change email's invite and the feed
all say the same wall-clock times (with ``now`` set before those days)."""

from datetime import UTC, date, datetime, time

import pytest

from clinic.schedule import feed, service
from clinic.schedule.service import ClinicDetails
from clinic.schedule.slots import SlotPattern
from tests.invites.test_calendar import read_icalendar, read_icaljs

from .conftest import LONDON, invite_of, wait_for_mail


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


DAYS = [
    # the day, "now" some weeks before it, and 3:15pm on the day in UTC
    (date(2026, 10, 25), utc(2026, 9, 1), utc(2026, 10, 25, 15, 15)),  # GMT again
    (date(2027, 3, 28), utc(2027, 2, 1), utc(2027, 3, 28, 14, 15)),  # BST from 1am
]


@pytest.mark.parametrize(("day", "now", "quarter_past_three"), DAYS)
def test_a_clinic_on_a_clock_change_day(
    session, smtp, make, school, officer_user, day, now, quarter_past_three
):
    clinic = service.create_clinic(
        session,
        officer_user,
        school=school,
        details=ClinicDetails("Parental controls clinic", "", "School library", day),
        pattern=SlotPattern(time(15, 15), time(16, 15), 15, 0, 1),
        allow_closed_day=True,  # clocks change on Sundays
        now=now,
    )
    service.publish_clinic(session, officer_user, clinic, expected_version=clinic.version, now=now)
    session.commit()
    assert clinic.slots[0].starts_at == quarter_past_three
    assert [s.starts_at.astimezone(LONDON).time() for s in clinic.slots] == [
        time(15, 15),
        time(15, 30),
        time(15, 45),
        time(16, 0),
    ]

    booking = make.booking(clinic.slots[0], email="ann@example.net")
    service.update_clinic(
        session,
        officer_user,
        clinic,
        ClinicDetails("Parental controls clinic", "", "Main hall", day),
        expected_version=clinic.version,
        confirmed=True,
        now=now,
    )
    session.commit()
    data = invite_of(wait_for_mail(smtp, "ann@example.net")[0])
    for parsed in (read_icalendar(data), read_icaljs(data)):
        (event,) = parsed["events"]
        assert event["uid"] == booking.uid
        assert event["start"] == quarter_past_three
        assert event["start_tzid"] == "Europe/London"

    calendar = feed.officer_feed(session, officer_user, now=now)
    for parsed in (read_icalendar(calendar), read_icaljs(calendar)):
        (event,) = parsed["events"]
        assert (event["uid"], event["start"]) == (clinic.uid, quarter_past_three)
        assert event["end"] == clinic.slots[-1].ends_at
