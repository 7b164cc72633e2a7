"""Passkeys for staff (WebAuthn, with the ``webauthn`` package): a second method beside
the authenticator app, so a staff member can give their second factor with a fingerprint,
face or security key instead of typing a code.

- Only someone who has the authenticator app set up (and so recovery codes) may add one:
  a lost phone or laptop never locks anyone out.  Turning the second factor off, or a
  coordinator's reset, removes their passkeys too (``mfa._remove``).
- The relying party is the service's own host (``BASE_URL``), and the browser's origin
  must be ``BASE_URL``'s: a look-alike site gets nothing it can use here.
- Each ceremony's challenge is random, kept in the signed session cookie by the page that
  asked (``mfa_views``/``passkey_views``), good for ``CHALLENGE_MINUTES`` and used once.
- The authenticator's signature counter is stored; a response whose counter is not above
  it (a cloned authenticator, or a replay) is refused.  The update is conditional, so two
  requests racing with one response cannot both win.

These functions take a database session and plain values, and raise ``PasskeyError``
with a message for the page.  ``webauthn`` (with cryptography, cbor2 and pyasn1: a fifth
of a second) is imported where it is used, not when the app starts
(tests/core/test_imports.py).
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit
from ..errors import RuleError
from ..models import User, utcnow
from ..rows import changed
from .mfa_models import Passkey
from .notify import notify_account_change

CHALLENGE_MINUTES = 5
NAME_LENGTH = 60


def _text(data: bytes) -> str:
    """base64url without padding, as WebAuthn writes ids and challenges."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PasskeyError(RuleError):
    """A passkey that could not be added or used; the message is shown on the page."""


def relying_party() -> tuple[str, str]:
    """The RP ID (the service's host name) and the origin browsers must report."""
    base = urlsplit(current_app.config["BASE_URL"])
    return base.hostname or "localhost", f"{base.scheme}://{base.netloc}"


def passkeys_of(session: Session, user: User) -> list[Passkey]:
    return list(
        session.scalars(
            select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)
        )
    )


def _descriptors(keys: list[Passkey]):
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    return [PublicKeyCredentialDescriptor(id=_bytes(k.credential_id)) for k in keys]


# --- challenges: issued into the session cookie, taken back once -------------------------


def issue_challenge(now: datetime | None = None) -> tuple[bytes, dict]:
    """A new random challenge, and what the session keeps of it."""
    challenge = secrets.token_bytes(32)
    stamp = int((now or utcnow()).timestamp())
    return challenge, {"challenge": _text(challenge), "at": stamp}


def challenge_from(kept: object, now: datetime | None = None) -> bytes:
    """The challenge a session kept, if it is still in time (the caller has already
    removed it from the session, so it is never used twice)."""
    late = PasskeyError("Your passkey could not be checked in time. Try again", "passkey")
    if not isinstance(kept, dict) or not isinstance(kept.get("challenge"), str):
        raise late
    stamp = kept.get("at")
    now = now or utcnow()
    if not isinstance(stamp, int) or not 0 <= now.timestamp() - stamp <= CHALLENGE_MINUTES * 60:
        raise late
    return _bytes(kept["challenge"])


# --- adding one ---------------------------------------------------------------------------


def registration_options(session: Session, user: User, challenge: bytes) -> str:
    """The options ``navigator.credentials.create`` needs, as JSON."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["SERVICE_NAME"],
        user_id=f"clinic-staff-{user.id}".encode(),
        user_name=user.email,
        user_display_name=user.name,
        challenge=challenge,
        timeout=CHALLENGE_MINUTES * 60 * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(passkeys_of(session, user)),
    )
    return options_to_json(options)


def add(
    session: Session,
    user: User,
    *,
    name: str,
    response: str,
    challenge: bytes,
    now: datetime | None = None,
) -> Passkey:
    """Check the browser's answer to ``navigator.credentials.create`` and keep the passkey."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        current_app.logger.info("passkey not added user_id=%s: %s", user.id, error)
        raise PasskeyError("Your passkey could not be added. Try again", "passkey") from None
    credential_id = _text(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyError("This passkey is already added", "passkey")
    key = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name.strip()[:NAME_LENGTH],
        created_at=now or utcnow(),
    )
    session.add(key)
    session.flush()
    audit.record(session, user, "user.passkey_add", user, name=key.name)
    notify_account_change(session, user, "second_factor_added")
    return key


# --- signing in with one --------------------------------------------------------------------


def authentication_options(session: Session, user: User, challenge: bytes) -> str:
    """The options ``navigator.credentials.get`` needs, as JSON (only ``user``'s passkeys
    are allowed: the password has already said who this is)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=CHALLENGE_MINUTES * 60 * 1000,
        allow_credentials=_descriptors(passkeys_of(session, user)),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def verify(
    session: Session, user: User, *, response: str, challenge: bytes, now: datetime | None = None
) -> Passkey:
    """Check the browser's answer to ``navigator.credentials.get``: one of ``user``'s
    passkeys signed this challenge for this site, with a counter above the last one."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    now = now or utcnow()
    refused = PasskeyError("Your passkey was not accepted. Try again, or enter a code", "passkey")
    rp_id, origin = relying_party()
    try:
        credential = parse_authentication_credential_json(response)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise refused from None
    key = session.scalar(
        select(Passkey).where(
            Passkey.user_id == user.id,
            Passkey.credential_id == _text(credential.raw_id),
        )
    )
    if key is None:
        raise refused
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        current_app.logger.info("passkey refused user_id=%s: %s", user.id, error)
        raise refused from None
    result = session.execute(
        update(Passkey)
        .where(Passkey.id == key.id, Passkey.sign_count == key.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed(result) != 1:  # another request used this answer a moment ago
        raise refused
    return key


# --- naming and removing ------------------------------------------------------------------


def passkey_of(session: Session, user: User, passkey_id: int) -> Passkey | None:
    key = session.get(Passkey, passkey_id)
    return key if key is not None and key.user_id == user.id else None


def rename(session: Session, user: User, key: Passkey, name: str) -> None:
    key.name = name.strip()[:NAME_LENGTH]
    audit.record(session, user, "user.passkey_rename", user, name=key.name)


def remove(session: Session, user: User, key: Passkey) -> None:
    """The user removes one of their passkeys (the page has checked their password)."""
    session.delete(key)
    audit.record(session, user, "user.passkey_remove", user, name=key.name)
    notify_account_change(session, user, "second_factor_removed")
