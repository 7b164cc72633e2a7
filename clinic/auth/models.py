"""The one table staff sign-in adds: each signed-in copy of a staff member's session.

Flask's session is a signed cookie, so it cannot be taken back once handed out.  The
cookie therefore carries only a random id; the row it names (by the id's SHA-256, so a
copy of the table gives nobody a session) says whether that sign-in is still good.
Signing out, an admin deactivating the account or a password change end the row, and
with it every copy of the cookie.  It lives here, not in ``clinic/models.py``, because
only ``clinic.auth`` reads or writes it; it holds no personal data beyond the user id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..models import UTCDateTime, utcnow


class StaffSession(Model):
    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 hex of the random id kept in the signed session cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once a minute, and only by requests that write anyway (not GETs);
    # see clinic.auth.sessions.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # signed_out, deactivated, password_changed, ended_by_user (from "Your sessions")
    end_reason: Mapped[str | None] = mapped_column(String(20))
    # When the password was last typed in this session: at sign-in, or on the "Confirm your
    # password" page (clinic.auth.reauth); empty after a one-time sign-in link.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Your sessions" shows this ("Firefox on Windows"); the user agent itself is not kept.
    browser: Mapped[str | None] = mapped_column(String(60))

    __table_args__ = (Index("ix_staff_session_user_live", "user_id", "ended_at"),)
