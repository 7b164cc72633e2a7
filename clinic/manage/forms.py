"""Forms for changing a booking: a new time, and staff cancelling with a reason."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..filters import format_time
from ..forms import Form, record_id, strip_filter


class MoveForm(Form):
    rule_fallbacks = ("slot_id",)  # every refusal of a move is about the time chosen

    slot_id = RadioField(
        _l("Choose a new time"),
        widget=GovRadioInput(),
        coerce=record_id,
        invalid_value_message=_l("Choose one of the times shown"),
        validate_choice=False,  # the service decides: a time may fill up while the page is open
        validators=[InputRequired(_l("Choose a new time"))],
    )
    submit = SubmitField(_l("Move my booking"), widget=GovSubmitInput())

    def offer(self, slots) -> None:
        self.slot_id.choices = [(slot.id, slot_label(slot)) for slot in slots]


class StaffCancelForm(Form):
    reason = TextAreaField(
        "Reason (optional)",
        widget=GovTextArea(),
        description="We put this in the email to the parent.",
        filters=[strip_filter],
        validators=[Optional(), Length(max=500, message="Reason must be 500 characters or fewer")],
    )
    submit = SubmitField("Cancel booking", widget=GovSubmitInput())


def slot_label(slot) -> str:
    places = slot.places_left
    left = ngettext("%(num)d place left", "%(num)d places left", places)
    return _(
        "%(start)s to %(end)s (%(left)s)",
        start=format_time(slot.starts_at),
        end=format_time(slot.ends_at),
        left=left,
    )


class StillComingForm(Form):
    """ "Are you still coming?": two buttons, each a POST with the form's CSRF token."""

    coming = SubmitField(_l("Yes, we're coming"), widget=GovSubmitInput())
    cannot_come = SubmitField(
        _l("We can't come — give our place to another family"), widget=GovSubmitInput()
    )
