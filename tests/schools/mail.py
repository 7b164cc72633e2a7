"""Reading the emails the SMTP test server received."""

from __future__ import annotations

import re
import time

LINK = re.compile(r"https?://[^\s\"<>]+/staff/set-password/[^\s\"<>]+")


def wait_for_mail(smtp, address: str, count: int = 1, timeout: float = 5.0):
    """The emails received for ``address``, once there are ``count`` of them."""
    deadline = time.monotonic() + timeout
    while len(smtp.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    messages = smtp.to(address)
    assert len(messages) >= count, f"expected {count} email(s) to {address}, got {len(messages)}"
    return messages


def link_in(message) -> str:
    """The set-password link in an email's plain-text body."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK.search(text)
    assert match, text
    return match.group(0)
