"""After a clinic: one email to each parent who came, with guidance links and a feedback form.

Plain functions taking a session; they raise named errors and never commit, except
``send_follow_ups`` (a cron job), which commits each email with its claim.

- **Guidance links** are content, kept in the ``guidance_link`` table and edited by
  coordinators; ``seed_guidance`` loads the starting set from ``guidance_seed.json``.
- **Partnerships**: each partnership has its own links and "what to bring" texts; its
  coordinators edit them and its households get them.  A new partnership starts with the
  shipped defaults (``seed_guidance(session, partnership)``; the "what to bring" texts
  from ``bring_seed.json``, the same as migrations 0006 and 0010 wrote).
- **Languages**: each link and each "what to bring" text is in one language.  A household
  gets, topic by topic, its own language's links (or text), and the English ones where its
  language has none for that topic; each ``Guide`` and ``BringItem`` says which language it
  is in, so a template marks the English ones ``lang="en"``.  Coordinators edit each
  language on its own; clearing a language's "what to bring" makes it fall back to English.
- **Follow-up email**: each attended booking of a closed clinic gets exactly one.  The claim
  is a conditional UPDATE (``follow_up_sent_at IS NULL``) in the same transaction as the
  queued email, so two runs at once never send twice: on PostgreSQL the second UPDATE waits
  for the first's row lock and then finds the column set; on SQLite every transaction
  begins IMMEDIATE, so the runs take turns.
- **Feedback**: a signed link names the booking; one answer per booking, kept by a unique
  index, so a double-submitted form stores one answer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from babel import Locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit, batch
from ..booking.choices import TOPICS
from ..errors import RuleError
from ..i18n import NAMES, name_of, offered
from ..invites.bring import ENGLISH, advice_by_topic
from ..links import InvalidLink, booking_for_feedback_token, feedback_token, parent_url
from ..models import (
    Booking,
    BringAdvice,
    Clinic,
    Feedback,
    GuidanceLink,
    Partnership,
    School,
    User,
    utcnow,
)
from ..notices import send_booking_email
from ..partnership import partnership_for
from ..rows import changed

GENERAL = "general"
# The topics a guidance link can be for: advice for everyone, then the booking form's topics.
GUIDANCE_TOPICS = [(GENERAL, _l("General advice for every family")), *TOPICS]
GUIDANCE_TOPIC_LABELS = dict(GUIDANCE_TOPICS)
SEED_FILE = Path(__file__).with_name("guidance_seed.json")
BRING_SEED_FILE = Path(__file__).with_name("bring_seed.json")
TITLE_MAX = 200
URL_MAX = 500
COMMENTS_MAX = 1000
BRING_MAX = 1000
# A clinic closed longer ago than this gets no follow-up: a "thank you for coming" weeks
# late (say, the first run of the cron job after going live) would puzzle parents.
FOLLOW_UP_WITHIN = timedelta(days=14)
FOLLOW_UP_SUBJECT = _l("Thank you for coming to the parental controls clinic")
# (value stored in Feedback.useful, words shown to the parent), most useful first.
USEFUL_CHOICES = [
    (5, "Very useful"),
    (4, "Useful"),
    (3, "Quite useful"),
    (2, "Not very useful"),
    (1, "Not useful at all"),
]


class GuidanceError(RuleError):
    """A guidance link that breaks a rule; the message is shown next to ``field``."""


class FeedbackError(RuleError):
    """An answer the feedback form should have refused; shown next to ``field``."""


class AlreadyAnswered(Exception):
    """This booking's feedback is already saved (one answer per booking)."""


@dataclass(frozen=True)
class Guide:
    """One link in the email: plain values, so it outlives the session that read it."""

    title: str
    url: str
    language: str = ENGLISH  # the title's


@dataclass(frozen=True)
class TopicGuides:
    """The links for one topic a parent asked about, as the email lists them: all in the
    household's language, or all English when that language has none for the topic."""

    topic: str
    label: str
    guides: tuple[Guide, ...]
    language: str = ENGLISH


