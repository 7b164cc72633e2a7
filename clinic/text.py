"""Text people type, made safe to keep: the one place that says what a line of text may hold.

Two kinds of text reach the database:

- **one line** (names, titles, school names, subjects, link texts, email addresses): no
  line breaks and no control characters.  Each run of them becomes one space, so
  "Oakfield\\r\\nPrimary" is kept as "Oakfield Primary" — what the person meant — and can
  never split an email header, a CSV row or a calendar line.
- **several lines** (descriptions, access needs, comments, addresses): line breaks are kept
  (as ``\\n``; ``\\r\\n`` and a lone ``\\r`` become ``\\n``, and so do the Unicode line and
  paragraph separators), tabs too; every other control character goes.

Both drop lone surrogates (a Python string can hold them, no database or email can) and NUL
(PostgreSQL refuses it in text).  Format characters such as right-to-left marks and emoji
joiners are kept: they are part of how people write their names.

``OneLine`` and ``Lines`` (``clinic.models``) apply these to every single-line and multi-line
column whenever a value is written, by the ORM or by a Core INSERT/UPDATE alike, so no path
(a form, a crafted POST that skips it, a service, a CLI command) can store a line break in a
title.  The forms apply the same functions as filters (``clinic.forms.Form``), so what a
person sees back on the page is what will be kept.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls and DEL, plus the Unicode line and paragraph separators.
_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_ONE_LINE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_LINES_BAD = re.compile(r"[\x00-\x08\x0b\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _no_surrogates(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value)


def one_line(value):
    """``value`` with every run of line breaks and control characters turned into one
    space (then trimmed); a value that had none is returned exactly as it was."""
    if not isinstance(value, str):
        return value
    cleaned = _ONE_LINE_BAD.sub(" ", _no_surrogates(value))
    return value if cleaned == value else cleaned.strip()


def lines(value):
    """``value`` with its line breaks as ``\\n`` and every other control character removed."""
    if not isinstance(value, str):
        return value
    return _LINES_BAD.sub("", _LINE_BREAK.sub("\n", _no_surrogates(value)))


def has_control(value: str) -> bool:
    """Any control character or line break at all (for values where removing one would
    change what they mean, like an email address or a web address: refuse those)."""
    return any(unicodedata.category(ch) == "Cc" or ch in _BREAKS for ch in value)


# --- typed text put together for reading -------------------------------------------------


def _phrase(value) -> str:
    """One piece of typed text as part of a longer line: its runs of spaces and line
    breaks as one space, and without the full stop it ended with."""
    return " ".join(str(value).split()).rstrip(".").rstrip() if value else ""


def joined(parts, separator: str = ", ") -> str:
    """Pieces of typed text as one line, blanks left out: the venue "Hall, by reception."
    and the school "Oakfield Primary School" read "Hall, by reception, Oakfield Primary
    School", never "reception., Oakfield".  The one place pages, sheets, emails and
    calendar invites join such text (the ``joined`` template filter)."""
    return separator.join(piece for piece in map(_phrase, parts) if piece)


def sentence(value) -> str:
    """Typed text as a sentence ending in one full stop ("reception." stays "reception.",
    never "reception.."); a question or exclamation keeps its own mark; blank stays blank
    (the ``sentence`` template filter)."""
    text = " ".join(str(value).split()) if value else ""
    if not text or text.endswith(("?", "!", ".")):
        return text
    return text + "."


# --- typed text in a spreadsheet ---------------------------------------------------------

# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading
    apostrophe; anything else, and a value that is not text (a count), stays as it is.  The
    one guard of every CSV the service makes (the attendance list and the figures)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
