"""The admin's search for what is held about one email address."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from ..forms import Form, GovEmailInput


class SubjectForm(Form):
    email = StringField(
        "Email address",
        widget=GovEmailInput(),
        description="The address the person booked or joined a waiting list with.",
        validators=[
            InputRequired("Enter an email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email("Enter an email address in the correct format, like name@example.com"),
        ],
    )
    submit = SubmitField("Find what we hold", widget=GovSubmitInput())
