"""Handing a text-message outbox row to GOV.UK Notify (or a folder).

Texts are sent with Notify's own client (``notifications-python-client``) through one
template whose whole body is the placeholder ``((body))``: the service writes every
word, in the household's language, and Notify only delivers it.  Settings:
``NOTIFY_API_KEY`` (``{key name}-{service id}-{secret}``), ``NOTIFY_SMS_TEMPLATE_ID``,
``NOTIFY_BASE_URL`` (Notify's API; the tests point it at a fake) and ``NOTIFY_TIMEOUT``.
With no key set, each text is written as a ``.txt`` file under ``SMS_FILE_DIR``, as
email is written under ``MAIL_FILE_DIR``.

Every try carries ``reference="outbox-<id>"``, so a text sent again after a lost answer
can be recognised in Notify's records (delivery is at least once, as for email).

What Notify refuses for good (400: a bad number or template; 403: the key) raises
``TextRefused``: the outbox marks it failed at once, for staff to see.  Anything else
(429: too many requests; 500; no answer) is tried again later with the usual backoff.
No phone number or body is ever logged, here or by the client (whose failure line holds
only the URL, the status and Notify's error message).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..models import utcnow
from ..notify import notify_client, notify_errors

if TYPE_CHECKING:  # the client brings requests: loaded on the first text, not at start
    from notifications_python_client.notifications import NotificationsAPIClient

log = logging.getLogger(__name__)

REFUSED = (400, 403)


class TextRefused(Exception):
    """Notify refused this text for good (a bad number, template or key): not retried."""


class TextNotSent(Exception):
    """Notify did not take the text this time (too many requests, its error, no answer)."""


@dataclass(frozen=True)
class Text:
    """One text to send: the outbox row's id (its reference), the number and the words."""

    outbox_id: int
    phone_number: str
    body: str

    @property
    def reference(self) -> str:
        return f"outbox-{self.outbox_id}"


class NotifyTransport:
    """Sends each text through Notify; one client (one HTTP session) per batch."""

    def __init__(self, config):
        self.config = config
        self.client: NotificationsAPIClient | None = None

    def __enter__(self) -> NotifyTransport:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.client is not None:
            self.client.request_session.close()

    def send(self, text: Text) -> None:
        from notifications_python_client.errors import APIError

        if self.client is None:
            self.client = notify_client(self.config)
        try:
            self.client.send_sms_notification(
                phone_number=text.phone_number,
                template_id=self.config["NOTIFY_SMS_TEMPLATE_ID"],
                personalisation={"body": text.body},
                reference=text.reference,
            )
        except APIError as exc:
            reason = f"GOV.UK Notify answered {exc.status_code}: {notify_errors(exc)}"
            if exc.status_code in REFUSED:
                raise TextRefused(reason) from None
            raise TextNotSent(reason) from None


class SmsFileTransport:
    """Writes each text as a .txt file (when no NOTIFY_API_KEY is set), to read as sent."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self) -> SmsFileTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def send(self, text: Text) -> None:
        path = self.folder / f"{utcnow():%Y%m%d-%H%M%S}-{text.outbox_id:06d}.txt"
        path.write_text(
            f"To: {text.phone_number}\nReference: {text.reference}\n\n{text.body}\n",
            encoding="utf-8",
        )
        log.info("Text message written to %s", path)


def open_sms_transport(config) -> NotifyTransport | SmsFileTransport:
    """Notify when NOTIFY_API_KEY is set, otherwise .txt files under SMS_FILE_DIR."""
    if config.get("NOTIFY_API_KEY"):
        return NotifyTransport(config)
    return SmsFileTransport(Path(config["SMS_FILE_DIR"]))


class TextTransports:
    """A batch's ways of sending texts: one Notify client per API key in use (the
    installation's, or a partnership's own: issue 21), else the folder."""

    def __init__(self, config):
        self.config = config
        self.open: dict[str | None, NotifyTransport | SmsFileTransport] = {}

    def __enter__(self) -> TextTransports:
        return self

    def __exit__(self, *exc_info) -> None:
        for transport in self.open.values():
            transport.__exit__(*exc_info)

    def send(self, text: Text, api_key: str | None = None) -> None:
        """Through Notify with ``api_key`` (None: the installation's NOTIFY_API_KEY)."""
        key = api_key or self.config.get("NOTIFY_API_KEY") or None
        if key not in self.open:
            config = {**self.config, "NOTIFY_API_KEY": key}
            self.open[key] = open_sms_transport(config).__enter__()
        self.open[key].send(text)
