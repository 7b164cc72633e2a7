"""Confirming one's password again before a sensitive action (OWASP ASVS 3.7.1).

``@recent_auth_required`` goes on the views that add or change staff and roles, export or
erase a person's data, or turn off a second factor.  When the signed-in user last typed
their password in this session (``staff_session.confirmed_at``: at sign-in, or on the
"Confirm your password" page) more than ``REAUTH_MINUTES`` ago, or never (a one-time
sign-in link), the view is not run: the user is sent to that page, and back afterwards.

Back to where: a GET comes back to itself; a POST cannot be replayed, so it comes back to
the page its form was on: ``back(**view_args)`` when given, else the same URL when its
rule answers GET.  Nothing was changed by the refused POST, so nothing is half done; the
page opens again with its form.

``confirm()`` is the one place the check is made: a user with a second factor gives a
code from their app (or a recovery code) with the password, so every sensitive action
asks for both (ASVS 3.7.1: "password and code").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, redirect, request, url_for
from flask import session as cookie
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from ..extensions import db, login_manager
from ..models import User, utcnow
from ..security_events import REAUTH_FAILED, REAUTH_SUCCEEDED, security_event
from . import mfa, sessions
from .models import StaffSession
from .views import SESSION_ID

View = TypeVar("View", bound=Callable[..., Any])


def current_token() -> str | None:
    token = cookie.get(SESSION_ID)
    return token if isinstance(token, str) else None


def is_recent(row: StaffSession | None, *, now: datetime | None = None) -> bool:
    """Whether the password was typed in this session within ``REAUTH_MINUTES``."""
    if row is None or row.confirmed_at is None:
        return False
    window = timedelta(minutes=current_app.config["REAUTH_MINUTES"])
    return (now or utcnow()) - row.confirmed_at <= window


def confirm(
    session: Session, user: User, token: str, password: str, code: str | None = None
) -> bool:
    """Whether ``password`` is ``user``'s and, when they have a second factor, ``code`` is
    a good one (checked only after the password, so a wrong password uses up no code); if
    so, the session ``token`` counts as just confirmed.  Writes a named security event
    either way."""
    ok = bool(user.password_hash) and check_password_hash(user.password_hash or "", password)
    if ok and mfa.factor_of(session, user) is not None:
        ok = mfa.verify_second_factor(session, user, code or "")
    if ok:
        sessions.confirmed(session, token)
        security_event(REAUTH_SUCCEEDED, user_id=user.id)
    else:
        security_event(REAUTH_FAILED, user_id=user.id)
    return ok


def _way_back(back: Callable[..., str] | None) -> str:
    if request.method == "GET":
        return request.full_path.rstrip("?")
    if back is not None:
        return back(**(request.view_args or {}))
    rule = request.url_rule
    if rule is not None and rule.methods and "GET" in rule.methods:
        return request.path
    return url_for("auth.account")


def recent_auth_required(
    view: View | None = None, *, back: Callable[..., str] | None = None
) -> Any:
    """Run the view only if the password was confirmed within ``REAUTH_MINUTES``;
    otherwise send the user to "Confirm your password" and back (see the module).
    ``back``: for a POST-only view, the page its form is on, from the view's arguments."""

    def decorator(inner: View) -> View:
        @wraps(inner)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            token = current_token()
            if token is None or not is_recent(sessions.row_for(db.session, token)):
                return redirect(url_for("staff_account.confirm_password", next=_way_back(back)))
            return inner(*args, **kwargs)

        return cast("View", wrapped)

    return decorator(view) if view is not None else decorator
