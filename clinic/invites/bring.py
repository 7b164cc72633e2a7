"""What a parent brings to their clinic, following what they asked help with.

Each topic of the booking form (and "general", for everyone) has its own lines in the
``bring_advice`` table — the accounts and passwords that device or app needs — written
once per language and per partnership (each edits its own, next to the guidance links;
a household gets its school's partnership's).  ``bring_list``
is pure; ``bring_for`` reads the table.  The confirmation and reminder (email, invite and
page) all use it, so they always say the same.

Languages: each topic is taken in the household's language, or in English where that
language has no text for the topic (a coordinator cleared it, or wrote only the English).
One list can so mix languages, topic by topic, so the language is kept per line:
every item is a ``BringItem`` (a ``str``, so templates and the invite use it as before)
with its ``language``; the list (``BringList``) has ``language``, the one asked for, and
``fallback``, true when some line is in another (English).  A template marks a line with
``lang="{{ item.language }}"`` where ``item.language != bring.language``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Booking, BringAdvice

GENERAL = "general"
ENGLISH = "en"


class BringItem(str):
    """One thing to bring, with the language it is written in."""

    language: str

    def __new__(cls, text: str, language: str = ENGLISH) -> BringItem:
        item = super().__new__(cls, text)
        item.language = language
        return item


class BringList(list[BringItem]):
    """The things to bring, in order; ``language`` is the language asked for."""

    def __init__(self, items: Iterable[BringItem] = (), language: str = ENGLISH) -> None:
        super().__init__(items)
        self.language = language

    @property
    def fallback(self) -> bool:
        """Whether some line is not in ``language`` (it fell back to English)."""
        return any(item.language != self.language for item in self)


def bring_list(
    topics: Iterable[str] | None,
    advice: Mapping[str, str],
    *,
    language: str = ENGLISH,
    english: Mapping[str, str] | None = None,
) -> BringList:
    """The things to bring, one a line: what everyone brings, then each chosen topic's in
    the order given (a booking keeps the booking form's order); blank lines left out and
    each thing said once.

    ``advice`` is the texts in ``language``; a topic with no text there takes its text
    from ``english`` (when given), and its lines are marked English."""
    wanted = [GENERAL, *(topic for topic in topics or () if topic != GENERAL)]
    items = BringList(language=language)
    for topic in wanted:
        text, said_in = advice.get(topic) or "", language
        if not text.strip() and english is not None and language != ENGLISH:
            text, said_in = english.get(topic) or "", ENGLISH
        for line in text.splitlines():
            item = " ".join(line.split()).lstrip("-•* ").strip()
            if item and item not in items:
                items.append(BringItem(item, said_in))
    return items


def advice_by_topic(
    session: Session, language: str = ENGLISH, *, partnership_id: int
) -> dict[str, str]:
    """Each topic's text in ``language`` (only the topics that language has a row for), as
    one partnership's coordinators wrote it."""
    statement = select(BringAdvice.topic, BringAdvice.text).where(
        BringAdvice.partnership_id == partnership_id, BringAdvice.language == language
    )
    return {topic: text for topic, text in session.execute(statement).all()}


def bring_in(
    session: Session, partnership_id: int, topics: Iterable[str] | None, language: str
) -> BringList:
    """What a household asking about ``topics`` brings, in ``language`` (English where
    that language has no text for a topic), as the school's partnership says."""
    english = advice_by_topic(session, partnership_id=partnership_id)
    if language == ENGLISH:
        return bring_list(topics, english)
    own = advice_by_topic(session, language, partnership_id=partnership_id)
    return bring_list(topics, own, language=language, english=english)


def bring_for(session: Session, booking: Booking) -> BringList:
    """What this booking's household brings, in the booking's language, from its school's
    partnership's texts."""
    partnership_id = booking.clinic.school.partnership_id
    return bring_in(session, partnership_id, booking.topics, booking.language or ENGLISH)
