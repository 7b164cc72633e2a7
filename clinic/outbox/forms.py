"""Forms for the outbox pages."""

from ..forms import Form


class RetryForm(Form):
    """Only a CSRF token: the "Try again" button on each failed email."""
