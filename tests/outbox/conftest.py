"""Fixtures for the outbox tests: email templates made for the tests, and a queueing helper."""

import pytest
from jinja2 import DictLoader

from clinic.outbox.queue import queue_email

TEST_TEMPLATES = {
    "email/test.txt": (
        '{% extends "email/_base.txt" %}\n'
        "{% block content %}\n"
        "Hello {{ name }}.\n"
        "Your booking: {{ external_url('core.home') }}\n"
        "{% endblock %}\n"
    ),
    "email/test.html": (
        '{% extends "email/_base.html" %}\n'
        "{% block content %}\n"
        "<p>Hello {{ name }}.</p>\n"
        "<p><a href=\"{{ external_url('core.home') }}\">Your booking</a></p>\n"
        "{% endblock %}\n"
    ),
    "email/plain_only.txt": "Only text for {{ name }}.\n",
}


@pytest.fixture(autouse=True)
def email_templates(app):
    """Test-only email templates, found before the real ones (for this app only)."""
    app.jinja_loader.loaders.insert(0, DictLoader(TEST_TEMPLATES))


@pytest.fixture
def queue(session, make):
    """Queue a test email (not committed): ``queue(to="a@example.org", subject=...)``, of
    the default partnership (whose coordinators see it on "Email problems")."""

    def _queue(to="parent@example.org", subject="Your booking", **options):
        options.setdefault("template", "test")
        options.setdefault("context", {"name": "Alex"})
        options.setdefault("kind", "test")
        options.setdefault("partnership_id", make.default_partnership().id)
        return queue_email(session, to=to, subject=subject, **options)

    return _queue
