"""A second factor for staff: a code from an authenticator app (TOTP, RFC 6238) and ten
single-use recovery codes.

Who must have one: the roles in ``MFA_REQUIRED_ROLES`` (coordinators and officers unless
configured otherwise; production refuses to start without them).  Anyone who has set one
up is asked for it at every sign-in, whatever their role.

- A code is accepted in its 30-second step or the one either side (a phone's clock may
  drift), and the step it belongs to is stored: that code, and any older one, is never
  accepted again (``last_used_step``; the update is conditional, so two requests racing
  with one code cannot both win).
- The app's secret is stored encrypted (Fernet, with a key derived from ``SECRET_KEY``;
  ``clinic.partnership.encrypt_secret``, as a partnership's Notify key is): a copy of the
  database or a backup alone cannot make codes.  ``secret_of`` reads it back; rotating
  ``SECRET_KEY`` with the old one in ``SECRET_KEY_FALLBACKS`` keeps it readable.
- Recovery codes are shown once, stored as HMAC-SHA256 with a key derived from
  ``SECRET_KEY`` (codes hold 50 random bits, so a fast keyed hash is enough; the old keys
  in ``SECRET_KEY_FALLBACKS`` are tried too, so rotating the key keeps them working), and
  each works once.

These functions take a database session and plain values; the pages are in
``clinic/auth/mfa_views.py``.  ``verify_second_factor`` is the one check other pages
(re-authentication before a sensitive action) call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..errors import RuleError
from ..i18n import translated_service_name
from ..links import external_url, signing_keys
from ..models import User, utcnow
from ..outbox.queue import queue_email
from ..partnership import decrypt_secret, encrypt_secret
from ..rows import changed
from ..security_events import RECOVERY_CODE_USED, security_event
from . import sessions
from .mfa_models import Passkey, RecoveryCode, SecondFactor
from .notify import notify_account_change

RECOVERY_CODES = 10
# 10 characters from an alphabet without look-alikes (no 0/o, 1/l/i): about 50 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
CODE, SET_UP = "code", "set-up"


class SecondFactorError(RuleError):
    """A code that is not right; the message is shown next to the field."""


def required_for(user: User) -> bool:
    return user.role in (current_app.config.get("MFA_REQUIRED_ROLES") or ())


def factor_of(session: Session, user: User) -> SecondFactor | None:
    return session.get(SecondFactor, user.id)


def next_step(session: Session, user: User) -> str | None:
    """After the password (or a sign-in link): ``CODE`` if the user has a second factor,
    ``SET_UP`` if their role needs one and they have none, otherwise None."""
    if factor_of(session, user) is not None:
        return CODE
    return SET_UP if required_for(user) else None


# --- codes from an authenticator app -----------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits


def provisioning_uri(user: User, secret: str) -> str:
    """What the QR code holds (the otpauth:// URI authenticator apps read)."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["SERVICE_NAME"]
    )


def _digits(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def secret_of(factor: SecondFactor) -> str:
    """The app's secret in clear; "" when no key in use can read it (``SECRET_KEY`` was
    changed without the old one in ``SECRET_KEY_FALLBACKS``: then no code is accepted, as
    no recovery code is either, until a coordinator resets the factor)."""
    return decrypt_secret(factor.totp_secret)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time-step (current, one before or one after) whose code is ``code``, or None."""
    code = _digits(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    found = None
    for candidate in (step - 1, step, step + 1):  # compare all three: no early exit
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            found = candidate
    return found


def current_code(secret: str, now: datetime | None = None) -> str:
    """The code an authenticator app shows now (the demo's sign-in page and tests)."""
    return pyotp.TOTP(secret).at(now or utcnow())


def _use_step(session: Session, user: User, step: int, now: datetime) -> bool:
    """Record ``step`` as used, unless it (or a later one) already was."""
    result = session.execute(
        update(SecondFactor)
        .where(
            SecondFactor.user_id == user.id,
            or_(SecondFactor.last_used_step.is_(None), SecondFactor.last_used_step < step),
        )
        .values(last_used_step=step, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return changed(result) == 1


# --- recovery codes ----------------------------------------------------------------------


def _recovery_hash(code: str, key: str) -> str:
    derived = hashlib.sha256(b"clinic recovery codes|" + key.encode()).digest()
    return hmac.new(derived, code.encode(), hashlib.sha256).hexdigest()


def _normal_recovery(code: str) -> str:
    return _digits(code).lower()


def format_recovery(code: str) -> str:
    """``abcde-fghjk``: easier to read out and to type."""
    return f"{code[:5]}-{code[5:]}"


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new codes (the old ones stop working); returns them to show once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    key = current_app.config["SECRET_KEY"]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(c, key)) for c in codes)
    return [format_recovery(code) for code in codes]


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def _use_recovery_code(session: Session, user: User, code: str, now: datetime) -> bool:
    code = _normal_recovery(code)
    if len(code) != _RECOVERY_LENGTH:
        return False
    hashes = {_recovery_hash(code, key) for key in signing_keys()}
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.used_at.is_(None),
            RecoveryCode.code_hash.in_(hashes),
        )
    )
    if row is None:
        return False
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed(result) != 1:  # another request used it a moment ago
        return False
    security_event(RECOVERY_CODE_USED, user_id=user.id)
    audit.record(
        session, user, "user.mfa_recovery_code_used", user, left=recovery_codes_left(session, user)
    )
    return True


