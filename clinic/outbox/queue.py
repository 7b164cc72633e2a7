"""Queueing an email or a text (design rule 4): the one thing a change that sends calls.

``queue_email`` (and ``queue_text``) adds the message to the caller's session, so it
commits with the change or not at all; sending it is ``clinic.outbox.after_commit`` (at
once) and ``clinic.outbox.delivery`` (later, with retries).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from flask import current_app, render_template
from flask_babel import LazyString, force_locale
from jinja2 import TemplateNotFound
from sqlalchemy.orm import Session

from ..models import OutboxMessage, Partnership, School, User, utcnow
from ..partnership import settings_for, written_for
from ..text import has_control, one_line


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (a PDF or CSV attendance list, for example)."""

    filename: str
    content_type: str
    data: bytes


# A subject as the caller gives it: plain text, a lazy translated string, or a function
# that builds it (called in the email's language, so the dates in it are in it too).
Subject: TypeAlias = str | LazyString | Callable[[], str]


def queue_email(
    session: Session,
    *,
    to: str,
    subject: Subject,
    template: str,
    context: dict,
    kind: str,
    calendar: tuple[str, bytes] | None = None,
    attachments: Sequence[Attachment] = (),
    language: str = "en",
    partnership_id: int | None = None,
) -> OutboxMessage:
    """Add an email to the session; it is sent once the caller commits (never before).

    The bodies come from ``templates/email/<template>.txt`` (required) and ``.html``
    (used when it exists).  ``calendar=(method, ics)`` adds an inline invite and an
    ``invite.ics`` attachment.  Links in the templates must come from ``external_url``
    (``parent_url`` for a parent's link, which opens the page in the email's language).

    ``language`` is the household's (a booking's or waiting-list place's ``language``;
    staff emails stay English): the subject and both bodies are made inside
    ``force_locale(language)``, so their sentences and dates are in it.  A subject that
    holds a translated sentence or a date is given as a lazy string or a function of no
    arguments, so it too is written in that language.

    ``partnership_id`` is the partnership the email is sent for (found from the context's
    ``school``, ``clinic`` or staff ``user`` when not given): its name is the one the
    bodies show, and it is sent with its sender name and Reply-To (``clinic.partnership``);
    its coordinators see it if it cannot be sent.
    """
    partnership_id = partnership_id or partnership_of(context)
    settings = settings_for(session.get(Partnership, partnership_id) if partnership_id else None)
    with force_locale(language), written_for(settings):
        # A subject is built from what staff typed (a clinic title, a school name): it is
        # made one line here, whatever was stored, so a line break can never add a header
        # nor stop the email.  An address cannot be mended that way: one that is not a
        # single plain address is refused (only a value written past the model's checks
        # can be one).
        line = one_line(str(subject()) if callable(subject) else str(subject))
        _check_header("to", to)
        _check_header("subject", line)
        if "," in to or ";" in to:
            raise ValueError("an email goes to one recipient only")
        context = {**context, "subject": line, "partnership_settings": settings}
        text_body = render_template(f"email/{template}.txt", **context)
        html_body = _render_optional(f"email/{template}.html", context)
    message = OutboxMessage(
        kind=kind,
        recipient=to.strip(),
        subject=line,
        text_body=text_body,
        html_body=html_body,
        calendar_method=calendar[0].upper() if calendar else None,
        calendar_body=calendar[1].decode() if calendar else None,
        attachments=[_stored(item) for item in attachments],
        partnership_id=partnership_id,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    return message


# Notify refuses a text longer than 918 characters (6 fragments); ours are 2 or 3.
TEXT_LIMIT = 918


def queue_text(
    session: Session,
    *,
    to: str,
    template: str,
    context: dict,
    kind: str,
    language: str = "en",
    partnership_id: int | None = None,
) -> OutboxMessage:
    """Add a text message to the session; it is sent once the caller commits, like email.

    ``to`` is a mobile number as the forms store it (+44…).  The words come from
    ``templates/sms/<template>.txt``, written inside ``force_locale(language)``; blank
    lines at either end and spaces at line ends go, so a template may be laid out freely.
    """
    _check_header("to", to)
    partnership_id = partnership_id or partnership_of(context)
    settings = settings_for(session.get(Partnership, partnership_id) if partnership_id else None)
    with force_locale(language), written_for(settings):
        body = render_template(f"sms/{template}.txt", **context)
    body = "\n".join(line.rstrip() for line in body.strip().splitlines())
    if not body or len(body) > TEXT_LIMIT:
        raise ValueError(f"a text must be 1 to {TEXT_LIMIT} characters")
    message = OutboxMessage(
        channel="sms",
        kind=kind,
        recipient=to.strip(),
        # Names the text on the staff page (the words themselves are personal).
        subject=f"Text message: {kind}",
        text_body=body,
        html_body=None,
        attachments=[],
        partnership_id=partnership_id,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    return message


def partnership_of(context: dict) -> int | None:
    """The partnership an email is about, from what its template is given: the school
    (or the clinic's school, or the waiting-list place's), else the staff member's."""
    school = context.get("school")
    if not isinstance(school, School):
        clinic = context.get("clinic")
        school = getattr(clinic, "school", None)
    if isinstance(school, School):
        return school.partnership_id
    user = context.get("user")
    if isinstance(user, User):
        return user.partnership_id
    return None


def _check_header(name: str, value: str) -> None:
    if not value or not value.strip() or has_control(value):
        raise ValueError(f"{name} must be one non-empty line")


def _render_optional(name: str, context: dict) -> str | None:
    try:
        template = current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return None
    return render_template(template, **context)


def _stored(item: Attachment) -> dict:
    return {
        "filename": item.filename,
        "content_type": item.content_type,
        "data": base64.b64encode(item.data).decode("ascii"),
    }
