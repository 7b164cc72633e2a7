"""GOV.UK Notify, as both the outbox (``clinic.outbox.sms``, sending texts) and ``flask
doctor`` (checking the settings) use it: the API key's shape, a client, its errors."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the client brings requests: loaded when a text is sent, not at start
    from notifications_python_client.errors import APIError
    from notifications_python_client.notifications import NotificationsAPIClient

NOTIFY_URL = "https://api.notifications.service.gov.uk"
# Notify's whole template body: one placeholder, which each text fills.
TEMPLATE_BODY = "((body))"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
KEY_FORMAT = re.compile(rf"^(?P<name>.+)-(?P<service>{_UUID})-(?P<secret>{_UUID})$")


def key_problem(key: str) -> str | None:
    """What is wrong with a Notify API key's shape, or None (its secret is never shown)."""
    found = KEY_FORMAT.match(key.strip())
    if not found:
        return (
            "it is not a Notify API key (key name, then the service id and the secret, joined by -)"
        )
    for part in ("service", "secret"):
        try:
            uuid.UUID(found[part])
        except ValueError:
            return f"its {part} part is not a UUID"
    return None


def notify_client(config) -> NotificationsAPIClient:
    from notifications_python_client.notifications import NotificationsAPIClient

    return NotificationsAPIClient(
        config["NOTIFY_API_KEY"].strip(),
        base_url=config.get("NOTIFY_BASE_URL") or NOTIFY_URL,
        timeout=config.get("NOTIFY_TIMEOUT", 10),
    )


def notify_errors(exc: APIError) -> str:
    """Notify's error messages, one line (they name the field, never the number)."""
    message = exc.message
    if isinstance(message, list):
        message = "; ".join(str(item.get("message", item)) for item in message)
    return " ".join(str(message).split())
