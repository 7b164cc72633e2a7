"""The filters above the audit log (a GET form: read from the address, no CSRF token)."""

from __future__ import annotations

from flask import request
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Optional, ValidationError

from ..forms import Form, record_id
from .service import Filters

DATE_MESSAGE = "Enter a date like 2026-11-30"
RECORD_MESSAGE = "Enter a record number from 1 upwards, in figures"


class Day(DateField):
    """A date typed as 2026-11-30 (a browser's date picker sends that too)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(DATE_MESSAGE) from exc


class RecordNumber(IntegerField):
    """A record's number: one the id columns can hold (``record_id``), or the message —
    never a number so long that comparing it fails (400 nines was a 500)."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = record_id(valuelist[0])
            except ValueError as exc:
                raise ValueError(RECORD_MESSAGE) from exc


class AuditFilter(Form):
    class Meta:
        csrf = False

    actor = StringField(
        "Who",
        widget=GovTextInput(),
        description="Part of a staff email address, or parent, system or cli.",
        validators=[Optional()],
    )
    action = SelectField("What they did", widget=GovSelect(), default="")
    object_type = SelectField("Kind of record", widget=GovSelect(), default="")
    object_id = RecordNumber("Record number", widget=GovTextInput(), validators=[Optional()])
    start = Day(
        "From", widget=GovTextInput(), validators=[Optional()], description="For example 2026-11-30"
    )
    end = Day("To", widget=GovTextInput(), validators=[Optional()])
    submit = SubmitField("Show events", widget=GovSubmitInput())

    def __init__(self, actions: list[str], object_types: list[str]):
        super().__init__(formdata=request.args)
        self.action.choices = [SelectChoice("", "Anything")] + [SelectChoice(a, a) for a in actions]
        self.object_type.choices = [SelectChoice("", "Any record")] + [
            SelectChoice(t, t) for t in object_types
        ]

    def validate_end(self, field):
        if not field.errors and self.start.data and field.data and field.data < self.start.data:
            raise ValidationError("The ‘To’ date must be the same as or after the ‘From’ date")

    def filters(self) -> Filters:
        """What was chosen; a field with an error is left out."""
        ok = lambda f: f.data if not f.errors else None  # noqa: E731
        return Filters(
            actor=(ok(self.actor) or "")[:100],
            action=ok(self.action) or "",
            object_type=ok(self.object_type) or "",
            object_id=ok(self.object_id),
            start=ok(self.start),
            end=ok(self.end),
        )
