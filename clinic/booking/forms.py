"""The parent's details, asked once and used by the booking form and the waiting list."""

from __future__ import annotations

import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import UUID, DataRequired, Email, Length, Optional, ValidationError

from .. import i18n
from ..forms import Form, GovEmailInput, GovTelInput, strip_filter
from ..i18n import current_language
from .choices import (
    INTERPRETER_LANGUAGES,
    INTERPRETER_OTHER,
    SCHOOL_YEAR_LABELS,
    SCHOOL_YEARS,
    TOPICS,
)


def uk_phone(form, field) -> None:
    """Accept a UK number typed any common way; store it as +44… (E.164)."""
    if not field.data:
        field.data = None
        return
    try:
        number = phonenumbers.parse(field.data, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _l("Enter a UK phone number, like 07700 900 982 or 01632 960 001")
        ) from exc
    # Forgiving: a real number, or any 10-digit UK number (0 dropped) such as Ofcom's examples.
    uk_length = number.country_code == 44 and len(str(number.national_number)) == 10
    if not (phonenumbers.is_valid_number(number) or uk_length):
        raise ValidationError(_l("Enter a UK phone number, like 07700 900 982 or 01632 960 001"))
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_uk_mobile(number: str) -> bool:
    """A UK mobile number (07…, as ``uk_phone`` stores it: +447…), the only kind GOV.UK
    Notify texts; 070 (personal numbers) and 076 (pagers) are not mobiles, but 07624 (Isle
    of Man mobiles) is."""
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return False
    national = str(parsed.national_number)
    if parsed.country_code != 44 or len(national) != 10 or not national.startswith("7"):
        return False
    return national.startswith("7624") or not national.startswith(("70", "76"))


def texts_offered() -> bool:
    """Whether the forms offer text messages: always while developing and testing (they are
    written as files), on a live service only with GOV.UK Notify set up (NOTIFY_API_KEY)."""
    config = current_app.config
    return bool(config.get("NOTIFY_API_KEY")) or not config.get("PRODUCTION", False)


TEXTS_NEED_NUMBER = _l("Enter a UK mobile number to get text messages, or untick text messages")
TEXTS_NEED_MOBILE = _l(
    "We can only text a UK mobile number, like 07700 900 982. Enter a mobile number, "
    "or untick text messages"
)


class Honeypot(StringField):
    """A box people never see or fill in; bots that fill every box give themselves away."""


class HouseholdForm(Form):
    parent_name = StringField(
        _l("Your full name"),
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[
            DataRequired(_l("Enter your full name")),
            Length(max=200, message=_l("Name must be 200 characters or fewer")),
        ],
    )
    email = EmailField(
        _l("Email address"),
        widget=GovEmailInput(),
        description=_l("We will send your booking confirmation and calendar invite here."),
        filters=[strip_filter],
        validators=[
            DataRequired(_l("Enter your email address")),
            Length(max=254, message=_l("Email address must be 254 characters or fewer")),
            Email(_l("Enter an email address in the correct format, like name@example.com")),
        ],
    )
    phone = StringField(
        _l("UK phone number (optional)"),
        widget=GovTelInput(),
        description=_l(
            "Only used if the clinic changes at short notice, or for text messages if you "
            "ask for them below."
        ),
        filters=[strip_filter],
        validators=[Optional(), uk_phone],
    )
    # Texts (GOV.UK Notify) about the booking or place, to the number above: only with
    # this tick, and only to a UK mobile (``validate``).
    texts = BooleanField(
        _l("Also send me text messages"),
        widget=GovCheckboxInput(),
        description=_l(
            "We will text the number above when you book, the day before, and if anything "
            "changes. You need to give a UK mobile number."
        ),
    )
    child_years = SelectMultipleField(
        _l("Which school years are your children in?"),
        widget=GovCheckboxesInput(),
        description=_l("Select all that apply. We do not need your child's name."),
        choices=[SelectChoice(year, SCHOOL_YEAR_LABELS[year]) for year in SCHOOL_YEARS],
        validators=[DataRequired(_l("Select your child's school year"))],
    )
    topics = SelectMultipleField(
        _l("What would you like help with?"),
        widget=GovCheckboxesInput(),
        description=_l("Select all that apply. The officer will help with anything on the day."),
        choices=[SelectChoice(value, label) for value, label in TOPICS],
        validators=[DataRequired(_l("Select at least one device or app, or 'Something else'"))],
    )
    other_topic = StringField(
        _l("Anything else (optional)"),
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[
            Optional(),
            Length(max=200, message=_l("Keep this to 200 characters or fewer")),
        ],
    )
    access_needs = TextAreaField(
        _l("Access needs (optional)"),
        widget=GovTextArea(),
        description=_l("For example step-free access or a hearing loop."),
        filters=[strip_filter],
        validators=[
            Optional(),
            Length(max=1000, message=_l("Keep this to 1000 characters or fewer")),
        ],
    )
    consent = BooleanField(
        _l("I have read the privacy notice and agree to my details being used to book this clinic"),
        widget=GovCheckboxInput(),
        validators=[DataRequired(_l("Agree to the privacy notice to book a place"))],
    )
    website = Honeypot(_l("Leave this empty"), widget=GovTextInput())
    submit = SubmitField(_l("Continue"), widget=GovSubmitInput())
    # An interpreter: Yes reveals the language (GOV.UK conditional reveal; without
    # JavaScript every box shows, and the language is read only under Yes).
    interpreter = RadioField(
        _l("Would an interpreter help at the clinic?"),
        widget=GovRadioInput(),
        description=_l("The officer running the clinic will arrange one."),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[Optional()],
    )
    interpreter_language = SelectField(
        _l("Which language?"),
        widget=GovSelect(),
        choices=[SelectChoice("", _l("Choose a language"))]
        + [SelectChoice(value, label) for value, label in INTERPRETER_LANGUAGES],
        default="",
        validate_choice=False,
    )
    interpreter_other = StringField(
        _l("If another language, which one?"),
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[Length(max=100, message=_l("Keep this to 100 characters or fewer"))],
    )

    def validate(self, extra_validators=None) -> bool:
        """The field checks, then: ticking text messages needs a UK mobile number (the
        message goes next to the number, where it is typed)."""
        valid = super().validate(extra_validators)
        if self.wants_texts() and not self.phone.errors:
            if not self.phone.data:
                self.phone.errors.append(TEXTS_NEED_NUMBER)
                valid = False
            elif not is_uk_mobile(self.phone.data):
                self.phone.errors.append(TEXTS_NEED_MOBILE)
                valid = False
        return valid

    def texts_offered(self) -> bool:
        return texts_offered()

    def wants_texts(self) -> bool:
        """Ticked, where the tick is offered (a tick sent to a form without it is ignored)."""
        return bool(self.texts.data) and texts_offered()

    def is_bot(self) -> bool:
        return bool(self.website.data)

    def wants_interpreter(self) -> bool:
        return self.interpreter.data == "yes"

    def validate_interpreter_language(self, field) -> None:
        if not self.wants_interpreter():
            return
        if not field.data:
            raise ValidationError(_l("Select the language the interpreter should speak"))
        if field.data not in dict(INTERPRETER_LANGUAGES):
            raise ValidationError(_l("Select a language from the list"))

    def validate_interpreter_other(self, field) -> None:
        chosen_other = self.interpreter_language.data == INTERPRETER_OTHER
        if self.wants_interpreter() and chosen_other and not field.data:
            raise ValidationError(_l("Enter the language the interpreter should speak"))

    def values(self) -> dict:
        """The answers as plain values for the services."""
        return {
            "parent_name": self.parent_name.data,
            "email": self.email.data,
            "phone": self.phone.data,
            "texts": self.wants_texts() and bool(self.phone.data),
            "child_years": [y for y in SCHOOL_YEARS if y in (self.child_years.data or [])],
            "topics": [value for value, _ in TOPICS if value in (self.topics.data or [])],
            "other_topic": self.other_topic.data or None,
            "access_needs": self.access_needs.data or None,
            "language": current_language(),
            **self._interpreter_values(),
        }

    def _interpreter_values(self) -> dict:
        """The interpreter asked for (None unless Yes), and the Yes/No answer to draw the
        form again with."""
        language = self.interpreter_language.data if self.wants_interpreter() else None
        other = self.interpreter_other.data if language == INTERPRETER_OTHER else None
        return {
            "interpreter": self.interpreter.data,
            "interpreter_language": language or None,
            "interpreter_other": other or None,
        }


