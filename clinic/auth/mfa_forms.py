"""The forms of the second-factor pages (staff pages: English only)."""

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import PasswordField, StringField, SubmitField
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
