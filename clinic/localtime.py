"""The clinic's time zone (``CLINIC_TIMEZONE``, default Europe/London): the one place it
is looked up.

Times are stored in UTC; they become local only to be shown, to be typed in (an officer's
"3pm"), or to decide which day it is.  Pure builders (slot layout, calendars) take the
zone's name as a plain value from ``zone_name()``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from .models import utcnow


def zone_name() -> str:
    return current_app.config["CLINIC_TIMEZONE"]


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(zone_name())


def local(value: datetime) -> datetime:
    """An aware instant as the clinic's wall clock shows it."""
    return value.astimezone(clinic_zone())


def local_today(now: datetime | None = None) -> date:
    """The clinic's date at ``now`` (default: now)."""
    return local(now or utcnow()).date()
