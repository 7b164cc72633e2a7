"""How long a waiting-list offer lasts (README, "Waiting-list offers"): never past booking
close, half the waking time left, quiet hours not counted, and not sent when too short.

Times are pinned (a January week, when London's clock is UTC) so the rule is checked at
the hours that matter, not at the hour the tests happen to run."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic.manage import service as manage
from clinic.models import Booking, WaitlistEntry
from clinic.waitlist import service as waitlist

TUESDAY = datetime(2027, 1, 12, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` days after Tuesday 12 January 2027, at this London (= UTC) time."""
    return TUESDAY + timedelta(days=day, hours=hour, minutes=minute)


@pytest.fixture
def quiet(app):
    app.config["WAITLIST_QUIET_HOURS"] = "22:00-07:00"


def place(session, clinic, *, starts: datetime, closes: datetime | None):
    """The clinic's first time starts at ``starts``; booking closes at ``closes``."""
    slot = min(clinic.slots, key=lambda s: s.starts_at)
    for index, each in enumerate(sorted(clinic.slots, key=lambda s: s.starts_at)):
        length = each.ends_at - each.starts_at
        each.starts_at = starts + index * length
        each.ends_at = each.starts_at + length
    clinic.date = starts.date()
    clinic.booking_opens_at = starts - timedelta(days=30)
    clinic.booking_closes_at = closes
    session.commit()
    return slot


# The README's table, row by row: when the offer is made, when booking closes (the clinic
# is five days on when it is not the limit), and when the offer ends (None: not sent).
TABLE = [
    ("clinic in 5 days, offered at 10:00", at(0, 10), None, at(0, 22)),
    ("clinic in 5 days, offered at 15:00", at(0, 15), None, at(1, 12)),
    ("clinic in 5 days, offered at 23:00", at(0, 23), None, at(1, 19)),
    ("booking closes in 10 hours (08:00 to 18:00)", at(0, 8), at(0, 18), at(0, 13)),
    ("booking closes at 09:00, offered at 21:00", at(0, 21), at(1, 9), at(1, 7, 30)),
    ("booking closes in an hour", at(0, 14), at(0, 15), at(0, 14, 30)),
    ("booking closes in 40 minutes", at(0, 14), at(0, 14, 40), None),
    ("booking closes at 07:45, offered at 23:00", at(0, 23), at(1, 7, 45), None),
    ("booking has closed", at(0, 14), at(0, 13), None),
]


@pytest.mark.usefixtures("quiet")
@pytest.mark.parametrize(("case", "now", "closes", "ends"), TABLE, ids=[row[0] for row in TABLE])
def test_the_readme_table(session, full_clinic, case, now, closes, ends):
    slot = place(session, full_clinic, starts=at(5, 16), closes=closes)

    assert waitlist.offer_ends(full_clinic, slot, now) == ends
    if ends is not None:
        assert ends < (closes or slot.starts_at)  # never past booking close


@pytest.mark.usefixtures("quiet")
def test_the_offer_is_shorter_as_the_clinic_nears(session, full_clinic):
    slot = place(session, full_clinic, starts=at(3, 12), closes=at(2, 12))
    lengths = [
        waitlist.offer_ends(full_clinic, slot, now) - now  # type: ignore[operator]
        for now in (at(0, 9), at(2, 8), at(2, 10), at(2, 11))
    ]
    assert lengths == [
        timedelta(hours=12),
        timedelta(hours=2),
        timedelta(hours=1),
        timedelta(minutes=30),
    ]
    assert waitlist.offer_ends(full_clinic, slot, at(2, 11, 1)) is None


@pytest.mark.usefixtures("quiet")
def test_the_summer_time_change_is_no_hour_longer_or_shorter(session, full_clinic):
    # Sunday 28 March 2027: London goes from 01:00 GMT to 02:00 BST, inside the quiet hours.
    saturday_evening = datetime(2027, 3, 27, 20, tzinfo=UTC)  # 20:00 GMT
    slot = place(session, full_clinic, starts=saturday_evening + timedelta(days=5), closes=None)
    ends = waitlist.offer_ends(full_clinic, slot, saturday_evening)
    # 2 waking hours on Saturday, then 10 from 07:00 BST (06:00 UTC): 17:00 BST.
    assert ends == datetime(2027, 3, 28, 16, tzinfo=UTC)


def test_without_quiet_hours_every_hour_counts(app, session, full_clinic):
    app.config["WAITLIST_QUIET_HOURS"] = ""
    slot = place(session, full_clinic, starts=at(5, 16), closes=at(1, 9))
    assert waitlist.offer_ends(full_clinic, slot, at(0, 23)) == at(1, 4)  # half of 10 hours


@pytest.mark.usefixtures("quiet")
def test_a_late_evening_place_is_not_offered_when_nobody_could_answer(session, smtp, full_clinic):
    place(session, full_clinic, starts=at(1, 9), closes=at(1, 7, 45))
    entry = waitlist.join(session, full_clinic, _household(), now=at(0, 12))
    session.commit()
    leaving = session.query(Booking).filter_by(clinic_id=full_clinic.id).first()
    smtp.clear()

    manage.cancel_booking(session, leaving, actor="parent", now=at(0, 23))
    session.commit()

    session.expire_all()
    assert session.get(WaitlistEntry, entry.id).status == "waiting"
    assert smtp.to("waiting@example.net") == []


@pytest.mark.usefixtures("quiet")
def test_a_night_offer_lasts_into_the_next_day(session, smtp, full_clinic):
    place(session, full_clinic, starts=at(5, 16), closes=at(4, 16))
    entry = waitlist.join(session, full_clinic, _household(), now=at(0, 12))
    session.commit()
    leaving = session.query(Booking).filter_by(clinic_id=full_clinic.id).first()

    manage.cancel_booking(session, leaving, actor="parent", now=at(0, 23))
    session.commit()

    session.expire_all()
    entry = session.get(WaitlistEntry, entry.id)
    assert (entry.status, entry.offer_expires_at) == ("offered", at(1, 19))
    assert len(smtp.to("waiting@example.net")) == 2  # joined, then the offer


def _household() -> dict:
    return {
        "parent_name": "Wren Waiting",
        "email": "waiting@example.net",
        "phone": None,
        "child_years": ["Year 3"],
        "topics": ["roblox"],
        "other_topic": None,
        "access_needs": None,
    }
