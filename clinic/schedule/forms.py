"""Forms for officers' clinic pages. The rules themselves live in the service; these
read what was typed, forgivingly, and say plainly when it cannot be read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Protocol, TypeVar

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation
from wtforms.widgets import HiddenInput

from ..forms import Form, strip_filter
from ..localtime import local, zone_name
from ..models import School
from .service import DEFAULT_TITLE, ClinicDetails, SlotTimes
from .slots import SlotPattern, SlotPatternError, local_instant

# The two ways clinics are run, and "something else" for the officer's own numbers.
FORMATS = {
    "one_to_one": SlotPattern(start=time(0), end=time(0), length=15, gap=0, capacity=1),
    "group": SlotPattern(start=time(0), end=time(0), length=0, gap=0, capacity=20),
}
FORMAT_LABELS = {
    "one_to_one": "One-to-one appointments",
    "group": "A group session",
    "custom": "Set my own slot length and size",
}
FORMAT_HINTS = {
    "one_to_one": "15 minutes each, one household per appointment, one after another",
    "group": "One session from the start time to the end time (usually an hour), "
    "for up to 20 households",
    "custom": "Choose how long each slot is, the gap between slots and how many "
    "households each slot takes",
}
_CLOCK = re.compile(r"(\d{1,2})(?:[:.]?(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?")
TIME_FORMAT = "Enter a time like 3:30pm or 15:30"


def parse_clock(text: str) -> time:
    """A time of day as people type it: 3pm, 3:30pm, 3.30 pm, 15:30, 1530, midday."""
    words = text.strip().lower().replace(" ", "")
    if words in {"midday", "noon", "12noon"}:
        return time(12, 0)
    match = _CLOCK.fullmatch(words)
    if not match:
        raise ValueError(TIME_FORMAT)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise ValueError(TIME_FORMAT)
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(TIME_FORMAT)
    return time(hour, minute)


def clock_text(at: time) -> str:
    """3pm, 3:30pm: how a saved time is shown back in a box (parse_clock reads it)."""
    hour = at.hour % 12 or 12
    suffix = "am" if at.hour < 12 else "pm"
    return f"{hour}{suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d}{suffix}"


class ClockField(Field):
    """A time of day in a text box; shows 3:30pm style when filled from saved data."""

    widget = GovTextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else clock_text(self.data)

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_data = [text]  # spaces alone are a blank box to InputRequired too
        self.data = parse_clock(text) if text else None


class DayField(DateField):
    """Day, month and year boxes (GOV.UK date input) with plain messages."""

    widget = GovDateInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist):
        parts = ([part.strip() for part in valuelist] + ["", "", ""])[:3]
        self.raw_data = parts  # the widget shows three boxes, whatever was posted
        self.data = None
        if not any(parts):
            return
        if not all(parts):
            raise ValueError(f"{self.label.text} must include a day, month and year")
        try:
            day, month, year = (int(part) for part in parts)
            self.data = date(year, month, day)
        except ValueError as exc:
            raise ValueError(f"{self.label.text} must be a real date, like 27 3 2027") from exc
        if year < 1000:
            self.data = None
            raise ValueError("Enter the year with 4 numbers, like 2027")


class WholeNumberField(IntegerField):
    """A number box with the numeric keypad on phones and a plain message."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, message: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_data = [text]  # spaces alone are a blank box to InputRequired too
        self.data = None
        if text:
            if not re.fullmatch(r"\d{1,4}", text):
                raise ValueError(self.message)
            self.data = int(text)


class OnlyFor:
    """Check a field only when another field has one of some values (the rest is ignored)."""

    def __init__(self, other: str, values: Iterable[str]):
        self.other, self.values = other, set(values)

    def __call__(self, form, field):
        if form[self.other].data not in self.values:
            field.errors[:] = []
            raise StopValidation()


def _required(message: str):
    return [InputRequired(message)]


T = TypeVar("T", covariant=True)


class _Answerable(Protocol[T]):
    name: str

    @property
    def data(self) -> T | None: ...


class Unanswered(LookupError):
    """A required box was read before its form validated: the view's mistake, not the
    officer's (``answer``)."""


def answer(field: _Answerable[T]) -> T:
    """A required box's value once the form has validated.

    The boxes below hold None only when left blank: each reads what was typed (spaces
    alone count as blank) or raises, which puts an error on the field, and
    ``InputRequired`` refuses a blank one, so after ``validate()`` passed a required box
    has its value."""
    if field.data is None:
        raise Unanswered(field.name)
    return field.data


