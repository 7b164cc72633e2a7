"""Staff accounts: passwords, sign-in, set-password links, and who may see which school."""

from __future__ import annotations

import hashlib
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import RuleError
from ..i18n import translated_service_name
from ..links import external_url, signing_keys
from ..models import ROLES, Partnership, School, User, normalise_email, utcnow
from ..outbox.queue import queue_email
from ..partnership import PartnershipError, partnership_for
from . import sessions
from .notify import notify_account_change

# What a wrong email is checked against, so it costs the same time as a wrong password and
# the answer cannot be told apart by timing: the scrypt hash of a random password nobody
# kept, with the parameters ``hash_password`` uses (a test compares them).  A constant, not
# made on first use: making it took as long again as checking it, so the first unknown
# email a worker saw answered twice as slowly as a known one.
DUMMY_HASH = (
    "scrypt:32768:8:1$tcPqT1miPuaD00Pu$7fe721ca71d7c2c3c5d8a32235f98b69bb21ee06f172a769f1ed8d"
    "37dd6d4357427677e627c6da1df6de91ad1238685aa3bb49c0d0f84abeb8add0e5d80606e4"
)


# zxcvbn's score, 0-4: 3 is "safely unguessable" (about 10^8 guesses or more).
PASSWORD_MIN_SCORE = 3


class AccountError(RuleError):
    """A staff account change that breaks a rule; the message is shown to the user."""


class InvalidToken(Exception):
    pass


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same path either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    stored = user.password_hash if user is not None and user.password_hash else DUMMY_HASH
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
    partnership: Partnership | None = None,
) -> User:
    """Add a staff account; without a password the user sets one through an emailed link.

    Everyone but the service owner ("owner") belongs to a partnership: their school's, the
    one given, the acting coordinator's or the installation's only one."""
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
    if role != "owner":
        if school is not None:
            partnership = school.partnership
        try:
            user.partnership = partnership_for(session, actor, partnership)
        except PartnershipError as error:
            raise AccountError(str(error), error.field) from None
    if password:
        check_password_rules(password, user)
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "user.create", user, school_id=school.id if school else None, role=role
    )
    return user


@cache
def common_passwords() -> frozenset[str]:
    """The common-password list zxcvbn ships (lower case).  zxcvbn and its lists are
    11 MiB: loaded the first time a password is set, not into every web worker."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_rules(password: str, user: User | None = None) -> None:
    """At least ``PASSWORD_MIN_LENGTH`` characters, not one of the 30,000 most common
    passwords that zxcvbn ships, and not easy to guess by zxcvbn's estimate (a word with a
    digit, a keyboard run, a date, the person's own name or email).  No rules about
    capitals or symbols: length is what makes a password hard to guess."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(f"Password must be {minimum} characters or more", "password")
    if len(password) > 200:
        raise AccountError("Password must be 200 characters or fewer", "password")
    squashed = "".join(password.lower().split())
    common = common_passwords()
    if password.lower() in common or squashed in common:
        raise AccountError(
            "This is one of the most common passwords, so it is easy to guess. Choose another",
            "password",
        )
    own = [user.email, *user.email.split("@"), *user.name.split()] if user is not None else []
    # zxcvbn's time grows with the length; the first 100 characters tell enough.
    from zxcvbn import zxcvbn

    if zxcvbn(password[:100], user_inputs=own)["score"] < PASSWORD_MIN_SCORE:
        raise AccountError(
            "This password is easy to guess. Add another word or two, and avoid names, "
            "dates and keyboard patterns",
            "password",
        )


def set_password(session: Session, user: User, password: str) -> None:
    check_password_rules(password, user)
    changing = bool(user.password_hash)  # not the first one, set from an invitation
    user.password_hash = hash_password(password)
    # Whoever may have had the old password may have a session: every one of them ends.
    sessions.end_all(session, user, "password_changed")
    audit.record(session, user, "user.set_password", user)
    if changing:
        notify_account_change(session, user, "password")


# --- set-password links: signed, expiring, and single-use ------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(), salt="set-password")


