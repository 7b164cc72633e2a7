"""Forms on the day of a clinic: adding someone who came without booking."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..booking.choices import SCHOOL_YEARS, TOPICS
from ..forms import Form, strip_filter


class WalkInForm(Form):
    parent_name = StringField(
        "Name (optional)",
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[Optional(), Length(max=200, message="Name must be 200 characters or fewer")],
    )
    child_years = SelectMultipleField(
        "Which school years are their children in?",
        widget=GovCheckboxesInput(),
        description="Select all that apply.",
        choices=[SelectChoice(year, year) for year in SCHOOL_YEARS],
        invalid_choice_message="Select the child's school year from the list",
        validators=[DataRequired("Select the child's school year")],
    )
    topics = SelectMultipleField(
        "What did they want help with?",
        widget=GovCheckboxesInput(),
        description="Select all that apply.",
        choices=[SelectChoice(value, label) for value, label in TOPICS],
        invalid_choice_message="Select the devices and apps from the list",
        validators=[DataRequired("Select at least one device or app, or 'Something else'")],
    )
    slot = SelectField(
        "Time they came (optional)",
        widget=GovSelect(),
        invalid_choice_message="Select a time from the list",
        validators=[Optional()],
    )
    submit = SubmitField("Add walk-in", widget=GovSubmitInput())

    def __init__(self, slots, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slot.choices = [SelectChoice("", "Not sure")] + [
            SelectChoice(str(slot.slot_id), slot.label) for slot in slots
        ]

    def values(self) -> dict:
        """The answers as plain values for the service, in the order the form shows them."""
        return {
            "parent_name": self.parent_name.data or None,
            "child_years": [y for y in SCHOOL_YEARS if y in self.child_years.data],
            "topics": [value for value, _ in TOPICS if value in self.topics.data],
            "slot_id": int(self.slot.data) if self.slot.data else None,
        }
