"""Signed, unguessable links that parents get by email (no account needed).

A link names one record and is signed with the app's secret; it holds no personal data.
Whether it may still change anything (clinic over, booking cancelled) is the view's call,
so an old link shows the booking's state instead of failing.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from ..models import Booking, WaitlistEntry


class InvalidLink(Exception):
    """Tampered, truncated or unknown link."""


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"parent-link:{purpose}")


def _binding(uid: str) -> str:
    """Part of the record's own random uid (before any "@domain", which every uid shares):
    a link for a reused id (after a restore) won't match the new record."""
    return uid.partition("@")[0][-12:]


def _dump(purpose: str, record_id: int, uid: str) -> str:
    return _serializer(purpose).dumps({"i": record_id, "u": _binding(uid)})


def _load(session: Session, purpose: str, model, token: str, uid_of):
    try:
        data = _serializer(purpose).loads(token)
    except BadSignature as exc:
        raise InvalidLink(purpose) from exc
    record = session.get(model, data.get("i")) if isinstance(data, dict) else None
    if record is None or _binding(uid_of(record)) != data.get("u"):
        raise InvalidLink(purpose)
    return record


def manage_token(booking: Booking) -> str:
    return _dump("manage", booking.id, booking.uid)


def booking_for_token(session: Session, token: str) -> Booking:
    return _load(session, "manage", Booking, token, lambda b: b.uid)


def _waitlist_uid(entry: WaitlistEntry) -> str:
    """Binds the link to this entry, not to a later one that reuses its id."""
    return f"{entry.created_at.timestamp():.6f}"


def waitlist_token(entry: WaitlistEntry) -> str:
    return _dump("waitlist", entry.id, _waitlist_uid(entry))


def waitlist_entry_for_token(session: Session, token: str) -> WaitlistEntry:
    return _load(session, "waitlist", WaitlistEntry, token, _waitlist_uid)