class StaffHouseholdForm(HouseholdForm):
    """The same questions, asked by school staff or an officer on the phone to a parent."""

    LABELS = {
        "parent_name": "Parent or carer's full name",
        "email": "Parent or carer's email address",
        "phone": "Parent or carer's UK phone number (optional)",
        "texts": "Also send them text messages",
        "child_years": "Which school years are their children in?",
        "topics": "What would they like help with?",
        "consent": (
            "The parent or carer has heard the privacy notice and agrees to their details "
            "being used to book this clinic"
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in self.LABELS.items():
            self[name].label.text = text
        self.email.description = "We will send the confirmation and calendar invite here."
        self.phone.description = (
            "Only used if the clinic changes at short notice, or for text messages if they "
            "ask for them below."
        )
        self.texts.description = (
            "Only if the parent or carer asks for texts: to the UK mobile number above, "
            "when booked, the day before and if anything changes."
        )
        self.consent.validators = [DataRequired("Confirm the parent or carer agrees")]
        self.interpreter.label.text = "Would an interpreter help them at the clinic?"
        self.interpreter.description = "The officer running the clinic will arrange one."
        self.language.choices = [
            SelectChoice(code, _language_choice(code)) for code in i18n.offered()
        ]

    # The language of the family's emails and invite (the parent on the phone says which).
    language = SelectField(
        "Which language should we email them in?",
        widget=GovSelect(),
        default=i18n.DEFAULT,
        validate_choice=True,
    )

    def values(self) -> dict:
        chosen = i18n.known(self.language.data) or i18n.DEFAULT
        return {**super().values(), "language": chosen}


def _language_choice(code: str) -> str:
    """ "Polski (Polish)": the language in its own name, then in English for staff."""
    own = i18n.name_of(code)
    from babel import Locale

    english = Locale.parse(code).get_display_name("en") or code
    return own if own == english else f"{own} ({english})"


PAGE_PROBLEM = _l(
    "Something went wrong with this page. Check your answers and press the button again."
)


class ConfirmBookingForm(Form):
    """The button on the check-your-answers page.

    ``submission_id`` is made when the page is shown and stored with the booking, so a
    second click on the same page finds the booking the first click made."""

    submission_id = HiddenField(
        validators=[
            DataRequired(PAGE_PROBLEM),
            UUID(PAGE_PROBLEM),
        ]
    )
    submit = SubmitField(_l("Confirm booking"), widget=GovSubmitInput())
