"""Template filters: times are stored in UTC and shown in the clinic's time zone."""

from datetime import date, datetime, timedelta

from flask import Flask

from .localtime import local
from .text import joined, sentence


def format_time(value: datetime) -> str:
    """10am, 10:15am — the GOV.UK style for times."""
    t = local(value)
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    if t.hour == 12 and t.minute == 0:
        return "midday"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def format_date(value: date | datetime) -> str:
    """Monday 7 December 2026."""
    if isinstance(value, datetime):
        value = local(value)
    return f"{value:%A} {value.day} {value:%B %Y}"


def format_datetime(value: datetime) -> str:
    return f"{format_date(value)} at {format_time(value)}"


def format_duration(value: timedelta) -> str:
    """15 minutes, 1 hour, 1 hour 30 minutes — how long a slot is, in words."""
    minutes = max(round(value.total_seconds() / 60), 0)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def register(app: Flask) -> None:
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(joined, "joined")
    app.add_template_filter(sentence, "sentence")
