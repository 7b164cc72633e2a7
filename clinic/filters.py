"""Template filters: times are stored in UTC and shown in the clinic's time zone."""

from datetime import date, datetime

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


def register(app: Flask) -> None:
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(joined, "joined")
    app.add_template_filter(sentence, "sentence")
