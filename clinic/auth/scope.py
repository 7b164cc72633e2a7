"""Scope: the one place that decides which schools' records a staff member may touch.

Admins cover every school, an officer the schools assigned to them, school staff their
own school.  ``clinic.auth.access`` asks it for views (answering 404), and services
narrow their queries with ``scoped_school_filter``.
"""

from __future__ import annotations

from ..models import User


def school_ids_in_scope(user: User) -> set[int] | None:
    """The schools a user may see; None means every school (admins)."""
    if user.role == "admin":
        return None
    if user.role == "officer":
        return {school.id for school in user.schools}
    return {user.school_id} if user.school_id else set()


def may_access_school(user: User, school_id: int) -> bool:
    if not user.is_authenticated or not user.active:
        return False
    scope = school_ids_in_scope(user)
    return scope is None or school_id in scope


def scoped_school_filter(user: User, column):
    """A WHERE clause limiting ``column`` (a school id column) to the user's schools."""
    scope = school_ids_in_scope(user)
    return True if scope is None else column.in_(scope or {-1})
