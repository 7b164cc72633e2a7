"""Forms after a clinic: the parent's feedback, and a coordinator's guidance link."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import Form, ServiceRule, strip_filter
from . import service as followup

PICK_A_TOPIC = "Choose which app or device the link is for"
# The words of each answer (``followup.USEFUL_CHOICES``, English) in the parent's language.
USEFUL_WORDS = {
    5: _l("Very useful"),
    4: _l("Useful"),
    3: _l("Quite useful"),
    2: _l("Not very useful"),
    1: _l("Not useful at all"),
}


class FeedbackForm(Form):
    useful = RadioField(
        _l("Was the clinic useful?"),
        widget=GovRadioInput(),
        choices=[
            SelectChoice(str(score), USEFUL_WORDS[score]) for score, _w in followup.USEFUL_CHOICES
        ],
        invalid_choice_message=_l("Select how useful the clinic was"),  # also when none is chosen
    )
    comments = TextAreaField(
        _l("Anything else you would like to tell us? (optional)"),
        widget=GovCharacterCount(),
        description=_l(
            "For example what helped, what did not, or what you would like help with "
            "next time. Please do not include your child's name."
        ),
        filters=[strip_filter],
        validators=[
            Optional(),
            Length(
                max=followup.COMMENTS_MAX,
                message=_l("Keep this to %(max)d characters or fewer", max=followup.COMMENTS_MAX),
            ),
        ],
    )
    submit = SubmitField(_l("Send"), widget=GovSubmitInput())


class GuidanceForm(Form):
    language = SelectField(
        "Language of the link text",
        widget=GovSelect(),
        description="Parents who chose this language get this link. Where a language has "
        "no links for an app or device, its parents get the English ones.",
        choices=[],  # the offered languages, set when the form is made
        default="en",
        invalid_choice_message="Choose a language",
        validators=[DataRequired("Choose a language")],
    )
    topic = SelectField(
        "Which app or device is it for?",
        widget=GovSelect(),
        description="Parents get the links for the apps and devices they asked about. "
        "General advice goes to every parent.",
        choices=[SelectChoice("", "Choose one")]
        + [SelectChoice(value, label) for value, label in followup.GUIDANCE_TOPICS],
        invalid_choice_message=PICK_A_TOPIC,
        validators=[DataRequired(PICK_A_TOPIC)],
    )
    title = StringField(
        "Link text",
        widget=GovTextInput(),
        description="What parents see in the email, like “Apple: use Screen Time”.",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the link text parents will see"),
            Length(
                max=followup.TITLE_MAX,
                message=f"Link text must be {followup.TITLE_MAX} characters or fewer",
            ),
        ],
    )
    url = StringField(
        "Web address",
        widget=GovTextInput(),
        description="The full address, starting with https://",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the web address"),
            ServiceRule(followup.check_https_url),
        ],
    )
    position = StringField(
        "Position (optional)",
        widget=GovTextInput(),
        description="Links for the same app or device are listed from the lowest number up.",
        filters=[strip_filter],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{1,3}$", message="Enter the position as a whole number, like 1"),
        ],
    )
    submit = SubmitField("Save link", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(code, label) for code, label in followup.language_choices()
        ]

    def values(self) -> dict:
        return {
            "language": self.language.data,
            "topic": self.topic.data,
            "title": self.title.data,
            "url": self.url.data,
            "position": int(self.position.data) if self.position.data else 0,
        }


class BringAdviceForm(Form):
    text = TextAreaField(
        "What to bring",
        widget=GovCharacterCount(),
        description="One thing a line, like “Your child's Discord login”. Leave it empty "
        "if nothing extra is needed (in a language other than English, leave it empty to "
        "use the English text).",
        filters=[strip_filter],
        validators=[
            Optional(),
            Length(
                max=followup.BRING_MAX,
                message=f"Keep this to {followup.BRING_MAX} characters or fewer",
            ),
        ],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())
