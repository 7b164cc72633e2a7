"""The choices above the figures: a school and a range of months."""

from __future__ import annotations

from datetime import date

from flask import request
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import ValidationError

from ..forms import Form

PICK_A_SCHOOL = "Choose a school from the list"
PICK_A_MONTH = "Choose a month from the list"


class FiguresFilter(Form):
    """The choices above the figures, read from the address (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    school = SelectField(
        "School", widget=GovSelect(), default="", invalid_choice_message=PICK_A_SCHOOL
    )
    start = SelectField("From", widget=GovSelect(), default="", invalid_choice_message=PICK_A_MONTH)
    end = SelectField("To", widget=GovSelect(), default="", invalid_choice_message=PICK_A_MONTH)
    submit = SubmitField("Show figures", widget=GovSubmitInput())

    def __init__(self, schools, months: list[date], all_schools: str):
        super().__init__(formdata=request.args)
        self.school.choices = [SelectChoice("", all_schools)] + [
            SelectChoice(str(school.id), school.name) for school in schools
        ]
        labels = [SelectChoice(f"{m:%Y-%m}", f"{m:%B %Y}") for m in months]
        self.start.choices = [SelectChoice("", "The first clinic"), *labels]
        self.end.choices = [SelectChoice("", "Now"), *labels]

    def validate_end(self, field):
        if field.errors or self.start.errors:
            return
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The ‘To’ month must be the same as or after the ‘From’ month")

    def chosen(self) -> dict:
        """The filters as the service takes them (call after a successful validate)."""
        return {
            "school_id": int(self.school.data) if self.school.data else None,
            "start": _month(self.start.data),
            "end": _month(self.end.data),
        }


def _month(value: str | None) -> date | None:
    return date.fromisoformat(f"{value}-01") if value else None
