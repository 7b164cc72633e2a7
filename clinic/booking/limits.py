"""Rate limits on the parents' forms (booking and the waiting list), keyed on what a bot
reuses rather than on the network address alone.

Many families share one address: a mobile network's carrier-grade NAT, a school's Wi-Fi
at 3pm the day the letter goes home.  So the per-address limit sits far above a school's
rush (``BOOKING_LIMIT_PER_ADDRESS``, 1,000 posts an hour: a booking is two posts, and a
big primary school has about 400 families), and the limits that stop a bot come from
what it has to reuse:

- **the email address** the booking is for (``BOOKING_LIMIT_PER_EMAIL``): one household
  books one place per clinic anyway (rule 2), so many bookings for one email are a bot;
- **the browser's session** (``BOOKING_LIMIT_PER_SESSION``): every form post must carry
  the CSRF token of its session, so a script that keeps its cookie is counted as one
  browser however many emails it types; one that drops it must fetch a new page (and a new
  session) for every post, and is left to the address and email limits;
- **the hidden honeypot field** a script fills in: such a post uses up its session's whole
  allowance at once, so the script's next posts are refused too.

There is no limit keyed on the slot alone: a slot holds a few households, so a bot could
use such a limit to keep every real parent out of it; filling a slot is bounded by its
capacity and the limits above.
"""

from __future__ import annotations

import hashlib

from flask import current_app, render_template, request, session
from limits import parse

from ..extensions import hashed_client_address, limit_key, limiter
from ..models import normalise_email

HONEYPOT = "website"  # HouseholdForm's hidden field


def session_key() -> str:
    """The browser's session: the random CSRF secret Flask-WTF keeps in it (hashed, so the
    key in Redis is not the secret itself); without one, the caller's address."""
    secret = session.get("csrf_token")
    if not isinstance(secret, str) or not secret:
        return "parent-" + hashed_client_address()
    return "parent-session:" + hashlib.sha256(secret.encode()).hexdigest()[:32]


def email_key(email: str | None) -> str:
    """The parent's email address as a keyed hash (``limit_key``): the limits' store
    (Redis) never holds a parent's address in clear."""
    if not email:
        return "parent-" + hashed_client_address()
    return limit_key("parent-email", normalise_email(email)[:254])


def honeypot_cost(setting: str):
    """A hit's cost: 1, or the whole allowance of ``setting`` for a post that filled the
    honeypot."""

    def cost() -> int:
        if request.form.get(HONEYPOT):
            return parse(current_app.config[setting]).amount
        return 1

    return cost


def too_many(limit):
    """The 429 page in plain words (``on_breach`` of every parents' limit)."""
    return current_app.make_response((render_template("booking/too_many.html"), 429))


def setting(name: str):
    return lambda: current_app.config[name]


def per_address(name: str, scope: str):
    return limiter.shared_limit(setting(name), scope=scope, methods=["POST"], on_breach=too_many)


def per_session(name: str, scope: str):
    return limiter.shared_limit(
        setting(name),
        scope=scope,
        key_func=session_key,
        methods=["POST"],
        cost=honeypot_cost(name),
        on_breach=too_many,
    )


def per_email(name: str, email_func):
    return limiter.limit(
        setting(name),
        key_func=lambda: email_key(email_func()),
        methods=["POST"],
        on_breach=too_many,
    )
