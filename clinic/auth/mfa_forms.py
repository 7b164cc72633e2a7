"""The forms of the second-factor pages (staff pages: English only)."""

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import Form


class CodeInput(GovTextInput):
    """A one-time code box: phones show the number keys and may offer a code they saw."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("classes", "govuk-input--width-10")
        params.setdefault("spellcheck", False)
        params.setdefault("autocomplete", "one-time-code")
        return params


class CodeForm(Form):
    code = StringField(
        "Code",
        widget=CodeInput(),
        validators=[DataRequired("Enter the code"), Length(max=40, message="Enter the code")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class TurnOffForm(Form):
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Enter your password")],
    )
    code = StringField(
        "A code from your authenticator app, or a recovery code",
        widget=CodeInput(),
        validators=[DataRequired("Enter the code"), Length(max=40, message="Enter the code")],
    )
    submit = SubmitField("Turn off", widget=GovSubmitInput())


class _PasskeyFormBase(Form):
    """Its fields are named ``passkey-...``: it sits on a page beside a code form."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "passkey")
        super().__init__(*args, **kwargs)


class PasskeyForm(_PasskeyFormBase):
    """Adding a passkey: its name, and (filled in by static/js/passkeys.js) the browser's
    answer to ``navigator.credentials.create`` as JSON."""

    name = StringField(
        "Name this passkey",
        widget=GovTextInput(),
        validators=[
            DataRequired("Enter a name for this passkey"),
            Length(max=60, message="Name must be 60 characters or fewer"),
        ],
    )
    response = HiddenField()
    submit = SubmitField("Add a passkey", widget=GovSubmitInput())


class PasskeySignInForm(_PasskeyFormBase):
    """The browser's answer to ``navigator.credentials.get``, as JSON (filled in by
    static/js/passkeys.js)."""

    response = HiddenField()
    submit = SubmitField("Use a passkey", widget=GovSubmitInput())


class PasskeyNameForm(Form):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[
            DataRequired("Enter a name for this passkey"),
            Length(max=60, message="Name must be 60 characters or fewer"),
        ],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class PasskeyRemoveForm(Form):
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Enter your password")],
    )
    submit = SubmitField("Remove passkey", widget=GovSubmitInput())
