"""The owner's "Add a partnership" form and the coordinator's "Partnership settings" form.
Each rule is the service's (``ServiceRule``), so the page shows its message next to the
field and in the error summary, and nothing is saved while any field is wrong."""

from __future__ import annotations

from functools import partial

from flask import current_app
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import Form, GovEmailInput, GovTelInput, ServiceRule, strip_filter
from ..i18n import name_of
from ..partnership import LAWFUL_BASES, shipped_languages
from . import service

LAWFUL_BASIS_LABELS = {
    "": "The service's setting",
    "public_task": "Public task (UK GDPR Article 6(1)(e))",
    "consent": "Consent (Article 6(1)(a))",
    "legitimate_interests": "Legitimate interests (Article 6(1)(f))",
}


def _email_rule(field_name: str):
    return ServiceRule(partial(service.check_email, field=field_name))


def _phone_rule(field_name: str):
    return ServiceRule(partial(service.check_phone, field=field_name))


class NewPartnershipForm(Form):
    name = StringField(
        "Partnership name",
        widget=GovTextInput(),
        description="As parents and schools know it, like North Shire Safeguarding Children "
        "Partnership. It is shown on its schools' pages and emails.",
        filters=[strip_filter],
        validators=[DataRequired("Enter the partnership's name"), Length(max=200)],
    )
    slug = StringField(
        "Short name (optional)",
        widget=GovTextInput(),
        description="Lower-case letters, numbers and hyphens, like north-shire. Leave it "
        "blank to make one from the name.",
        filters=[strip_filter],
        validators=[Optional(), ServiceRule(service.check_slug)],
    )
    coordinator_name = StringField(
        "First coordinator's full name",
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[DataRequired("Enter the coordinator's name"), Length(max=200)],
    )
    coordinator_email = EmailField(
        "First coordinator's email address",
        widget=GovEmailInput(),
        description="They are emailed a link to set their password.",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the coordinator's email address"),
            Length(max=254),
            _email_rule("coordinator_email"),
        ],
    )
    submit = SubmitField("Add partnership", widget=GovSubmitInput())


class SettingsForm(Form):
    name = StringField(
        "Name shown to parents and schools",
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[DataRequired("Enter the partnership's name"), Length(max=200)],
    )
    data_controller = StringField(
        "Data controller (optional)",
        widget=GovTextInput(),
        description="Who holds parents' details, as the privacy notice says it: \"Your "
        "details are held by …\". Leave it blank for the service's wording.",
        filters=[strip_filter],
        validators=[Length(max=200, message="Data controller must be 200 characters or fewer")],
    )
    lawful_basis = RadioField(
        "Lawful basis for parents' details",
        widget=GovRadioInput(),
        description="Your data protection officer chooses it (UK GDPR Article 6).",
        choices=[SelectChoice(value, LAWFUL_BASIS_LABELS[value]) for value in ("", *LAWFUL_BASES)],
        default="",
        validate_choice=False,  # checked below, with a message a person can act on
    )
    privacy_email = EmailField(
        "Privacy contact email (optional)",
        widget=GovEmailInput(),
        description="Where parents ask about their details.",
        filters=[strip_filter],
        validators=[Length(max=254), _email_rule("privacy_email")],
    )
    privacy_phone = StringField(
        "Privacy contact phone (optional)",
        widget=GovTelInput(),
        filters=[strip_filter],
        validators=[_phone_rule("privacy_phone")],
    )
    accessibility_email = EmailField(
        "Accessibility contact email (optional)",
        widget=GovEmailInput(),
        description="Where anyone asks for another format. Blank: the privacy contact.",
        filters=[strip_filter],
        validators=[Length(max=254), _email_rule("accessibility_email")],
    )
    accessibility_phone = StringField(
        "Accessibility contact phone (optional)",
        widget=GovTelInput(),
        filters=[strip_filter],
        validators=[_phone_rule("accessibility_phone")],
    )
    sender_name = StringField(
        "Emails come from (optional)",
        widget=GovTextInput(),
        description="The sender name parents see. The address stays the service's.",
        filters=[strip_filter],
        validators=[
            Length(max=100, message="Sender name must be 100 characters or fewer"),
            ServiceRule(service._sender_name),
        ],
    )
    reply_to = EmailField(
        "Replies go to (optional)",
        widget=GovEmailInput(),
        description="A mailbox your team reads: parents' replies to any email reach it.",
        filters=[strip_filter],
        validators=[Length(max=254), _email_rule("reply_to")],
    )
    retention_days = StringField(
        "Days to keep parents' details after a clinic (optional)",
        widget=GovTextInput(),
        filters=[strip_filter],
    )
    languages = SelectMultipleField(
        "Languages offered to parents",
        widget=GovCheckboxesInput(),
        description="English is always offered. Leave all unticked for the service's choice.",
        validate_choice=False,  # checked below, with a message a person can act on
    )
    notify_api_key = PasswordField(
        "GOV.UK Notify API key for text messages (optional)",
        widget=GovPasswordInput(),
        filters=[strip_filter],
        validators=[Optional()],
    )
    remove_notify_key = BooleanField(
        "Remove the Notify key (texts use the service's)", widget=GovCheckboxInput()
    )
    submit = SubmitField("Save settings", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = service.retention_limits()
        self.retention_days.description = (
            f"Between {low} and {high}. Blank: the service's "
            f"{current_app.config['PRIVACY_KEEP_DAYS']} days."
        )
        self.languages.choices = [
            SelectChoice(code, name_of(code)) for code in shipped_languages() if code != "en"
        ]

    def days(self) -> int | None:
        text = (self.retention_days.data or "").strip()
        return int(text) if text.isdigit() and len(text) <= 6 else None

    def validate_retention_days(self, field):
        text = (field.data or "").strip()
        if text and self.days() is None:
            raise ValidationError("Days to keep details must be a whole number, like 90")
        try:
            service.check_retention(self.days())
        except service.PartnershipRuleError as error:
            raise ValidationError(error.message) from error

    def validate_lawful_basis(self, field):
        if (field.data or "") not in ("", *LAWFUL_BASES):
            raise ValidationError("Select the lawful basis")

    def validate_languages(self, field):
        try:
            service.check_languages(list(field.data or []))
        except service.PartnershipRuleError as error:
            raise ValidationError(error.message) from error

    def validate_notify_api_key(self, field):
        if field.data:
            try:
                service.check_notify_key(field.data)
            except service.PartnershipRuleError as error:
                raise ValidationError(error.message) from error

    def change(self) -> service.SettingsChange:
        return service.SettingsChange(
            name=self.name.data or "",
            data_controller=self.data_controller.data or "",
            lawful_basis=self.lawful_basis.data or "",
            privacy_email=self.privacy_email.data or "",
            privacy_phone=self.privacy_phone.data or "",
            accessibility_email=self.accessibility_email.data or "",
            accessibility_phone=self.accessibility_phone.data or "",
            sender_name=self.sender_name.data or "",
            reply_to=self.reply_to.data or "",
            retention_days=self.days(),
            languages=list(self.languages.data or []),
            notify_key=self.notify_api_key.data or "",
            remove_notify_key=bool(self.remove_notify_key.data),
        )
