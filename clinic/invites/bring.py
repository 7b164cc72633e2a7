"""What a parent brings to their clinic, following what they asked help with.

Each topic of the booking form (and "general", for everyone) has its own lines in the
``bring_advice`` table — the accounts and passwords that device or app needs — written
once and edited by coordinators next to the guidance links.  ``bring_list`` is pure;
``bring_for`` reads the table.  The confirmation and reminder (email, invite and page)
all use it, so they always say the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Booking, BringAdvice

GENERAL = "general"


def bring_list(topics: Iterable[str] | None, advice: Mapping[str, str]) -> list[str]:
    """The things to bring, one a line: what everyone brings, then each chosen topic's in
    the order given (a booking keeps the booking form's order); blank lines left out and
    each thing said once."""
    wanted = [GENERAL, *(topic for topic in topics or () if topic != GENERAL)]
    items: list[str] = []
    for topic in wanted:
        for line in (advice.get(topic) or "").splitlines():
            item = " ".join(line.split()).lstrip("-•* ").strip()
            if item and item not in items:
                items.append(item)
    return items


def advice_by_topic(session: Session) -> dict[str, str]:
    return dict(session.execute(select(BringAdvice.topic, BringAdvice.text)).all())


def bring_for(session: Session, booking: Booking) -> list[str]:
    """What this booking's household brings."""
    return bring_list(booking.topics, advice_by_topic(session))
