"""Named security events: one log line each and a ``/metrics`` counter (ASVS 7.2).

``security_event(name, **fields)`` is the one call.  The line goes to the
``clinic.security`` logger, so it carries the request id (``clinic.ops.logs``) and, in
JSON, the event and its fields as their own keys; ``clinic_security_events_total{event}``
counts it in the process (``/metrics`` reads the default registry).

Nothing personal is written: only the fields in ``SAFE_FIELDS`` are accepted (a user's
id, a role, a reason word, a limit's name, the URL rule), and each must be a number or a
short word, so an email address, a name or a network address cannot be passed in by
mistake; ``ValueError`` otherwise.  The redaction of every log line stays behind it.

It sits on the ground floor (below ``auth.access``, ``forms`` and ``error_pages``, which
record refusals), so it knows only logging and ``prometheus_client``.
"""

from __future__ import annotations

import logging
import re

from flask import has_request_context, request
from prometheus_client import Counter

SIGN_IN_SUCCEEDED = "sign_in_succeeded"
SIGN_IN_FAILED = "sign_in_failed"
SECOND_FACTOR_FAILED = "second_factor_failed"  # hook: the second factor's check calls it
LOCK_OUT = "lock_out"  # an account's own sign-in limit reached
RECOVERY_CODE_USED = "recovery_code_used"  # hook: the recovery codes call it
SCOPE_REFUSED = "scope_refused"  # signed-in staff sent a not-found for a role or school
CSRF_REFUSED = "csrf_refused"
RATE_LIMITED = "rate_limited"
REAUTH_SUCCEEDED = "reauth_succeeded"
REAUTH_FAILED = "reauth_failed"
SESSION_ENDED = "session_ended"  # signed out, or ended from "Your sessions"

EVENTS = frozenset(
    {
        SIGN_IN_SUCCEEDED,
        SIGN_IN_FAILED,
        SECOND_FACTOR_FAILED,
        LOCK_OUT,
        RECOVERY_CODE_USED,
        SCOPE_REFUSED,
        CSRF_REFUSED,
        RATE_LIMITED,
        REAUTH_SUCCEEDED,
        REAUTH_FAILED,
        SESSION_ENDED,
    }
)
_ROUTINE = frozenset({SIGN_IN_SUCCEEDED, REAUTH_SUCCEEDED, SESSION_ENDED})
SAFE_FIELDS = frozenset({"user_id", "session_id", "role", "reason", "limit", "method", "how"})
_WORD = re.compile(r"^[A-Za-z0-9_.:/<>-]{1,64}$")

log = logging.getLogger("clinic.security")
EVENTS_COUNTED = Counter(
    "clinic_security_events", "Named security events (clinic.security_events).", ["event"]
)
for _name in sorted(EVENTS):
    EVENTS_COUNTED.labels(event=_name)  # every series from 0, so an alert can use rate()


def _safe(key: str, value: object) -> int | str:
    if key not in SAFE_FIELDS:
        raise ValueError(f"{key} is not a field a security event may carry")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{key} must be a number or a short word")
    if isinstance(value, str) and not _WORD.match(value):
        raise ValueError(f"{key} must be a short word (no spaces, no @)")
    return value


def security_event(name: str, **fields: object) -> None:
    """Log the named event with ``fields`` (see ``SAFE_FIELDS``) and count it."""
    if name not in EVENTS:
        raise ValueError(f"unknown security event {name}")
    safe = {key: _safe(key, value) for key, value in sorted(fields.items())}
    if has_request_context():
        rule = request.url_rule
        safe.setdefault("route", rule.rule if rule is not None else "<unmatched>")
        safe.setdefault("method", request.method)
    words = " ".join(f"{key}={value}" for key, value in safe.items())
    level = logging.INFO if name in _ROUTINE else logging.WARNING
    log.log(
        level,
        "security event %s%s",
        name,
        f" {words}" if words else "",
        extra={"security_event": name, **{f"event_{k}": v for k, v in safe.items()}},
    )
    EVENTS_COUNTED.labels(event=name).inc()
