"""The admin page's rules: which emails staff should know about, and trying one again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, true, update
from sqlalchemy.orm import Session

from .. import audit
from ..auth.scope import scoped_partnership_filter
from ..models import OutboxMessage, User, utcnow
from ..rows import changed


@dataclass
class Problems:
    """The two lists on the admin page."""

    failed: list[OutboxMessage]
    retrying: list[OutboxMessage]


def problems(session: Session, *, limit: int = 200, user: User | None = None) -> Problems:
    """Messages staff should know about: failed ones, and pending ones that have failed;
    for a coordinator (``user``), their partnership's only."""
    newest_first = (OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    within = (
        true() if user is None else scoped_partnership_filter(user, OutboxMessage.partnership_id)
    )
    failed = select(OutboxMessage).where(OutboxMessage.status == "failed", within)
    retrying = select(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.attempts > 0, within
    )
    return Problems(
        failed=list(session.scalars(failed.order_by(*newest_first).limit(limit))),
        retrying=list(session.scalars(retrying.order_by(*newest_first).limit(limit))),
    )


def retry(session: Session, message_id: int, *, actor: User) -> bool:
    """Put a failed or waiting message back in the queue for now, with a fresh set of tries.

    False when it is being sent or already sent: the conditional UPDATE keeps a sender
    that claimed it meanwhile from sending it twice.  The caller commits."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(("failed", "pending")))
        .values(status="pending", attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed(result) != 1:
        return False
    message = session.get_one(OutboxMessage, message_id)
    audit.record(session, actor, "outbox.retry", message, kind=message.kind)
    return True
