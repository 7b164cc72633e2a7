"""The base form every page uses."""

from flask_wtf import FlaskForm

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
