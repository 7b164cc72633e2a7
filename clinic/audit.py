"""Audit events: who did what to which record, and when.

An event names records by id; it should not hold a parent's details.  The keys of
``details`` that can (a name, an address, words a person typed such as a cancellation
reason) are named once here, in ``PERSONAL_KEYS``: ``flask privacy purge`` and an erasure
take them out of old events (``without_personal``), keeping who did what and when.
"""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent, School, User

PERSONAL_KEYS = frozenset(
    {
        "parent_name",
        "name",
        "email",
        "phone",
        "recipient",
        "to",
        "other_topic",
        "access_needs",
        "comments",
        "reason",
    }
)


def has_personal(details: Mapping | None) -> bool:
    return isinstance(details, Mapping) and not PERSONAL_KEYS.isdisjoint(details)


def without_personal(details: Mapping | None) -> dict:
    """The details with every personal key taken out."""
    if not isinstance(details, Mapping):
        return {}
    return {key: value for key, value in details.items() if key not in PERSONAL_KEYS}


def record(
    session: Session,
    actor: User | str | None,
    action: str,
    obj=None,
    *,
    school_id: int | None = None,
    partnership_id: int | None = None,
    **details,
) -> AuditEvent:
    """Add an audit event to the session (it commits with the change it describes).

    It goes in the log of one partnership: the one given, or the record's, the school's,
    the acting staff member's (in that order); the service owner's own events belong to
    none."""
    if obj is not None and getattr(obj, "id", 0) is None:
        session.flush()  # give a new record its id
    if isinstance(actor, User):
        actor_id, label = actor.id, actor.email
    else:
        actor_id, label = None, actor or "system"
    if school_id is None:
        school_id = getattr(obj, "school_id", None)
        if school_id is None and type(obj).__name__ == "School":
            school_id = obj.id
    if partnership_id is None:
        partnership_id = _partnership_of(session, obj, school_id, actor)
    event = AuditEvent(
        actor_id=actor_id,
        actor_label=label,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "none",
        object_id=getattr(obj, "id", None),
        school_id=school_id,
        partnership_id=partnership_id,
        details=details,
    )
    session.add(event)
    return event


def _partnership_of(session: Session, obj, school_id: int | None, actor) -> int | None:
    if type(obj).__name__ == "Partnership":
        return obj.id
    if getattr(obj, "partnership_id", None) is not None:
        return obj.partnership_id
    if school_id is not None:
        school = session.get(School, school_id)
        if school is not None:
            return school.partnership_id
    if isinstance(actor, User):
        return actor.partnership_id
    return None


def recorded_since(session: Session, action: str, obj, since: datetime) -> bool:
    """Whether ``action`` was recorded on ``obj`` after ``since`` (say, a notice that went
    to a household less than an hour ago, so it is not sent again)."""
    found = session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.action == action,
            AuditEvent.object_type == type(obj).__name__.lower(),
            AuditEvent.object_id == obj.id,
            AuditEvent.at > since,
        )
        .limit(1)
    )
    return found is not None