# --- the checks ---------------------------------------------------------------------------


def verify_second_factor(
    session: Session, user: User, code: str, *, now: datetime | None = None
) -> bool:
    """Whether ``code`` is a good second factor for ``user`` now: a code from their app
    not used before, or one of their unused recovery codes.  A code accepted here is used
    up (the caller commits).  False for a user without a second factor."""
    now = now or utcnow()
    factor = factor_of(session, user)
    if factor is None or not code or len(code) > 40:
        return False
    step = _matching_step(secret_of(factor), code, now)
    if step is not None:
        return _use_step(session, user, step, now)
    return _use_recovery_code(session, user, code, now)


def enable(
    session: Session, user: User, secret: str, code: str, *, now: datetime | None = None
) -> list[str]:
    """Turn on codes from an app for ``user`` once they have typed a code it shows (so
    their app is set up right); returns their new recovery codes, to show once."""
    now = now or utcnow()
    step = _matching_step(secret, code, now)
    if step is None:
        raise SecondFactorError("Enter the 6-digit code your authenticator app shows now", "code")
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    session.add(
        SecondFactor(
            user_id=user.id,
            totp_secret=encrypt_secret(secret),
            created_at=now,
            last_used_step=step,
            last_used_at=now,
        )
    )
    codes = new_recovery_codes(session, user)
    audit.record(session, user, "user.mfa_enable", user)
    notify_account_change(session, user, "second_factor_added")
    return codes


def _remove(session: Session, user: User) -> None:
    # Passkeys are a second way to give the same second factor: they go with it.
    session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))


def remove_own(session: Session, user: User) -> None:
    """The user turns their own second factor off (the page has checked their password
    and a code first)."""
    _remove(session, user)
    audit.record(session, user, "user.mfa_remove", user)
    _tell(session, user, removed_by=None)


def reset_for(session: Session, actor: User, user: User) -> None:
    """A coordinator resets someone else's second factor (a lost phone): it is removed,
    every session of theirs ends, and they are emailed.  At their next sign-in they set up
    a new one (if their role needs it)."""
    if actor.id == user.id:
        raise SecondFactorError(
            "You cannot reset your own second factor here. Use Your account", "user"
        )
    if factor_of(session, user) is None:
        raise SecondFactorError(f"{user.name} has not set up a second factor", "user")
    _remove(session, user)
    sessions.end_all(session, user, "mfa_reset")
    audit.record(session, actor, "user.mfa_reset", user)
    _tell(session, user, removed_by=actor)


def _tell(session: Session, user: User, *, removed_by: User | None) -> None:
    queue_email(
        session,
        to=user.email,
        subject=lambda: f"Your second factor for {translated_service_name()} was turned off",
        template="staff_mfa_removed",
        context={
            "name": user.name,
            "removed_by": removed_by.name if removed_by is not None else None,
            "sign_in": external_url("auth.sign_in"),
            "required": required_for(user),
        },
        kind="staff_mfa_removed",
        partnership_id=user.partnership_id,
    )
