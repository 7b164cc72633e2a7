"""The answers a parent (or staff member, on a phone call) typed into the booking form,
kept on the server until they press Confirm (the ``booking_draft`` table).

The browser's cookie holds only the draft's random id, so whoever uses the browser next
cannot read the answers from it (Flask's cookie is signed, not encrypted).  A draft is
deleted when its booking is made, replaced when the form is sent again (or another
clinic's form is started: the first one was abandoned), and deleted by ``flask privacy
purge`` once ``BOOKING_DRAFT_HOURS`` have passed; an expired one is never used.
Opening a page only reads a draft (rule 5): drafts are written by POSTs only.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from ..models import BookingDraft, utcnow


def save(
    session: Session,
    clinic_id: int,
    answers: dict,
    *,
    replaces: str | None = None,
    now: datetime | None = None,
) -> str:
    """Keep the answers as a new draft (deleting the one it replaces); returns its id.
    The caller commits."""
    now = now or utcnow()
    if isinstance(replaces, str):
        discard(session, replaces)
    draft = BookingDraft(
        id=secrets.token_urlsafe(32),
        clinic_id=clinic_id,
        answers=answers,
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["BOOKING_DRAFT_HOURS"]),
    )
    session.add(draft)
    return draft.id


def answers(
    session: Session, draft_id, clinic_id: int | None = None, *, now: datetime | None = None
) -> dict | None:
    """The draft's answers, if it exists, has not expired, and (given ``clinic_id``) is
    for that clinic."""
    found = read(session, draft_id, now=now)
    if found is None or (clinic_id is not None and found[0] != clinic_id):
        return None
    return found[1]


def read(session: Session, draft_id, *, now: datetime | None = None) -> tuple[int, dict] | None:
    """The draft's clinic and answers, as plain values, if it exists and has not expired."""
    if not isinstance(draft_id, str) or not draft_id:
        return None
    draft = session.execute(_READ, {"draft_id": draft_id}).first()
    if draft is None or draft.expires_at <= (now or utcnow()):
        return None
    return (draft.clinic_id, draft.answers) if isinstance(draft.answers, dict) else None


# Read as plain values (every booking POST reads its draft first: the per-email limit
# asks), with a statement built once.
_READ = select(BookingDraft.clinic_id, BookingDraft.answers, BookingDraft.expires_at).where(
    BookingDraft.id == bindparam("draft_id")
)


def discard(session: Session, draft_id) -> None:
    if isinstance(draft_id, str) and draft_id:
        session.execute(delete(BookingDraft).where(BookingDraft.id == draft_id))
