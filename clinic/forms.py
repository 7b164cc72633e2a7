"""The base form every page uses, and the pieces every feature's forms share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Generic, Literal, TypeVar

from babel import support
from flask import abort, current_app, flash, request
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import (
    DateField,
    FieldList,
    PasswordField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from .errors import RuleError
from .extensions import csrf, db
from .models import MAX_ID
from .security_events import CSRF_REFUSED, security_event
from .text import lines, one_line


def N_(text: str) -> str:
    """Mark ``text`` for `make translations` (Babel's ``N_`` keyword) and leave it as it is:
    for a constant that is text where it is defined and translated where it is shown."""
    return text


# Plain English here (staff pages flash it as it is); a form shows it in the page's language
# (``Form.validate``).
CSRF_MESSAGE = N_(
    "This form was open for too long, or your browser blocked a cookie. "
    "Check your answers and send the form again."
)


class Form(FlaskForm):
    """A Flask-WTF form whose CSRF failure is a message on the form, not an error page.

    Views that validate a form are exempt from the global CSRF check (``form_view``), so
    the form itself checks the token and a stale page comes back with the answers kept.

    ``rule_field_aliases`` and ``rule_fallbacks`` tell ``show_rule_error`` where a
    service's message goes when the form names that field differently, or has no such field.

    Every text box is cleaned on the way in (``clinic.text``): a one-line box loses its line
    breaks and control characters, a text area keeps its line breaks only.  A field that
    takes one value but was sent several (no browser does that) is a 400.
    """

    rule_field_aliases: dict[str, str] = {}
    rule_fallbacks: tuple[str, ...] = ("submit",)

    class Meta(FlaskForm.Meta):
        """WTForms joins this with the Meta of each form class above it (``FormMeta``), so
        ``super()`` reaches Flask-WTF's; naming that as the base says so to mypy too."""

        def bind_field(self, form, unbound_field, options):
            clean = text_filter(unbound_field.field_class)
            if clean is not None:
                options["filters"] = [clean, *unbound_field.kwargs.get("filters", ())]
            return super().bind_field(form, unbound_field, options)

        def get_translations(self, form):
            """WTForms' own messages in the page's language, from a catalogue read once
            per language: Flask-WTF's reads and parses it on every request that makes a
            form (a twentieth of a refused Confirm's time)."""
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_translations(str(get_locale() or "en"))

    def validate(self, extra_validators=None) -> bool:
        if self.is_submitted():
            refuse_repeated_values(self)
        ok = super().validate(extra_validators)
        if self.meta.csrf and "csrf_token" in self.errors:
            security_event(CSRF_REFUSED, reason="form")
            self.csrf_token.errors = [gettext(CSRF_MESSAGE)]
        return ok


@cache
def _wtforms_translations(locale: str) -> support.NullTranslations:
    """WTForms' catalogue for ``locale`` (one object per language, read only after)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


# Fields a browser sends several values for: checkboxes, and the day/month/year boxes.
MANY_VALUES = (SelectMultipleField, FieldList, DateField)


def text_filter(field_class):
    """The ``clinic.text`` cleaner for a kind of field: one line for text boxes, lines for
    text areas, nothing for passwords (never changed) or fields that are not text."""
    if issubclass(field_class, PasswordField):
        return None
    if issubclass(field_class, TextAreaField):
        return lines
    if issubclass(field_class, StringField):
        return one_line
    return None


def refuse_repeated_values(form) -> None:
    """400 when a single-value field was sent more than once (a script, not a browser)."""
    posted = request.form
    for field in form:
        if not isinstance(field, MANY_VALUES) and len(posted.getlist(field.name)) > 1:
            abort(400)


def record_id(value) -> int | None:
    """``coerce`` for a choice that names a record by id: a number the id column can hold,
    or ``ValueError`` (WTForms shows the field's message) — never an int so big the
    database driver fails on it."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        if not text.isdigit() or len(text) > len(str(MAX_ID)):
            raise ValueError("not a record id")
        number = int(text)
    if not 1 <= number <= MAX_ID:
        raise ValueError("not a record id")
    return number


def form_view(view):
    """Mark a view whose POSTs are checked by its own ``Form`` (see ``Form``)."""
    return csrf.exempt(view)


class GovEmailInput(GovTextInput):
    """An email box: phones show the email keyboard."""

    input_type = "email"


class GovTelInput(GovTextInput):
    input_type = "tel"


def strip_filter(value):
    """WTForms filter: forgive spaces typed around an answer."""
    return value.strip() if isinstance(value, str) else value


class ConfirmForm(Form):
    """A form with only a button (and its CSRF token), for POST-only actions: confirm,
    cancel, sign out, delete, try again."""

    submit = SubmitField(_l("Confirm"), widget=GovSubmitInput())


class ServiceRule:
    """A WTForms validator that runs one of a service's checks on the field's value, so the
    rule lives in the service and the form shows its message next to the field."""

    def __init__(self, check):
        self.check = check

    def __call__(self, form, field):
        try:
            self.check(field.data)
        except RuleError as exc:
            raise ValidationError(exc.message) from exc


def show_rule_error(form: Form, error: RuleError) -> None:
    """Show a service's refusal next to the field it names (through the form's
    ``rule_field_aliases``), or next to the first of the form's ``rule_fallbacks`` it has,
    when it has no such field.

    The caller rolls back: nothing from the attempt is kept."""
    name = error.field and form.rule_field_aliases.get(error.field, error.field)
    for candidate in (name, *form.rule_fallbacks):
        field = form._fields.get(candidate or "")
        if field is not None:
            field.errors = [*field.errors, error.message]
            return
    raise LookupError(f"{type(form).__name__} has none of {name!r}, {form.rule_fallbacks!r}")


T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    """A step ``run_step`` committed, with what the service returned."""

    result: T
    error: None = None

    def __bool__(self) -> Literal[True]:
        return True


@dataclass(frozen=True)
class Refused:
    """A step the service refused: rolled back, and its message already shown."""

    error: RuleError

    def __bool__(self) -> Literal[False]:
        return False


def run_step(
    form: Form | None,
    step: Callable[[], T],
    *,
    refusals: type[RuleError] | tuple[type[RuleError], ...] = RuleError,
) -> Done[T] | Refused:
    """The one way a view acts: run ``step`` (a service call) and commit it; or, when the
    service refuses it, roll back and show why — next to the field on ``form``
    (``show_rule_error``), or flashed when there is no form to show again (a button whose
    view redirects).  The answer is true when the step was done, so a view reads::

        done = run_step(form, lambda: service.add_school(db.session, ...))
        if done:
            return redirect(url_for(".show_school", school_id=done.result.id))
        return render_template(..., form=form)

    Only ``refusals`` are caught.  Anything else — a turn in the view's flow rather than a
    message (``StaleClinic``, ``NeedsConfirmation``, a ``NotInClinic`` that is a 404) —
    reaches the view uncommitted, and the view handles it where it can be read."""
    try:
        result = step()
    except refusals as error:
        db.session.rollback()
        if form is None:
            flash(str(error.message))  # the session keeps text, in the page's language
        else:
            show_rule_error(form, error)
        return Refused(error)
    db.session.commit()
    return Done(result)
