"""Staff accounts: passwords, sign-in, set-password links, and who may see which school."""

from __future__ import annotations

import hashlib
from functools import cache

from flask import abort, current_app
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import RuleError
from ..models import ROLES, School, User, normalise_email, utcnow


@cache
def _dummy_hash() -> str:
    """A hash to compare against when the email is unknown, so a wrong email costs the same
    time as a wrong password and the answer cannot be told apart by timing.  Made on first
    use (scrypt is slow on purpose), not when the app is imported."""
    return generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(RuleError):
    """A staff account change that breaks a rule; the message is shown to the user."""


class InvalidToken(Exception):
    pass


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same path either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    ok = check_password_hash(stored, password)
    if user is None or not user.password_hash or not ok or not user.active:
        return None
    user.last_sign_in_at = utcnow()
    return user


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    school: School | None = None,
    password: str | None = None,
    actor: User | str | None = "system",
) -> User:
    """Add a staff account; without a password the user sets one through an emailed link."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}", "role")
    if role == "school" and school is None:
        raise AccountError("Choose the school this person works at", "school")
    if role != "school":
        school = None
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError("There is already an account with this email address", "email")
    user = User(email=email, name=name.strip(), role=role, school=school, active=True)
    if password:
        check_password_rules(password)
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "user.create", user, school_id=school.id if school else None, role=role
    )
    return user


def check_password_rules(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(f"Password must be {minimum} characters or more", "password")
    if len(password) > 200:
        raise AccountError("Password must be 200 characters or fewer", "password")


def set_password(session: Session, user: User, password: str) -> None:
    check_password_rules(password)
    user.password_hash = hash_password(password)
    audit.record(session, user, "user.set_password", user)


# --- set-password links: signed, expiring, and single-use ------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="set-password")


def _fingerprint(user: User) -> str:
    """Changes when the password does, so a used link stops working."""
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def password_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_token(session: Session, token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_TOKEN_MAX_AGE"])
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except BadSignature as exc:
        raise InvalidToken("invalid") from exc
    user = session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise InvalidToken("used")
    return user


# --- scope: the one place that decides what a staff member may touch --------------------


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


def require_school_access(school_id: int | None) -> None:
    """404 (never 403) unless the signed-in user may touch this school's records."""
    if school_id is None or not may_access_school(current_user, school_id):
        abort(404)


def require_role(*roles: str) -> None:
    if not current_user.is_authenticated or current_user.role not in roles:
        abort(404)
