"""Signed, unguessable links that parents get by email (no account needed): the one place
that makes and checks them, for every purpose (manage a booking, a waiting-list place,
the feedback form).

A link names one record and is signed with the app's secret; it holds no personal data.
Each purpose has its own salt, so a link for one purpose never opens another's page, and
each is bound to part of the record's own random value, so a link for an id that a later
record reuses (after a restore) does not match it.  Whether a link may still change
anything (clinic over, booking cancelled, feedback given) is its feature's call, so an old
link shows the record's state instead of failing.

The salts and payload keys are what links already sent carry: changing them would break
every link in parents' inboxes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from . import i18n
from .models import MAX_ID, Booking, WaitlistEntry


def signing_keys() -> list[str]:
    """The keys for itsdangerous, as Flask's own session uses them: the old keys of
    ``SECRET_KEY_FALLBACKS`` first and ``SECRET_KEY`` last (it signs; all of them verify),
    so rotating the key leaves links already in parents' inboxes working while the old
    key stays in the fallbacks."""
    config = current_app.config
    return [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]


def external_url(endpoint: str, **values) -> str:
    """An absolute URL under ``BASE_URL``, for emails, with or without a request.

    ``url_for(_external=True)`` would use the host of the current request (whatever the
    client or a proxy sent) and, outside a request, needs ``SERVER_NAME``, which also
    changes how Flask matches incoming hosts.  Binding the app's URL map to ``BASE_URL``
    gives the same answer in a view, in the worker and in a CLI command.
    """
    return external_urls(endpoint)(**values)


def external_urls(endpoint: str) -> Callable[..., str]:
    """``external_url`` for many links to one endpoint (a feed's 500 clinics): the URL map
    is bound to ``BASE_URL`` once, and each call builds one link."""
    app = current_app
    base = urlsplit(app.config["BASE_URL"])
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)

    def build(**values) -> str:
        app.inject_url_defaults(endpoint, values)
        return adapter.build(endpoint, values, force_external=True)

    return build


def parent_url(endpoint: str, *, language: str | None = None, **values) -> str:
    """``external_url`` for a link in a parent's email or invite: it opens the page in the
    email's language (``language``, else the one the email is being written in), which
    the page then keeps in the ``lang`` cookie (``clinic.i18n``).  English links carry
    ``lang=en`` too: an English booking opened on a phone set to Polish opens in English."""
    values[i18n.COOKIE] = language or i18n.current_language()
    return external_url(endpoint, **values)


class InvalidLink(Exception):
    """Tampered, truncated or unknown link (or one made for another purpose)."""


def _uid_binding(uid: str) -> str:
    """The end of the random part of a uid ("booking-<uuid>@domain"): every uid shares the
    domain, so only the part before it tells records apart."""
    return uid.partition("@")[0][-12:]


def _joined_binding(entry: WaitlistEntry) -> str:
    """A waiting-list entry has no uid; the moment it joined (to the microsecond) binds it."""
    return f"{entry.created_at.timestamp():.6f}"


@dataclass(frozen=True)
class _Purpose:
    salt: str
    model: type
    id_key: str
    binding: Callable[[Any], str]  # the record's value the link is bound to

    def serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(signing_keys(), salt=self.salt)

    def dump(self, record) -> str:
        return self.serializer().dumps({self.id_key: record.id, "u": self.binding(record)})

    def load(self, session: Session, token: str):
        try:
            data = self.serializer().loads(token)
        except BadSignature as exc:
            raise InvalidLink(self.salt) from exc
        record_id = data.get(self.id_key) if isinstance(data, dict) else None
        if type(record_id) is not int or not 0 < record_id <= MAX_ID:
            raise InvalidLink(self.salt)
        record = session.get(self.model, record_id)
        if record is None or self.binding(record) != data.get("u"):
            raise InvalidLink(self.salt)
        return record


MANAGE = _Purpose("parent-link:manage", Booking, "i", lambda b: _uid_binding(b.uid))
WAITLIST = _Purpose("parent-link:waitlist", WaitlistEntry, "i", _joined_binding)
FEEDBACK = _Purpose("feedback", Booking, "b", lambda b: _uid_binding(b.uid))


def manage_token(booking: Booking) -> str:
    return MANAGE.dump(booking)


def booking_for_token(session: Session, token: str) -> Booking:
    return MANAGE.load(session, token)


def waitlist_token(entry: WaitlistEntry) -> str:
    return WAITLIST.dump(entry)


def waitlist_entry_for_token(session: Session, token: str) -> WaitlistEntry:
    return WAITLIST.load(session, token)


def feedback_token(booking: Booking) -> str:
    return FEEDBACK.dump(booking)


def booking_for_feedback_token(session: Session, token: str) -> Booking:
    return FEEDBACK.load(session, token)


# --- the pages such a link opens ----------------------------------------------------------


def keep_private(response: Response) -> Response:
    """For every page reached by a parent's link (``after_request`` of its blueprint): it
    shows one household's details, so no cache keeps it, and the link in the address
    never leaks to another site in a Referer header."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def link_not_found():
    """A tampered, truncated or unknown link: a friendly page, never another's record."""
    return render_template("manage/link_not_found.html"), 404


def details_erased():
    """A link to a record whose details were deleted (on request, or after the clinic by
    ``flask privacy purge``): 410 Gone, with a page that says so."""
    return render_template("privacy/erased.html"), 410
