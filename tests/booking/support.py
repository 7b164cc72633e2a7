"""Helpers for the booking tests: the parent's answers and the pages driven in order."""

from __future__ import annotations

import re
import time

from clinic.filters import format_time
from tests.helpers import csrf_token

ANSWERS = {
    "parent_name": "Alex Example",
    "email": "alex.example@example.net",
    "phone": "020 7946 0000",  # an Ofcom drama number
    "child_years": ["Year 3", "Year 5"],
    "topics": ["iphone-ipad", "roblox", "other"],
    "other_topic": "Fortnite",
    "access_needs": "Polish interpreter, please",
    "consent": "y",
}

SUBMISSION = re.compile(
    r'name="submission_id"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission_id"'
)


def details(**changes) -> dict:
    """The answers as ``HouseholdForm.values()`` gives them to the service."""
    values = {
        "parent_name": ANSWERS["parent_name"],
        "email": ANSWERS["email"],
        "phone": "+442079460000",
        "child_years": ANSWERS["child_years"],
        "topics": ANSWERS["topics"],
        "other_topic": ANSWERS["other_topic"],
        "access_needs": ANSWERS["access_needs"],
    }
    return values | changes


def fill_form(client, slot_id: int, prefix: str = "", **changes):
    """GET the booking form and send it (Continue); returns the response to the POST."""
    url = f"{prefix}/book/{slot_id}"
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    data = {**ANSWERS, **changes, "csrf_token": csrf_token(page)}
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def submission_id(response) -> str:
    match = SUBMISSION.search(response.get_data(as_text=True))
    assert match, "no submission_id on the page"
    return match.group(1) or match.group(2)


def confirm(client, slot_id: int, prefix: str = ""):
    """GET the check page and press Confirm booking; returns the response to the POST."""
    url = f"{prefix}/book/{slot_id}/check"
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    return client.post(
        url, data={"csrf_token": csrf_token(page), "submission_id": submission_id(page)}
    )


def book(client, slot_id: int, prefix: str = "", **changes):
    """The whole flow: form, check page, confirm. Returns the confirm POST's response."""
    response = fill_form(client, slot_id, prefix, **changes)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return confirm(client, slot_id, prefix)


def times(slot) -> str:
    """A slot's times as the pages show them ("3pm to 3:15pm", in the clinic's time zone)."""
    return f"{format_time(slot.starts_at)} to {format_time(slot.ends_at)}"


def wait_for_mail(smtp, address: str, count: int = 1, timeout: float = 5.0):
    """The emails the SMTP test server received for ``address``, once there are ``count``."""
    deadline = time.monotonic() + timeout
    while len(smtp.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    messages = smtp.to(address)
    assert len(messages) == count, f"expected {count} email(s) to {address}, got {len(messages)}"
    return messages