def _version_field():
    return IntegerField(widget=HiddenInput())


class BookingWindowMixin:
    # The services name the booking window's two ends; the form has a date and a time each.
    rule_field_aliases = {
        "booking_opens": "booking_opens_date",
        "booking_closes": "booking_closes_date",
    }
    rule_fallbacks: tuple[str, ...] = ("date", "submit")
    """When parents may book: optional; blank means from now until 24 hours before."""

    booking_opens_date = DayField("Date booking opens", description="For example, 27 3 2027")
    booking_opens_time = ClockField("Time booking opens", description="For example, 9am")
    booking_closes_date = DayField("Date booking closes", description="For example, 27 3 2027")
    booking_closes_time = ClockField("Time booking closes", description="For example, 3pm")
    WINDOW_FIELDS = (
        "booking_opens_date",
        "booking_opens_time",
        "booking_closes_date",
        "booking_closes_time",
    )

    def _moment(self, prefix: str) -> datetime | None:
        day = getattr(self, f"{prefix}_date")
        at = getattr(self, f"{prefix}_time")
        if day.data is None and at.data is None:
            return None
        if day.data is None:
            day.errors = [*day.errors, "Enter the date as well as the time"]
            return None
        if at.data is None:
            at.errors = [*at.errors, "Enter the time as well as the date"]
            return None
        try:
            return local_instant(day.data, at.data, zone_name(), f"{prefix}_time")
        except SlotPatternError as exc:
            at.errors = [*at.errors, str(exc)]
            return None

    def booking_window(self) -> tuple[datetime | None, datetime | None] | None:
        """(opens, closes) as typed, or None when one cannot be read (errors are set)."""
        opens, closes = self._moment("booking_opens"), self._moment("booking_closes")
        if any(getattr(self, name).errors for name in self.WINDOW_FIELDS):
            return None
        return opens, closes

    def fill_window(self, opens_at: datetime | None, closes_at: datetime | None) -> None:
        """Show saved booking times in the boxes (local dates and times)."""
        for prefix, moment in (("booking_opens", opens_at), ("booking_closes", closes_at)):
            if moment is not None:
                wall = local(moment)
                getattr(self, f"{prefix}_date").data = wall.date()
                getattr(self, f"{prefix}_time").data = wall.time()


class _DetailsFields(BookingWindowMixin, Form):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        default=DEFAULT_TITLE,
        description="Parents see this on the school's page and in their calendar",
        filters=[strip_filter],
        validators=[DataRequired("Enter a title for the clinic"), Length(max=200)],
    )
    description = TextAreaField(
        "Description (optional)",
        widget=GovTextArea(),
        description="What happens and what to bring, in a few plain sentences",
        filters=[strip_filter],
        validators=[Length(max=2000, message="Description must be 2,000 characters or fewer")],
    )
    venue = TextAreaField(
        "Where in the school",
        widget=GovTextArea(),
        description="The room, and anything parents need to know to get there, like "
        "“School library. Sign in at the main office first.”",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter where in the school the clinic is, like School library"),
            Length(max=500, message="Where in the school must be 500 characters or fewer"),
        ],
    )
    date = DayField(
        "Date of the clinic",
        description="For example, 27 3 2027",
        validators=_required("Enter the date of the clinic"),
    )
    allow_overlap = BooleanField("Save it anyway: I can run both", widget=GovCheckboxInput())
    allow_closed_day = BooleanField(
        "Save it anyway: the school is open that day", widget=GovCheckboxInput()
    )

    def details(self, opens_at: datetime | None, closes_at: datetime | None) -> ClinicDetails:
        return ClinicDetails(
            title=self.title.data or DEFAULT_TITLE,
            description=self.description.data or "",
            venue=self.venue.data or "",
            date=answer(self.date),
            booking_opens_at=opens_at,
            booking_closes_at=closes_at,
        )


