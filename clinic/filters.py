"""Template filters: times are stored in UTC and shown in the clinic's time zone, in the
language being drawn (clinic/i18n.py).

English follows the GOV.UK style guide ("Monday 7 December 2026", "10:15am", "midday");
every other language is written as Babel's CLDR data for it says ("poniedziałek, 7 grudnia
2026", "10:15"), so no month or weekday name is typed by hand here.
"""

from datetime import date, datetime, timedelta

from babel import dates as babel_dates
from babel import units as babel_units
from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .i18n import current_language, direction
from .localtime import local
from .text import joined, sentence


def _english() -> bool:
    return current_language() == "en"


def format_time(value: datetime) -> str:
    """10am, 10:15am — the GOV.UK style for times (the locale's own short time otherwise)."""
    t = local(value)
    if not _english():
        return babel_dates.format_time(t, "short", locale=get_locale())
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    if t.hour == 12 and t.minute == 0:
        return "midday"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def format_date(value: date | datetime) -> str:
    """Monday 7 December 2026."""
    if isinstance(value, datetime):
        value = local(value)
    if not _english():
        return babel_dates.format_date(value, "full", locale=get_locale())
    return f"{value:%A} {value.day} {value:%B %Y}"


def format_datetime(value: datetime) -> str:
    return _("%(date)s at %(time)s", date=format_date(value), time=format_time(value))


def format_duration(value: timedelta) -> str:
    """15 minutes, 1 hour, 1 hour 30 minutes — how long a slot is, in words."""
    minutes = max(round(value.total_seconds() / 60), 0)
    hours, minutes = divmod(minutes, 60)
    if not _english():
        locale = get_locale()
        words = [babel_units.format_unit(hours, "duration-hour", "long", locale=locale)]
        words = words if hours else []
        if minutes or not hours:
            words.append(babel_units.format_unit(minutes, "duration-minute", "long", locale=locale))
        return " ".join(words)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def typed(value: object, language: str = "en") -> Markup | object:
    """Text that staff typed (a clinic's title, venue or description, a school's name, a
    guidance text), which stays in the language it was written in (``language``, English
    unless a per-language text says otherwise).  On a page in another language it is
    wrapped in ``<span lang dir>`` so a screen reader reads it in that language (WCAG
    3.1.2); on a page in the same language it is left as it is."""
    if value is None or value == "" or language == current_language():
        return value
    return Markup('<span lang="{}" dir="{}">{}</span>').format(language, direction(language), value)


def register(app: Flask) -> None:
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(typed, "typed")
    app.add_template_filter(joined, "joined")
    app.add_template_filter(sentence, "sentence")
