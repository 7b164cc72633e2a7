"""Emails telling staff that something that lets them in has changed (OWASP ASVS 2.2.3,
2.5.5): their password, their email address, their second factor.

``notify_account_change(session, user, what)`` queues the email through the outbox, in the
caller's transaction (sent once it commits).  It says what changed and when, and what to
do if it was not them; it holds no link that does anything by itself being opened.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..i18n import translated_service_name
from ..links import external_url
from ..models import User, utcnow
from ..outbox.queue import queue_email

# what: (subject's words, the sentence in the email)
CHANGES = {
    "password": ("Your password was changed", "The password of your account was changed."),
    "email": (
        "The email address of your account was changed",
        "The email address you sign in with was changed.",
    ),
    "second_factor_added": (
        "A second sign-in step was added",
        "A way to confirm it is you when you sign in (a second factor) was added to your account.",
    ),
    "second_factor_removed": (
        "A second sign-in step was removed",
        "A way to confirm it is you when you sign in (a second factor) was removed from your "
        "account.",
    ),
    "second_factor_reset": (
        "Your second sign-in step was reset",
        "A coordinator reset the second sign-in step of your account. You will be asked to "
        "set it up again when you next sign in.",
    ),
    "recovery_codes": (
        "New recovery codes were made",
        "New recovery codes were made for your account. The old ones no longer work.",
    ),
}


def notify_account_change(session: Session, user: User, what: str, *, to: str | None = None):
    """Queue the email about ``what`` (a key of ``CHANGES``) to ``user``; ``to``: another
    address (when the email address changes, the old one is told too)."""
    if what not in CHANGES:
        raise ValueError(f"unknown account change {what}")
    subject, sentence = CHANGES[what]
    return queue_email(
        session,
        to=to or user.email,
        subject=lambda: f"{subject}: {translated_service_name()}",
        template="staff_account_changed",
        context={
            "name": user.name,
            "sentence": sentence,
            "changed_at": utcnow(),
            "reset_link": external_url("auth.forgotten_password"),
        },
        kind=f"staff_account_{what}"[:40],
        partnership_id=user.partnership_id,
    )
