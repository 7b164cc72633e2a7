"""Email through the outbox table (design rule 4): ``queue.py`` (``queue_email``, what a
change calls), ``after_commit.py`` (sending what a commit queued, at once),
``delivery.py`` (sending what is due, with retries), ``sender.py`` (a row to a Flask-Mail
message), ``cli.py`` (``flask outbox send|worker``), ``service.py`` and ``views.py`` (the
admin page of emails that could not be sent).
"""

from flask import Flask

from ..links import external_url, parent_url
from . import after_commit

SEND_MODES = ("sync", "after_commit", "off")


def register(app: Flask) -> None:
    """Send what each commit queues, as ``OUTBOX_SEND_MODE`` says, and offer
    ``external_url`` and ``parent_url`` (a parent's link, in the email's language) to the
    email templates."""
    if app.config["OUTBOX_SEND_MODE"] not in SEND_MODES:
        raise ValueError(f"OUTBOX_SEND_MODE must be one of: {', '.join(SEND_MODES)}")
    app.add_template_global(external_url)
    app.add_template_global(parent_url)
    after_commit.listen()
