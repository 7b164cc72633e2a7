from flask import current_app
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..forms import Form


class SignInForm(Form):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[DataRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[DataRequired("Enter your password")]
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SetPasswordForm(Form):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Enter a new password")],
    )
    confirm = PasswordField(
        "Type the password again",
        widget=GovPasswordInput(),
        validators=[
            DataRequired("Type the password again"),
            EqualTo("password", "The passwords do not match"),
        ],
    )
    submit = SubmitField("Set password", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        self.password.description = (
            f"Use {minimum} characters or more. A few unrelated words make a strong password."
        )


class EmailLinkForm(Form):
    """Ask for a link by email: a set-password link, or a one-time sign-in link."""

    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        description="The email address you sign in with.",
        validators=[DataRequired("Enter your email address"), Length(max=254)],
    )
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class ConfirmPasswordForm(Form):
    """ "Confirm your password" before a sensitive action (clinic.auth.reauth)."""

    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[DataRequired("Enter your password")]
    )
    # Shown (and checked by ``reauth.confirm``) only for a user with a second factor.
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=40, message="Enter the code")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