# --- languages (staff pages are in English; they edit each language's text) -----------------


def language_label(code: str) -> str:
    """A language as the coordinators' pages name it: "Polski (Polish)", "English"."""
    own = name_of(code)
    english = Locale.parse(code).get_display_name(ENGLISH) or code
    return own if own == english else f"{own} ({english})"


def language_choices() -> list[tuple[str, str]]:
    """The offered languages, English first, as (code, label) for a select."""
    return [(code, language_label(code)) for code in offered()]


def check_language(code: str | None) -> str:
    """``code`` if texts can be written in it (an offered or shipped language)."""
    if code not in NAMES and code not in offered():
        raise GuidanceError("Choose a language", "language")
    return code


# --- guidance links -----------------------------------------------------------------------


def check_https_url(value: str) -> str:
    """A full https web address (parents follow these from an email; no other scheme)."""
    url = (value or "").strip()
    if len(url) > URL_MAX:
        raise GuidanceError(f"Web address must be {URL_MAX} characters or fewer", "url")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (
        parts.scheme != "https"
        or "." not in host.strip(".")
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        raise GuidanceError(
            "Enter a full web address that starts with https://, like "
            "https://www.internetmatters.org/parental-controls/",
            "url",
        )
    return url


def _clean_guidance(
    topic: str, title: str, url: str, position: int | None, language: str = ENGLISH
) -> dict:
    """The values to store, or a GuidanceError naming the field that is wrong."""
    language = check_language(language)
    if topic not in GUIDANCE_TOPIC_LABELS:
        raise GuidanceError("Choose who the link is for", "topic")
    title = (title or "").strip()
    if not title:
        raise GuidanceError("Enter the link text parents will see", "title")
    if len(title) > TITLE_MAX:
        raise GuidanceError(f"Link text must be {TITLE_MAX} characters or fewer", "title")
    return {
        "topic": topic,
        "title": title,
        "url": check_https_url(url),
        "position": position or 0,
        "language": language,
    }


def _topic_order(link: GuidanceLink) -> tuple:
    """Sort key: the booking form's order of topics, then position (unknown topics last)."""
    topics = list(GUIDANCE_TOPIC_LABELS)
    index = topics.index(link.topic) if link.topic in topics else len(topics)
    return (index, link.topic, link.position, link.title.lower(), link.id)


def list_guidance(
    session: Session, partnership_id: int, language: str | None = None
) -> list[GuidanceLink]:
    """One partnership's guidance links (of one language, if given), grouped by topic in
    the booking form's order."""
    statement = select(GuidanceLink).where(GuidanceLink.partnership_id == partnership_id)
    if language is not None:
        statement = statement.where(GuidanceLink.language == language)
    return sorted(session.scalars(statement), key=_topic_order)


def add_guidance(
    session: Session,
    actor: User | str,
    *,
    topic: str,
    title: str,
    url: str,
    position: int | None,
    language: str = ENGLISH,
    partnership: Partnership | None = None,
) -> GuidanceLink:
    """Add a link to ``partnership`` (else the acting coordinator's, else the only one)."""
    link = GuidanceLink(**_clean_guidance(topic, title, url, position, language))
    link.partnership_id = partnership_for(session, actor, partnership).id
    session.add(link)
    audit.record(
        session,
        actor,
        "guidance.add",
        link,
        topic=link.topic,
        url=link.url,
        language=link.language,
    )
    return link


def update_guidance(
    session: Session,
    actor: User | str,
    link: GuidanceLink,
    *,
    topic: str,
    title: str,
    url: str,
    position: int | None,
    language: str = ENGLISH,
) -> None:
    values = _clean_guidance(topic, title, url, position, language)
    changed = {key: value for key, value in values.items() if getattr(link, key) != value}
    for key, value in changed.items():
        setattr(link, key, value)
    if changed:
        audit.record(session, actor, "guidance.update", link, changed=sorted(changed))


def delete_guidance(session: Session, actor: User | str, link: GuidanceLink) -> None:
    audit.record(
        session,
        actor,
        "guidance.delete",
        link,
        topic=link.topic,
        url=link.url,
        language=link.language,
    )
    session.delete(link)


def seed_guidance(
    session: Session,
    partnership: Partnership | None = None,
    actor: User | str = "cli",
    path: Path = SEED_FILE,
) -> int:
    """Load the starting links of each language that has none, for ``partnership`` (every
    partnership when None); returns how many links were added.

    The file holds each shipped language's links (an entry without ``language`` is
    English).  Only a language with no link at all is filled, so running it again never
    brings back links that coordinators deleted or changed in a language they keep, and
    a database seeded before links had languages gets the other languages' links.  A
    partnership with no "what to bring" text at all (a new one) gets the shipped texts
    too; one that has some keeps them as its coordinators left them."""
    if partnership is None:
        everyone = session.scalars(select(Partnership).order_by(Partnership.id)).all()
        return sum(seed_guidance(session, each, actor, path) for each in everyone)
    have = set(
        session.scalars(
            select(GuidanceLink.language)
            .where(GuidanceLink.partnership_id == partnership.id)
            .distinct()
        )
    )
    entries = [
        entry
        for entry in json.loads(path.read_text(encoding="utf-8"))
        if entry.get("language", ENGLISH) not in have
    ]
    for entry in entries:
        link = GuidanceLink(**_clean_guidance(**entry))
        link.partnership_id = partnership.id
        session.add(link)
    brought = _seed_bring_advice(session, partnership)
    if not entries and not brought:
        return 0
    languages = sorted({entry.get("language", ENGLISH) for entry in entries})
    audit.record(
        session,
        actor,
        "guidance.seed",
        None,
        partnership_id=partnership.id,
        count=len(entries),
        source=path.name,
        languages=languages,
        bring=brought,
    )
    return len(entries)


def _seed_bring_advice(session: Session, partnership: Partnership) -> int:
    """The shipped "what to bring" texts, for a partnership that has none; how many."""
    has_some = session.scalar(
        select(BringAdvice.topic).where(BringAdvice.partnership_id == partnership.id).limit(1)
    )
    if has_some is not None:
        return 0
    shipped = json.loads(BRING_SEED_FILE.read_text(encoding="utf-8"))
    rows = [
        BringAdvice(partnership_id=partnership.id, topic=topic, language=language, text=text)
        for language, texts in shipped.items()
        for topic, text in texts.items()
    ]
    session.add_all(rows)
    return len(rows)


# --- what to bring (shown with the guidance links; read by invites.bring) ------------------


@dataclass(frozen=True)
class BringTopic:
    """One topic's "what to bring" in one language, as the coordinators' list shows it:
    ``text`` is this language's own (blank: none), ``english`` what falls back."""

    topic: str
    label: str
    text: str
    language: str = ENGLISH
    english: str = ""

    @property
    def falls_back(self) -> bool:
        """Parents reading this language get the English text for this topic."""
        return self.language != ENGLISH and not self.text.strip()


def bring_label(topic: str) -> str:
    return "Every family" if topic == GENERAL else GUIDANCE_TOPIC_LABELS[topic]


def list_bring_advice(
    session: Session, partnership_id: int, language: str = ENGLISH
) -> list[BringTopic]:
    """One partnership's "what to bring" for every topic in ``language``, in the booking
    form's order (blank: nothing extra in English, the English text in another language)."""
    english = advice_by_topic(session, partnership_id=partnership_id)
    texts = (
        english
        if language == ENGLISH
        else advice_by_topic(session, language, partnership_id=partnership_id)
    )
    return [
        BringTopic(
            topic=topic,
            label=bring_label(topic),
            text=texts.get(topic, ""),
            language=language,
            english=english.get(topic, ""),
        )
        for topic in GUIDANCE_TOPIC_LABELS
    ]


def bring_text(session: Session, partnership_id: int, topic: str, language: str = ENGLISH) -> str:
    advice = session.get(BringAdvice, (partnership_id, topic, language))
    return advice.text if advice is not None else ""


def update_bring_advice(
    session: Session,
    actor: User | str,
    *,
    topic: str,
    text: str,
    language: str = ENGLISH,
    partnership: Partnership | None = None,
) -> None:
    """Save what parents who ask about ``topic`` bring, in ``language``: one thing a line,
    for ``partnership`` (else the acting coordinator's, else the only one).

    Blank means nothing extra in English; in another language it removes that language's
    text, so its parents get the English one (never nothing, which would drop what the
    English says they need).  Other languages are left as they are."""
    if topic not in GUIDANCE_TOPIC_LABELS:
        raise GuidanceError("Choose which app or device this is for", "topic")
    language = check_language(language)
    text = "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())
    if len(text) > BRING_MAX:
        raise GuidanceError(f"Keep this to {BRING_MAX} characters or fewer", "text")
    owner = partnership_for(session, actor, partnership)
    advice = session.get(BringAdvice, (owner.id, topic, language))
    if language != ENGLISH and not text:
        if advice is not None:
            session.delete(advice)
            audit.record(
                session,
                actor,
                "guidance.bring",
                None,
                topic=topic,
                language=language,
                cleared=True,
                partnership_id=owner.id,
            )
        return
    if advice is None:
        advice = BringAdvice(partnership_id=owner.id, topic=topic, language=language, text="")
        session.add(advice)
    if advice.text != text:
        advice.text = text
        audit.record(
            session,
            actor,
            "guidance.bring",
            None,
            topic=topic,
            language=language,
            partnership_id=owner.id,
        )


# Links by language, then topic: what one run of the follow-up reads once.
GuidesByLanguage = dict[str, dict[str, tuple[Guide, ...]]]


def guides_by_topic(session: Session, partnership_id: int) -> GuidesByLanguage:
    """One partnership's links as plain values by language and topic, in order."""
    grouped: dict[str, dict[str, list[Guide]]] = defaultdict(lambda: defaultdict(list))
    for link in list_guidance(session, partnership_id):
        guide = Guide(title=link.title, url=link.url, language=link.language)
        grouped[link.language][link.topic].append(guide)
    return {
        language: {topic: tuple(guides) for topic, guides in topics.items()}
        for language, topics in grouped.items()
    }


def guidance_for(
    topics: Iterable[str] | None, guides: GuidesByLanguage, language: str = ENGLISH
) -> list[TopicGuides]:
    """The sections of one parent's email: the topics they asked about that have links, in
    the booking form's order, then the general advice everyone gets.  Each topic's links
    are the household's language's, or the English ones where it has none for the topic."""
    asked = set(topics or ())
    wanted = [value for value, _ in TOPICS if value in asked] + [GENERAL]
    own, english = guides.get(language, {}), guides.get(ENGLISH, {})
    sections = []
    for topic in wanted:
        chosen, said_in = own.get(topic), language
        if not chosen:
            chosen, said_in = english.get(topic), ENGLISH
        if chosen:
            label = GUIDANCE_TOPIC_LABELS[topic]
            sections.append(TopicGuides(topic=topic, label=label, guides=chosen, language=said_in))
    return sections


# --- the feedback link --------------------------------------------------------------------


def booking_for_feedback(session: Session, token: str) -> Booking:
    """The attended booking a feedback link names, or ``InvalidLink`` (only parents who
    came are asked for feedback)."""
    booking = booking_for_feedback_token(session, token)
    if booking.status != "attended":
        raise InvalidLink("feedback")
    return booking


def feedback_for(session: Session, booking: Booking) -> Feedback | None:
    return session.scalar(select(Feedback).where(Feedback.booking_id == booking.id))


def save_feedback(
    session: Session, booking: Booking, *, useful: int, comments: str | None
) -> Feedback:
    """Store the parent's two answers; AlreadyAnswered if this booking has answered before.

    The unique index on ``feedback.booking_id`` decides between two submissions at once;
    the savepoint turns the loser's refusal into AlreadyAnswered."""
    if useful not in dict(USEFUL_CHOICES):
        raise FeedbackError(_("Select how useful the clinic was"), "useful")
    comments = (comments or "").strip() or None
    if comments and len(comments) > COMMENTS_MAX:
        raise FeedbackError(
            _("Keep this to %(max)d characters or fewer", max=COMMENTS_MAX), "comments"
        )
    if feedback_for(session, booking) is not None:
        raise AlreadyAnswered
    feedback = Feedback(
        clinic_id=booking.clinic_id, booking_id=booking.id, useful=useful, comments=comments
    )
    try:
        with session.begin_nested():
            session.add(feedback)
    except IntegrityError as exc:
        raise AlreadyAnswered from exc
    school_id = session.scalar(select(Clinic.school_id).where(Clinic.id == booking.clinic_id))
    audit.record(session, "parent", "feedback.give", feedback, school_id=school_id, useful=useful)
    return feedback


# --- the follow-up email ------------------------------------------------------------------


def _due_follow_ups(now: datetime):
    """Attended bookings of clinics closed recently whose parent has had no follow-up yet.

    Anonymised bookings have no email address left, so they drop out here."""
    return (
        select(Booking.id)
        .join(Clinic, Clinic.id == Booking.clinic_id)
        .where(
            Booking.status == "attended",
            Booking.follow_up_sent_at.is_(None),
            Booking.email.is_not(None),
            Clinic.closed_at.is_not(None),
            Clinic.closed_at >= now - FOLLOW_UP_WITHIN,
            Clinic.status != "cancelled",
        )
        .order_by(Booking.id)
    )


def _claim(session: Session, booking_id: int, now: datetime) -> bool:
    """Mark the follow-up as sent; False when another run (or an earlier one) already has."""
    result = session.execute(
        update(Booking)
        .where(
            Booking.id == booking_id,
            Booking.follow_up_sent_at.is_(None),
            Booking.status == "attended",
        )
        .values(follow_up_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return changed(result) == 1


def _queue_follow_up(
    session: Session, booking: Booking, guides_of: dict[int, GuidesByLanguage]
) -> None:
    guides = guides_of.get(booking.clinic.school.partnership_id, {})
    send_booking_email(
        session,
        booking,
        template="follow_up",
        subject=FOLLOW_UP_SUBJECT,
        kind="follow_up",
        with_invite=False,
        guidance=guidance_for(booking.topics, guides, booking.language or ENGLISH),
        feedback_url=parent_url(
            "feedback.give", language=booking.language, token=feedback_token(booking)
        ),
    )
    school_id = booking.clinic.school_id
    audit.record(session, "system", "booking.follow_up", booking, school_id=school_id)


def send_follow_ups(session: Session, *, now: datetime | None = None) -> batch.Run:
    """Queue the follow-up email of every booking that is due; ``run.done`` says how many.

    Safe to run again and again (cron) and with another run at the same time: each email
    commits with its claim, one booking at a time, so a run that stops half-way leaves the
    rest for the next; a booking whose email fails is logged and skipped (``run.failed``)."""
    now = now or utcnow()
    booking_ids = list(session.scalars(_due_follow_ups(now)))
    # Each household gets its school's partnership's links (read once per run).
    partnerships = session.scalars(select(School.partnership_id).distinct())
    guides = {each: guides_by_topic(session, each) for each in partnerships}
    session.commit()  # end the read: on SQLite it holds the write lock

    def follow_up(session: Session, booking_id: int) -> bool:
        if not _claim(session, booking_id, now):
            return False
        _queue_follow_up(session, session.get_one(Booking, booking_id), guides)
        return True

    run = batch.Run("followup send")
    run.each(session, "booking", booking_ids, follow_up)
    return run
