"""The one place that keeps parents' link tokens and email addresses out of log lines.

Every log handler the service installs (``clinic.ops.logs``) and gunicorn's access and
error logs (``clinic.ops.gunicorn_logging``) pass each line through ``redact()``.  It
blanks three things:

1. **The token of a token route.**  ``learn_routes(app.url_map)`` (called by
   ``create_app()``) finds every URL rule with an argument whose name holds ``token``
   (``/booking/<token>``, ``/booking/waitlist/<token>``, ``/feedback/<token>``,
   ``/staff/set-password/<token>``, ``/staff/clinics/feed/<token>.ics``…) and blanks
   whatever stands in that place, so a route that moves or is added is covered without
   touching this file.  ``tests/ops/test_logs.py`` checks every such rule.
2. **Anything shaped like a secret**, even where no route was learnt (gunicorn's master
   process): in a path or query, a segment of 16 or more URL-safe characters mixing upper
   and lower case (signed links, ``secrets.token_urlsafe``) or 24 or more hex digits;
   anywhere, a signed value (dot-joined base64 parts) or a word of 24 or more characters
   mixing upper case, lower case and digits.  Slugs, file names and Python names stay.
3. **Email addresses**, anywhere in the line.

Names and phone numbers are not written to logs in the first place: SQLAlchemy is set to
``hide_parameters`` so a database error never carries the values it was given.
"""

from __future__ import annotations

import re

from werkzeug.routing import Map

TOKEN = "[token]"  # noqa: S105 - what a token becomes, not a secret
EMAIL = "[email]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A path segment or query value: what follows "/" or "=" up to the next separator.
_SEGMENT = re.compile(r"(?<=[/=])([A-Za-z0-9_.~-]{16,})")
_HEX = re.compile(r"^[0-9a-fA-F]{24,}$")
# Anywhere in a line: a signed value (base64 parts joined by dots) or a long random word
# mixing upper case, lower case and digits.
_SIGNED = re.compile(
    r"(?<![A-Za-z0-9_.-])[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{6,}){1,2}(?![A-Za-z0-9_-])"
)
_RANDOM = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{24,}(?![A-Za-z0-9_-])")
_ROUTE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

# (compiled pattern, static words that are other routes at the token's place)
_learnt: list[tuple[re.Pattern, frozenset[str]]] = []


def _looks_secret(segment: str) -> bool:
    core = segment.split(".ics")[0]
    if _HEX.match(core):
        return True
    has_upper = any(c.isupper() for c in core)
    has_lower = any(c.islower() for c in core)
    return has_upper and has_lower


def _blank_secret(match: re.Match) -> str:
    segment = match.group(1)
    return TOKEN if _looks_secret(segment) else segment


def _mixed(word: str) -> bool:
    return (
        any(c.isupper() for c in word)
        and any(c.islower() for c in word)
        and any(c.isdigit() for c in word)
    )


def _blank_mixed(match: re.Match) -> str:
    return TOKEN if _mixed(match.group(0)) else match.group(0)


def learn_routes(url_map: Map) -> None:
    """Remember where the app's routes carry a token (called once per app)."""
    prefixes: dict[str, set[str]] = {}
    statics: dict[str, set[str]] = {}
    for rule in url_map.iter_rules():
        text = rule.rule
        for match in _ROUTE_ARG.finditer(text):
            prefix = text[: match.start()]
            if "token" in match.group(1).lower() and "<" not in prefix:
                prefixes.setdefault(prefix, set())
        # What static words other rules put in each place (so /booking/clinics/... stays).
        parts = text.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i]) + "/"
            if "<" not in prefix and parts[i] and "<" not in parts[i]:
                statics.setdefault(prefix, set()).add(parts[i])
    learnt = []
    for prefix in sorted(prefixes, key=len, reverse=True):
        pattern = re.compile(re.escape(prefix) + r"([^/?#\s\"'<>]+)")
        learnt.append((pattern, frozenset(statics.get(prefix, ()))))
    _learnt[:] = learnt


def _route_blanker(others: frozenset[str]):
    def blank(match: re.Match) -> str:
        value = match.group(1)
        # Other routes' words, and a traceback's source file (.../clinic/booking/flow_views.py).
        if value in others or value == TOKEN or value.endswith(".py"):
            return match.group(0)
        start, end = match.span(1)
        whole = match.group(0)
        offset = start - match.start()
        # Keep a file suffix such as ".ics" readable: the token is what comes before it.
        suffix = ".ics" if value.endswith(".ics") else ""
        return whole[:offset] + TOKEN + suffix + whole[offset + (end - start) :]

    return blank


def redact(text: str) -> str:
    """``text`` with link tokens and email addresses blanked."""
    if not text:
        return text
    for pattern, others in _learnt:
        text = pattern.sub(_route_blanker(others), text)
    text = _SEGMENT.sub(_blank_secret, text)
    text = _EMAIL.sub(EMAIL, text)
    text = _SIGNED.sub(_blank_mixed, text)
    return _RANDOM.sub(_blank_mixed, text)
