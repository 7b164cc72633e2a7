"""Working days in England: Monday to Friday, except bank holidays.

One calendar for the whole service: the warning when a clinic is set on a day schools are
usually shut (clinic.schedule), and the "working day before" on which attendance lists go
to schools (clinic.attendance).  Bank holidays come from the ``holidays`` package (England,
substitute days included: when Boxing Day is a Saturday, Monday 28 December is the bank
holiday); update the package's pin in requirements.txt to get later years' changes, such
as a bank holiday for a royal occasion.

``holidays`` is imported on first use: most commands never need it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

COUNTRY, SUBDIVISION = "GB", "ENG"  # bank holidays of England (Wales has the same)
WEEKEND = {5: "Saturday", 6: "Sunday"}


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> dict[date, str]:
    import holidays  # heavy-ish; only the few callers need it

    found = holidays.country_holidays(COUNTRY, subdiv=SUBDIVISION, years=year)
    return dict(found.items())


def bank_holiday(day: date) -> str | None:
    """The bank holiday's name ("Christmas Day", "Boxing Day (observed)"), or None."""
    return _bank_holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() not in WEEKEND and bank_holiday(day) is None


def why_not_working(day: date) -> str | None:
    """Why schools are usually shut on ``day``, in words, or None on a working day."""
    name = bank_holiday(day)
    if name is not None:
        if name.endswith(" (observed)"):
            name = "the substitute day for " + name.removesuffix(" (observed)")
        return f"a bank holiday ({name})"
    if day.weekday() in WEEKEND:
        return f"a {WEEKEND[day.weekday()]}"
    return None


def working_day_before(day: date) -> date:
    """The last working day before ``day``: Monday's clinic gets its list on Friday, and the
    Tuesday after Easter Monday's on the Thursday before Good Friday."""
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
