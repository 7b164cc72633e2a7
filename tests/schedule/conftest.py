"""Fixtures and helpers for the officers' clinic pages."""

from __future__ import annotations

import html as html_lib
import re
import time as clock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic.models import AuditEvent, OutboxMessage
from clinic.workdays import working_day_on_or_after
from tests.helpers import csrf_token

LONDON = ZoneInfo("Europe/London")


def future_day(days: int = 30) -> date:
    """The first working day ``days`` or more from now (a weekend or a bank holiday would
    need the officer's "save anyway"; tests of that warning pick their days)."""
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(LONDON).date()
    return working_day_on_or_after(day) if days >= 0 else day


def date_parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def new_clinic_form(school_id: int, day: date | None = None, **overrides) -> dict:
    """What an officer types on the create page for a one-to-one clinic, 3:15pm to 4:15pm."""
    data = {
        "school": str(school_id),
        "title": "Parental controls clinic",
        "description": "Bring your child's phone.",
        "venue": "School library",
        "date": date_parts(day or future_day()),
        "start_time": "3:15pm",
        "end_time": "4:15pm",
        "format": "one_to_one",
        "length": "20",
        "gap": "0",
        "capacity": "1",
        "submit": "y",
    }
    return data | overrides


def post_page(client, url: str, data: dict, *, page_url: str | None = None):
    """GET the page (for its CSRF token), then POST ``data`` to it."""
    page = client.get(page_url or url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return client.post(url, data={"csrf_token": csrf_token(page), **data})


def field_error(html: str, field_id: str) -> str:
    """The message shown next to a field (GOV.UK error message), without "Error:"."""
    match = re.search(
        rf'id="{re.escape(field_id)}-error"[^>]*>\s*<span class="govuk-visually-hidden">'
        r"Error:</span>\s*(.*?)\s*</p>",
        html,
        re.S,
    )
    assert match, f"no error message for {field_id}"
    return html_lib.unescape(match.group(1))


def wait_for_mail(smtp, address: str, count: int = 1, timeout: float = 5.0):
    deadline = clock.monotonic() + timeout
    while len(smtp.to(address)) < count and clock.monotonic() < deadline:
        clock.sleep(0.05)
    messages = smtp.to(address)
    assert len(messages) >= count, f"expected {count} email(s) to {address}, got {len(messages)}"
    return messages


def invite_of(message) -> bytes:
    """The text/calendar part of an email, as the mail client gets it."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_payload(decode=True)
    raise AssertionError("the email has no calendar part")


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def actions(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def outbox(session, kind: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


@pytest.fixture
def clinic(make, school, officer_user):
    """A published one-to-one clinic two weeks ahead: four 15-minute slots from 15:00 UTC."""
    return make.clinic(school, officer_user)
