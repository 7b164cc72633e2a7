"""Slot generation (pure): wall-clock times in, UTC instants out, right on clock-change days."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinic.schedule.slots import (
    MAX_SLOTS,
    SlotPattern,
    SlotPatternError,
    generate_slots,
    local_instant,
    shift_to_day,
)

LONDON = "Europe/London"
CLOCKS_BACK = date(2026, 10, 25)  # 02:00 BST becomes 01:00 GMT
CLOCKS_FORWARD = date(2027, 3, 28)  # 01:00 GMT becomes 02:00 BST


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def pattern(start, end, length=15, gap=0, capacity=1) -> SlotPattern:
    return SlotPattern(start=start, end=end, length=length, gap=gap, capacity=capacity)


def test_one_to_one_afternoon_in_summer_time():
    slots = generate_slots(date(2026, 6, 10), pattern(time(15, 15), time(16, 15)), LONDON)
    assert slots == [
        (utc(2026, 6, 10, 14, 15), utc(2026, 6, 10, 14, 30)),
        (utc(2026, 6, 10, 14, 30), utc(2026, 6, 10, 14, 45)),
        (utc(2026, 6, 10, 14, 45), utc(2026, 6, 10, 15, 0)),
        (utc(2026, 6, 10, 15, 0), utc(2026, 6, 10, 15, 15)),
    ]


def test_gap_between_slots_and_a_part_slot_left_over_is_dropped():
    slots = generate_slots(date(2026, 12, 1), pattern(time(15), time(16), 15, 5), LONDON)
    assert [s for s, _ in slots] == [utc(2026, 12, 1, 15, m) for m in (0, 20, 40)]
    assert all(e - s == timedelta(minutes=15) for s, e in slots)


def test_group_session_is_one_slot_for_the_whole_window():
    slots = generate_slots(date(2026, 12, 1), pattern(time(18), time(19), 0, 0, 20), LONDON)
    assert slots == [(utc(2026, 12, 1, 18), utc(2026, 12, 1, 19))]


def test_afternoon_clinic_on_the_day_the_clocks_go_back_is_in_gmt():
    before = generate_slots(date(2026, 10, 24), pattern(time(15), time(15, 30)), LONDON)
    on_the_day = generate_slots(CLOCKS_BACK, pattern(time(15), time(15, 30)), LONDON)
    assert before[0][0] == utc(2026, 10, 24, 14, 0)  # BST: 3pm is 14:00 UTC
    assert on_the_day == [
        (utc(2026, 10, 25, 15, 0), utc(2026, 10, 25, 15, 15)),  # GMT: 3pm is 15:00 UTC
        (utc(2026, 10, 25, 15, 15), utc(2026, 10, 25, 15, 30)),
    ]


def test_afternoon_clinic_on_the_day_the_clocks_go_forward_is_in_bst():
    slots = generate_slots(CLOCKS_FORWARD, pattern(time(15), time(15, 30)), LONDON)
    assert slots[0] == (utc(2027, 3, 28, 14, 0), utc(2027, 3, 28, 14, 15))


def test_window_across_the_change_back_gets_the_real_hour_more():
    """00:30 to 03:00 on 25 October 2026 lasts 3.5 hours: every slot is 30 real minutes."""
    slots = generate_slots(CLOCKS_BACK, pattern(time(0, 30), time(3), 30), LONDON)
    assert len(slots) == 7
    assert slots[0][0] == utc(2026, 10, 24, 23, 30)
    assert slots[-1][1] == utc(2026, 10, 25, 3, 0)
    assert all(e - s == timedelta(minutes=30) for s, e in slots)


def test_window_across_the_change_forward_loses_the_hour():
    """00:30 to 03:00 on 28 March 2027 lasts 1.5 hours."""
    slots = generate_slots(CLOCKS_FORWARD, pattern(time(0, 30), time(3), 30), LONDON)
    assert len(slots) == 3
    assert slots[0][0] == utc(2027, 3, 28, 0, 30)
    assert slots[-1][1] == utc(2027, 3, 28, 2, 0)


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(SlotPatternError) as error:
        generate_slots(CLOCKS_FORWARD, pattern(time(1, 30), time(3)), LONDON)
    assert error.value.field == "start_time"
    assert "clocks go forward" in str(error.value)


def test_a_time_that_happens_twice_is_taken_the_first_time():
    assert local_instant(CLOCKS_BACK, time(1, 30), LONDON) == utc(2026, 10, 25, 0, 30)


def test_moving_to_another_day_keeps_the_wall_clock_time():
    summer = utc(2026, 10, 24, 14, 0)  # 3pm BST
    assert shift_to_day(summer, CLOCKS_BACK, LONDON) == utc(2026, 10, 25, 15, 0)  # 3pm GMT


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        (pattern(time(16), time(15)), "end_time", "end time must be after"),
        (pattern(time(15), time(15)), "end_time", "end time must be after"),
        (pattern(time(15), time(15, 30), 45), "length", "longer than the clinic"),
        (pattern(time(15), time(16), 3), "length", "at least 5 minutes"),
        (pattern(time(15), time(16), 15, 200), "gap", "between 0 and 120"),
        (pattern(time(15), time(16), capacity=0), "capacity", "between 1 and 50"),
        (pattern(time(15), time(16), capacity=51), "capacity", "between 1 and 50"),
        (pattern(time(8), time(18), 5), "length", "up to 60"),
    ],
)
def test_bad_patterns_name_their_field(given, field, words):
    with pytest.raises(SlotPatternError) as error:
        generate_slots(date(2026, 12, 1), given, LONDON)
    assert error.value.field == field
    assert words in str(error.value)


def test_exactly_sixty_slots_is_allowed():
    slots = generate_slots(date(2026, 12, 1), pattern(time(8), time(13), 5), LONDON)
    assert len(slots) == MAX_SLOTS
