"""Who is acting, and whether they may: the decorator on every staff view and the one
school-scope check views make.

Views import from here, never from ``auth/views.py`` (that module is the sign-in pages).
Which schools a user covers is decided in ``scope.py``; this module only reads the
signed-in user and answers 404, never 403, so a refused person learns nothing about what
exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required

from ..i18n import english_only
from ..security_events import SCOPE_REFUSED, security_event
from .scope import may_access_school

if TYPE_CHECKING:
    from ..models import User

View = TypeVar("View", bound=Callable[..., Any])


def current_staff() -> User:
    """The signed-in staff member, as the ``User`` row (not Flask-Login's proxy), for
    services that record who acted.  Only for views behind ``roles_required``."""
    return cast("User", current_user._get_current_object())  # type: ignore[attr-defined]


def require_role(*roles: str) -> None:
    """404 unless someone is signed in with one of ``roles``."""
    if not current_user.is_authenticated:
        abort(404)
    if current_user.role not in roles:
        security_event(
            SCOPE_REFUSED, user_id=current_user.id, role=current_user.role, reason="role"
        )
        abort(404)


def require_school_access(school_id: int | None) -> None:
    """404 (never 403) unless the signed-in user may touch this school's records."""
    if school_id is None or not may_access_school(current_user, school_id):
        if current_user.is_authenticated:
            security_event(
                SCOPE_REFUSED, user_id=current_user.id, role=current_user.role, reason="school"
            )
        abort(404)


def current_partnership_id() -> int:
    """The signed-in staff member's partnership (404 for the service owner, who has none);
    only for views behind ``roles_required``."""
    partnership_id = current_staff().partnership_id
    if partnership_id is None:
        abort(404)
    return partnership_id


def require_partnership(partnership_id: int | None) -> None:
    """404 (never 403) unless the record (a staff account, a guidance link, an email in the
    outbox...) belongs to the signed-in user's own partnership.  The service owner belongs
    to none, so is refused every partnership's records."""
    mine = current_user.partnership_id if current_user.is_authenticated else None
    if partnership_id is None or mine is None or partnership_id != mine:
        if current_user.is_authenticated:
            security_event(
                SCOPE_REFUSED, user_id=current_user.id, role=current_user.role, reason="partnership"
            )
        abort(404)


def roles_required(*roles: str) -> Callable[[View], View]:
    """Signed-in staff with one of ``roles``; anyone else gets the not-found page."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            english_only()  # staff pages stay in English (clinic/i18n.py)
            require_role(*roles)
            return view(*args, **kwargs)

        return cast("View", wrapped)

    return decorator
