"""Which partnership a new school or staff account belongs to (issue 21).

A partnership owns its schools and staff (``models.Partnership``).  A record made by a
coordinator goes into their partnership; one made by the system or a command (the demo
seed, ``flask users create``) into the one given, or the installation's only partnership
when it has one; with several and none given, ``PartnershipError`` asks which.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Partnership, User


class PartnershipError(ValueError):
    """No partnership could be chosen; ``field`` names the form field to show it beside."""

    def __init__(self, message: str, field: str = "partnership"):
        super().__init__(message)
        self.field = field


def only_partnership(session: Session) -> Partnership | None:
    """The installation's partnership when it has exactly one."""
    found = session.scalars(select(Partnership).order_by(Partnership.id).limit(2)).all()
    return found[0] if len(found) == 1 else None


def partnership_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Partnership)) or 0


def partnership_for(
    session: Session, actor: User | str | None, given: Partnership | None = None
) -> Partnership:
    """The partnership a new record goes into: ``given``, else the acting staff member's,
    else the installation's only one."""
    if given is not None:
        return given
    if isinstance(actor, User) and actor.partnership_id is not None:
        partnership = session.get(Partnership, actor.partnership_id)
        if partnership is not None:
            return partnership
    only = only_partnership(session)
    if only is None:
        raise PartnershipError("Choose the partnership")
    return only
