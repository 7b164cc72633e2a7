"""Scope: the one place that decides which schools' records a staff member may touch.

A coordinator ("admin") covers every school of their partnership, an officer the schools
assigned to them, school staff their own school; the service owner ("owner") no school at
all (they make partnerships, and see no family's data).  ``clinic.auth.access`` asks it
for views (answering 404), and services narrow their queries with
``scoped_school_filter``.  Records that belong to a partnership but no school (staff,
guidance, the audit log) are narrowed with ``scoped_partnership_filter``.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import School, User

EVERY_SCHOOL_OF_THE_PARTNERSHIP = None


def school_ids_in_scope(user: User) -> set[int] | None:
    """The schools a user may see; None means every school of the user's partnership
    (coordinators: ``scoped_school_filter`` narrows to it)."""
    if user.role == "admin":
        return EVERY_SCHOOL_OF_THE_PARTNERSHIP
    if user.role == "officer":
        return {school.id for school in user.schools}
    return {user.school_id} if user.school_id else set()


def may_access_school(user: User, school_id: int) -> bool:
    if not user.is_authenticated or not user.active:
        return False
    scope = school_ids_in_scope(user)
    if scope is not None:
        return school_id in scope
    school_partnership = db.session.scalar(
        select(School.partnership_id).where(School.id == school_id)
    )
    return school_partnership is not None and school_partnership == user.partnership_id


def scoped_school_filter(user: User, column):
    """A WHERE clause limiting ``column`` (a school id column) to the user's schools."""
    scope = school_ids_in_scope(user)
    if scope is None:
        return column.in_(select(School.id).where(School.partnership_id == user.partnership_id))
    return column.in_(scope or {-1})


def scoped_partnership_filter(user: User, column):
    """A WHERE clause limiting ``column`` (a partnership id column) to the user's own
    partnership; the owner's (none) matches no row."""
    return column == (user.partnership_id if user.partnership_id is not None else -1)
