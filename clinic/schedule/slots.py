"""Turning a clinic's local start, end, slot length and gap into slot times (pure).

Officers think in wall-clock times ("3pm to 5pm, 15 minutes each"); the database stores
UTC instants.  The window's two ends are read as local times on the clinic's date, turned
into instants, and the slots are laid out in real elapsed time between them.  So on the
days the clocks change (25 October 2026, 28 March 2027) every slot still lasts exactly
its length, and a 3pm start is 3pm on the wall whatever the offset is that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import RuleError

MIN_CAPACITY = 1
MAX_CAPACITY = 50
MAX_SLOTS = 60
MIN_LENGTH = 5  # minutes
MAX_GAP = 120  # minutes


class SlotPatternError(RuleError):
    """A slot pattern that cannot be laid out; the message is shown next to ``field``."""

    field: str  # always named: every refusal here is about one box

    def __init__(self, message: str, field: str):
        super().__init__(message, field)


@dataclass(frozen=True)
class SlotPattern:
    """How a clinic's time is split: local start and end, minutes per slot and between."""

    start: time
    end: time
    length: int  # minutes; 0 means one slot for the whole window
    gap: int
    capacity: int


def local_instant(day: date, at: time, zone: str, field: str = "start") -> datetime:
    """The UTC instant of a wall-clock time on a day.

    A time the clocks skip (01:30 on 28 March 2027) does not exist and is refused; a time
    that happens twice (01:30 on 25 October 2026) is taken the first time round, as the
    iCalendar standard does.
    """
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, at.replace(tzinfo=None), tzinfo=tz)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise SlotPatternError(
            f"The clocks go forward that night, so {at:%H:%M} does not exist on that day. "
            "Choose another time",
            field,
        )
    return instant


def check_capacity(capacity: int, field: str = "capacity") -> None:
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise SlotPatternError(
            f"Households per slot must be between {MIN_CAPACITY} and {MAX_CAPACITY}", field
        )


def generate_slots(day: date, pattern: SlotPattern, zone: str) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) pairs for the pattern on ``day`` in ``zone``, or SlotPatternError."""
    check_capacity(pattern.capacity)
    starts_at = local_instant(day, pattern.start, zone, "start_time")
    ends_at = local_instant(day, pattern.end, zone, "end_time")
    if ends_at <= starts_at:
        raise SlotPatternError("The end time must be after the start time", "end_time")
    window = ends_at - starts_at
    if pattern.length == 0:
        return [(starts_at, ends_at)]
    length, gap = timedelta(minutes=pattern.length), timedelta(minutes=pattern.gap)
    if pattern.length < MIN_LENGTH:
        raise SlotPatternError(f"Each slot must be at least {MIN_LENGTH} minutes long", "length")
    if not 0 <= pattern.gap <= MAX_GAP:
        raise SlotPatternError(
            f"The gap between slots must be between 0 and {MAX_GAP} minutes", "gap"
        )
    if length > window:
        minutes = int(window.total_seconds() // 60)
        raise SlotPatternError(
            f"Each slot is longer than the clinic ({minutes} minutes from start to end). "
            "Make the slots shorter or the clinic longer",
            "length",
        )
    count = (window + gap) // (length + gap)
    if count > MAX_SLOTS:
        raise SlotPatternError(
            f"That makes {count} slots; a clinic can have up to {MAX_SLOTS}. "
            "Make the slots longer or the clinic shorter",
            "length",
        )
    return [
        (starts_at + i * (length + gap), starts_at + i * (length + gap) + length)
        for i in range(count)
    ]


def shift_to_day(instant: datetime, day: date, zone: str) -> datetime:
    """The same wall-clock time as ``instant``, on another day (for moving or copying)."""
    wall = instant.astimezone(ZoneInfo(zone)).time()
    return local_instant(day, wall, zone)
