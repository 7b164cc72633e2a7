"""The tables a second factor adds: a staff member's authenticator-app secret and their
single-use recovery codes (see ``clinic/auth/mfa.py``).

The secret must be read back to check a code, so it is stored encrypted with a key
derived from ``SECRET_KEY`` (``clinic.auth.mfa.secret_of``): a copy of the database or a
backup without the key makes no codes.  Recovery codes are
stored only as keyed hashes, so a copy of the table signs nobody in.  A passkey is stored
as its id and public key (see ``clinic/auth/passkeys.py``): nothing secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..models import UTCDateTime, utcnow


class SecondFactor(Model):
    __tablename__ = "staff_second_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    # The Base32 secret authenticator apps read from the QR code, encrypted (a Fernet
    # token, ``clinic.partnership.encrypt_secret``; migration 0020 encrypted older ones).
    totp_secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The 30-second time-step of the last code accepted: a code is never accepted twice,
    # nor one older than it (replay within the code's window).
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Model):
    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # HMAC-SHA256 (hex) of the code with a key derived from SECRET_KEY.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(Model):
    """A passkey (WebAuthn credential) a staff member added beside their authenticator app."""

    __tablename__ = "staff_passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # The credential id, base64url (WebAuthn allows up to 1,023 bytes).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    # The COSE public key the authenticator gave when it was added.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    # The authenticator's signature counter: a cloned authenticator shows one not above it.
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
