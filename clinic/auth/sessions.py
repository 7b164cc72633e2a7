"""Staff sessions kept on the server: started at sign-in, ended for every copy at once.

Flask's session is a signed cookie; by itself a copy of it works until the key changes.
So the cookie carries a random id, and the ``staff_session`` row it names decides:

- signing out ends that row; deactivating an account or changing its password ends every
  row of that account (``end_all``), so every copy of every cookie stops working;
- an idle session ends ``STAFF_SESSION_IDLE_MINUTES`` (30) after it was last seen, and any
  session ``STAFF_SESSION_MAX_HOURS`` (12) after sign-in, however busy;
- the id is new at every sign-in and nothing from before it is kept (session fixation).

*Last seen* is the later of the row's ``last_seen_at`` and a stamp in the signed cookie.
A GET never writes to the database (DESIGN.md rule 5, and on SQLite ``clinic/sqlite.py``
refuses it so that page views never wait for the write lock), so a GET moves only the
cookie's stamp; a request that writes anyway (a POST) also moves the row.  Each is moved
at most once a minute (``STAFF_SESSION_TOUCH_SECONDS``), so the cookie is not re-sent
and the row not rewritten on every click.  The stamp is signed by the server, so it can
only say when the server last saw that copy; a session past its time stays ended, since
nothing moves the stamp of a session that no longer loads.

These functions take a database session and plain values; the views keep the id in
Flask's session (``clinic.auth.views``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..models import User, utcnow
from ..rows import changed
from .models import StaffSession

IDLE, EXPIRED, ENDED = "idle", "expired", "ended"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["STAFF_SESSION_IDLE_MINUTES"])


def max_age() -> timedelta:
    return timedelta(hours=current_app.config["STAFF_SESSION_MAX_HOURS"])


def touch_every() -> timedelta:
    return timedelta(seconds=current_app.config["STAFF_SESSION_TOUCH_SECONDS"])


def start(
    session: Session,
    user: User,
    *,
    now: datetime | None = None,
    confirmed: bool = True,
    browser: str | None = None,
) -> str:
    """A new session for ``user``; returns the random id to keep in the cookie.

    ``confirmed``: the password was typed to start it (a one-time sign-in link: not, so the
    first sensitive action asks for it; see ``clinic.auth.reauth``).  ``browser`` is the
    plain words "Your sessions" shows (``clinic.auth.browsers``).

    The user's sessions that began more than ``STAFF_SESSION_KEEP_DAYS`` (30) ago are
    deleted here, so the table stays small without a cron job (a recent row says when
    someone was signed in, should a coordinator need to know)."""
    now = now or utcnow()
    keep = max(max_age(), timedelta(days=current_app.config["STAFF_SESSION_KEEP_DAYS"]))
    session.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user.id, StaffSession.created_at < now - keep
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            confirmed_at=now if confirmed else None,
            browser=(browser or "")[:60] or None,
        )
    )
    return token


@dataclass(frozen=True)
class Check:
    user: User | None  # the signed-in user, or None
    row: StaffSession | None = None
    problem: str | None = None  # IDLE, EXPIRED or ENDED when there is no user


def check(
    session: Session,
    token: str,
    user_id: int,
    *,
    seen: datetime | None = None,
    now: datetime | None = None,
) -> Check:
    """Whether the session ``token`` (of ``user_id``) still signs someone in; ``seen`` is the
    cookie's own last-seen stamp.  Reads only."""
    now = now or utcnow()
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return Check(None, problem=ENDED)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return Check(None, problem=ENDED)
    if now - row.created_at > max_age():
        return Check(None, row, EXPIRED)
    last_seen = max(row.last_seen_at, seen) if seen else row.last_seen_at
    if now - last_seen > idle_limit():
        return Check(None, row, IDLE)
    return Check(user, row)


def touch(session: Session, row: StaffSession, *, now: datetime | None = None) -> bool:
    """Move the row's last-seen time if it is a minute old (call only where writing is
    allowed: not in a GET).  Returns whether it wrote."""
    now = now or utcnow()
    if now - row.last_seen_at < touch_every():
        return False
    session.execute(update(StaffSession).where(StaffSession.id == row.id).values(last_seen_at=now))
    return True


def end(session: Session, token: str, reason: str = "signed_out") -> None:
    """End one session (signing out): every copy of its cookie stops working."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == _hash(token), StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def end_all(session: Session, user: User, reason: str) -> int:
    """End every session of ``user`` (deactivated, password changed); returns how many."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return changed(result)


def row_for(session: Session, token: str) -> StaffSession | None:
    """The row of the session ``token`` (ended or not)."""
    return session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))


def confirmed(session: Session, token: str, *, now: datetime | None = None) -> None:
    """The password (and, once there is one, the second factor) was just typed again in
    this session (``clinic.auth.reauth``)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == _hash(token))
        .values(confirmed_at=now or utcnow())
    )


def live(session: Session, user: User, *, now: datetime | None = None) -> list[StaffSession]:
    """``user``'s sessions not ended and not past their maximum time, the most recently
    seen first.  A row's last-seen time moves only when that copy writes (above), so a
    session used only to read pages may look idle here and still work: every such row is
    listed, so its owner can end it."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(StaffSession)
            .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
            .where(StaffSession.created_at > now - max_age())
            .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
        )
    )


def end_one(session: Session, user: User, row_id: int, reason: str = "ended_by_user") -> bool:
    """End ``user``'s session ``row_id`` (from "Your sessions"); False if it is not theirs
    or has already ended."""
    result = session.execute(
        update(StaffSession)
        .where(
            StaffSession.id == row_id,
            StaffSession.user_id == user.id,
            StaffSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow(), end_reason=reason)
    )
    return changed(result) == 1


def end_others(session: Session, user: User, keep_token: str) -> int:
    """End every session of ``user`` but the one ``keep_token`` names; returns how many."""
    result = session.execute(
        update(StaffSession)
        .where(
            StaffSession.user_id == user.id,
            StaffSession.ended_at.is_(None),
            StaffSession.token_hash != _hash(keep_token),
        )
        .values(ended_at=utcnow(), end_reason="ended_by_user")
    )
    return changed(result)
