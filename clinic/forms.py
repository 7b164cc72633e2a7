"""The base form every page uses."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms.validators import ValidationError

CSRF_MESSAGE = (
    "This form was open for too long, or your browser blocked a cookie. "
    "Check your answers and send the form again."
)


class Form(FlaskForm):
    """A Flask-WTF form whose CSRF failure is a message on the form, not an error page.

    Views that validate a form are exempt from the global CSRF check (``form_view``), so
    the form itself checks the token and a stale page comes back with the answers kept.
    """

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.meta.csrf and "csrf_token" in self.errors:
            self.csrf_token.errors = [CSRF_MESSAGE]
        return ok


def form_view(view):
    """Mark a view whose POSTs are checked by its own ``Form`` (see ``Form``)."""
    from .extensions import csrf

    return csrf.exempt(view)


class GovEmailInput(GovTextInput):
    """An email box: phones show the email keyboard."""

    input_type = "email"


class GovTelInput(GovTextInput):
    input_type = "tel"


def strip_filter(value):
    """WTForms filter: forgive spaces typed around an answer."""
    return value.strip() if isinstance(value, str) else value


class ServiceRule:
    """A WTForms validator that runs one of a service's checks on the field's value, so the
    rule lives in the service and the form shows its message next to the field."""

    def __init__(self, check, error: type[Exception] = ValueError):
        self.check = check
        self.error = error

    def __call__(self, form, field):
        try:
            self.check(field.data)
        except self.error as exc:
            raise ValidationError(str(exc)) from exc