class NewClinicForm(_DetailsFields):
    school = SelectField(
        "School",
        widget=GovSelect(),
        invalid_choice_message="Choose one of your schools",
        validators=[DataRequired("Choose the school")],
    )
    format = RadioField(
        "How will parents be seen?",
        widget=GovRadioInput(),
        choices=[SelectChoice(value, label) for value, label in FORMAT_LABELS.items()],
        default="one_to_one",
        invalid_choice_message="Choose how parents will be seen",
    )
    start_time = ClockField(
        "Start time",
        description="For example, 3:15pm",
        validators=_required("Enter the time the clinic starts"),
    )
    end_time = ClockField(
        "End time",
        description="When the last slot ends, for example, 5pm",
        validators=_required("Enter the time the clinic ends"),
    )
    length = WholeNumberField(
        "Minutes per slot",
        default=20,
        message="Enter the slot length as a number of minutes, like 20",
        validators=[OnlyFor("format", ["custom"]), InputRequired("Enter the minutes per slot")],
    )
    gap = WholeNumberField(
        "Minutes between slots",
        default=0,
        description="Time to tidy up and note anything down; 0 for none",
        message="Enter the gap as a number of minutes, like 5, or 0 for none",
        validators=[
            OnlyFor("format", ["custom"]),
            InputRequired("Enter the minutes between slots, or 0"),
        ],
    )
    capacity = WholeNumberField(
        "Households per slot",
        default=1,
        description="From 1 to 50",
        message="Enter the number of households as a number, like 1",
        validators=[
            OnlyFor("format", ["custom"]),
            InputRequired("Enter how many households each slot takes"),
        ],
    )
    preview = SubmitField("Preview slots", widget=GovSubmitInput())
    submit = SubmitField("Save as draft", widget=GovSubmitInput())

    def __init__(self, schools: Iterable[School], *args, **kwargs):
        super().__init__(*args, **kwargs)
        schools = list(schools)
        choices = [SelectChoice(str(s.id), f"{s.name}, {s.town}") for s in schools]
        if len(schools) != 1:
            choices.insert(0, SelectChoice("", "Choose a school"))
        elif not self.is_submitted():
            self.school.data = str(schools[0].id)
        self.school.choices = choices

    def pattern(self) -> SlotPattern:
        """The slot pattern chosen: a preset, or the officer's own numbers (``OnlyFor``
        makes the three number boxes required when, and only when, they are used)."""
        numbers = FORMATS.get(self.format.data)
        if numbers is None:
            numbers = SlotPattern(time(0), time(0), answer(self.length), answer(self.gap), 0)
            capacity = answer(self.capacity)
        else:
            capacity = numbers.capacity
        return SlotPattern(
            start=answer(self.start_time),
            end=answer(self.end_time),
            length=numbers.length,
            gap=numbers.gap,
            capacity=capacity,
        )


class EditClinicForm(_DetailsFields):
    version = _version_field()
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class CopyClinicForm(BookingWindowMixin, Form):
    date = DayField(
        "Date of the new clinic",
        description="For example, 27 3 2027",
        validators=_required("Enter the date of the new clinic"),
    )
    allow_overlap = BooleanField("Save it anyway: I can run both", widget=GovCheckboxInput())
    allow_closed_day = BooleanField(
        "Save it anyway: the school is open that day", widget=GovCheckboxInput()
    )
    submit = SubmitField("Save as draft", widget=GovSubmitInput())


class SlotForm(Form):
    start_time = ClockField(
        "Start time",
        description="For example, 3:15pm",
        validators=_required("Enter the time the slot starts"),
    )
    end_time = ClockField(
        "End time",
        description="For example, 3:30pm",
        validators=_required("Enter the time the slot ends"),
    )
    capacity = WholeNumberField(
        "Households in this slot",
        default=1,
        description="From 1 to 50",
        message="Enter the number of households as a number, like 1",
        validators=_required("Enter how many households this slot takes"),
    )
    version = _version_field()
    submit = SubmitField("Save slot", widget=GovSubmitInput())

    def times(self) -> SlotTimes:
        return SlotTimes(answer(self.start_time), answer(self.end_time), answer(self.capacity))


class VersionForm(Form):
    """A button that changes a clinic (publish, remove a slot): carries the version seen."""

    version = _version_field()
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class CancelClinicForm(Form):
    reason = TextAreaField(
        "Why is the clinic cancelled?",
        widget=GovTextArea(),
        description="Every booked parent and everyone on the waiting list is sent this. "
        "For example, “The officer is unwell. We will add a new date soon.”",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the reason parents will be given"),
            Length(max=1000, message="The reason must be 1,000 characters or fewer"),
        ],
    )
    version = _version_field()
    submit = SubmitField("Cancel the clinic and tell parents", widget=GovSubmitInput())