def _fingerprint(user: User) -> str:
    """Changes when the password does, so a used link stops working."""
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def password_token(user: User, *, reset: bool = False) -> str:
    """A set-password link's token: an invitation's (``PASSWORD_TOKEN_MAX_AGE``) or, asked
    for on the "Forgotten your password?" page, a reset's (``PASSWORD_RESET_MAX_AGE``)."""
    data = {"u": user.id, "f": _fingerprint(user)}
    if reset:
        data["r"] = 1
    return _serializer().dumps(data)


def user_for_token(session: Session, token: str) -> User:
    config = current_app.config
    longest = max(config["PASSWORD_TOKEN_MAX_AGE"], config["PASSWORD_RESET_MAX_AGE"])
    try:
        data, signed_at = _serializer().loads(token, max_age=longest, return_timestamp=True)
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except BadSignature as exc:
        raise InvalidToken("invalid") from exc
    if not isinstance(data, dict):
        raise InvalidToken("invalid")
    max_age = config["PASSWORD_RESET_MAX_AGE" if data.get("r") else "PASSWORD_TOKEN_MAX_AGE"]
    if (utcnow() - signed_at).total_seconds() > max_age:
        raise InvalidToken("expired")
    user_id = data.get("u")
    user = session.get(User, user_id) if type(user_id) is int else None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise InvalidToken("used")
    return user


# --- asking for a link by email: always the same answer ------------------------------


def _active_user(session: Session, email: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    return user if user is not None and user.active else None


def _lifetime_words(seconds: int) -> str:
    """How long a link works, in words for an email ("3 days", "15 minutes")."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def request_password_reset(session: Session, email: str) -> None:
    """Email a set-password link if ``email`` is an active account; otherwise nothing.
    The caller answers the same either way, so the page tells nobody who has an account."""
    user = _active_user(session, email)
    if user is None:
        return
    queue_email(
        session,
        to=user.email,
        subject=lambda: f"Reset your password for {translated_service_name()}",
        template="staff_password_reset",
        context={
            "name": user.name,
            "link": external_url("auth.set_password", token=password_token(user, reset=True)),
            "valid_for": _lifetime_words(current_app.config["PASSWORD_RESET_MAX_AGE"]),
        },
        partnership_id=user.partnership_id,
        kind="staff_password_reset",
    )
    audit.record(session, "sign-in page", "user.request_password_reset", user)


def request_sign_in_link(session: Session, email: str) -> None:
    """Email a one-time sign-in link if ``email`` is an active account with a password
    (for an account whose sign-ins are being throttled); otherwise nothing."""
    user = _active_user(session, email)
    if user is None or not user.password_hash:
        return
    queue_email(
        session,
        to=user.email,
        subject=lambda: f"Your sign-in link for {translated_service_name()}",
        template="staff_sign_in_link",
        context={
            "name": user.name,
            "link": external_url("auth.sign_in_with_link", token=sign_in_token(user)),
            "valid_for": _lifetime_words(current_app.config["SIGN_IN_LINK_MAX_AGE"]),
        },
        kind="staff_sign_in_link",
        partnership_id=user.partnership_id,
    )
    audit.record(session, "sign-in page", "user.request_sign_in_link", user)


def _sign_in_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_keys(), salt="sign-in-link")


def _sign_in_fingerprint(user: User) -> str:
    """Changes at every sign-in (and password change), so the link works once."""
    seen = user.last_sign_in_at.isoformat() if user.last_sign_in_at else "never"
    return hashlib.sha256(f"{seen}|{user.password_hash}".encode()).hexdigest()[:16]


def sign_in_token(user: User) -> str:
    return _sign_in_serializer().dumps({"u": user.id, "f": _sign_in_fingerprint(user)})


def user_for_sign_in_token(session: Session, token: str) -> User:
    try:
        data = _sign_in_serializer().loads(
            token, max_age=current_app.config["SIGN_IN_LINK_MAX_AGE"]
        )
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except BadSignature as exc:
        raise InvalidToken("invalid") from exc
    user_id = data.get("u") if isinstance(data, dict) else None
    user = session.get(User, user_id) if type(user_id) is int else None
    if user is None or not user.active or data.get("f") != _sign_in_fingerprint(user):
        raise InvalidToken("used")
    return user


def sign_in_with_link(session: Session, user: User) -> None:
    """The link's button was pressed: this counts as a sign-in, so the link is used up."""
    user.last_sign_in_at = utcnow()
    audit.record(session, user, "user.sign_in_with_link", user)
