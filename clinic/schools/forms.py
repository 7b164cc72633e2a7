"""Forms for the admin pages. Format rules come from the service, so they live in one place."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
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
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..forms import Form, GovEmailInput, ServiceRule, record_id, strip_filter
from ..models import School
from . import gias, service

ROLE_LABELS = {
    "admin": "Coordinator",
    "officer": "Safer Schools officer",
    "school": "School staff",
}
ROLE_HINTS = {
    "admin": "Adds schools and staff, and sees figures for every school",
    "officer": "Runs clinics at the schools they cover",
    "school": "Sees their own school's clinics and attendance lists",
}
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


class SchoolForm(Form):
    name = StringField(
        "School name",
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[DataRequired("Enter the school's name"), Length(max=200)],
    )
    urn = StringField(
        "URN (unique reference number)",
        widget=GovTextInput(),
        description="The 6-digit number the Department for Education gives every school. "
        "You can find it on Get Information about Schools.",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the school's URN"),
            ServiceRule(service.check_urn),
        ],
    )
    address = TextAreaField(
        "Address",
        widget=GovTextArea(),
        description="Building and street. Put the town and postcode below.",
        filters=[strip_filter],
        validators=[DataRequired("Enter the school's address"), Length(max=500)],
    )
    town = StringField(
        "Town or city",
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[DataRequired("Enter the town or city"), Length(max=100)],
    )
    postcode = StringField(
        "Postcode",
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the postcode"),
            ServiceRule(service.normalise_postcode),
        ],
    )
    contact_email = EmailField(
        "School contact email address",
        widget=GovEmailInput(),
        description="Usually the school office. Attendance lists are sent here.",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the school's contact email address"),
            Length(max=254),
            Email(EMAIL_FORMAT),
        ],
    )
    slug = StringField(
        "Web address name (optional)",
        widget=GovTextInput(),
        description="The end of the web address parents use for this school's page, like "
        "oakfield-primary. Use lower-case letters, numbers and hyphens. Leave it blank to "
        "make one from the school's name.",
        filters=[strip_filter],
        validators=[Optional(), ServiceRule(service.check_slug)],
    )
    submit = SubmitField("Save school", widget=GovSubmitInput())

    def details(self) -> dict[str, str]:
        """The values the service's add_school and update_school take."""
        return {field: getattr(self, field).data or "" for field in service.SCHOOL_FIELDS}


def _role_field(label: str) -> RadioField:
    return RadioField(
        label,
        widget=GovRadioInput(),
        choices=[SelectChoice(role, label) for role, label in ROLE_LABELS.items()],
        invalid_choice_message="Select a role",
    )


def _school_field() -> SelectField:
    return SelectField(
        "School",
        widget=GovSelect(),
        description="The school this person works at",
        default="",  # not sent at all when the browser hides it: that is "no school"
        invalid_choice_message="Choose a school from the list",
    )


def _school_label(school: School) -> str:
    return f"{school.name}, {school.town}"


def _school_choices(schools: Iterable[School]) -> list[SelectChoice]:
    return [SelectChoice("", "Choose a school")] + [
        SelectChoice(str(school.id), _school_label(school)) for school in schools
    ]


def _checkbox_choices(schools: Iterable[School]) -> list[SelectChoice]:
    return [SelectChoice(school.id, _school_label(school)) for school in schools]


class RoleForm(Form):
    """Change someone's role; school staff also need their school."""

    role = _role_field("Role")
    school = _school_field()
    submit = SubmitField("Change role", widget=GovSubmitInput())

    def __init__(self, all_schools: Iterable[School], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.school.choices = _school_choices(all_schools)

    def validate_school(self, field):
        if self.role.data == "school" and not field.data:
            raise ValidationError("Choose the school this person works at")

    def chosen_school_id(self) -> int | None:
        """The chosen school's id when the role needs one (the select is ignored otherwise)."""
        return int(self.school.data) if self.role.data == "school" and self.school.data else None


class InviteForm(RoleForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=[strip_filter],
        validators=[DataRequired("Enter the person's full name"), Length(max=200)],
    )
    email = EmailField(
        "Email address",
        widget=GovEmailInput(),
        description="We will email a link to this address so they can set a password",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the person's email address"),
            Length(max=254),
            Email(EMAIL_FORMAT),
        ],
    )
    role = _role_field("What will they do?")
    school = _school_field()
    schools = SelectMultipleField(
        "Schools they cover",
        widget=GovCheckboxesInput(),
        coerce=record_id,
        description="Select all that apply. You can change these later.",
        invalid_choice_message="Choose schools from the list",
        invalid_value_message="Choose schools from the list",
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())

    def __init__(self, all_schools: Iterable[School], *args, **kwargs):
        all_schools = list(all_schools)
        super().__init__(all_schools, *args, **kwargs)
        self.schools.choices = _checkbox_choices(all_schools)

    def chosen_officer_school_ids(self) -> list[int]:
        return list(self.schools.data or []) if self.role.data == "officer" else []


class OfficerSchoolsForm(Form):
    schools = SelectMultipleField(
        "Schools this officer covers",
        widget=GovCheckboxesInput(),
        coerce=record_id,
        description="They can see and run clinics only at the schools you select.",
        invalid_choice_message="Choose schools from the list",
        invalid_value_message="Choose schools from the list",
    )
    submit = SubmitField("Save schools", widget=GovSubmitInput())

    def __init__(self, all_schools: Iterable[School], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schools.choices = _checkbox_choices(all_schools)


class GiasImportForm(Form):
    """Upload the register's extract, and say which of its schools are the partnership's."""

    file = FileField(
        "GIAS establishment file",
        widget=GovFileInput(),
        description="The CSV file of all establishments from Get Information about Schools "
        "(“Download data”, “Establishment fields”), named like edubasealldata20261207.csv. "
        "Choose it as downloaded: do not open and save it in a spreadsheet first.",
        validators=[
            FileRequired("Choose the GIAS establishment file"),
            FileAllowed(["csv"], "The file must be a CSV file, like edubasealldata20261207.csv"),
        ],
    )
    las = StringField(
        "Local authorities",
        widget=GovTextInput(),
        description="Names or 3-digit codes as GIAS writes them, separated by commas, like "
        "Devon, Torbay or 878, 880",
        filters=[strip_filter],
        validators=[DataRequired("Enter at least one local authority"), Length(max=1000)],
    )
    phases = SelectMultipleField(
        "Phases of education",
        widget=GovCheckboxesInput(),
        choices=[SelectChoice(phase, phase) for phase in gias.PHASES],
        default=list(gias.SCHOOL_PHASES),
        description="Select all that apply",
        validators=[DataRequired("Select at least one phase of education")],
        invalid_choice_message="Choose phases from the list",
        invalid_value_message="Choose phases from the list",
    )
    submit = SubmitField("Preview the import", widget=GovSubmitInput())

    def validate_las(self, field):
        if not gias.split_las(field.data or ""):
            raise ValidationError("Enter at least one local authority")

    def chosen_las(self) -> list[str]:
        return gias.split_las(self.las.data or "")


class GiasApplyForm(Form):
    """The preview's button; the hidden id names the preview the coordinator saw."""

    import_id = HiddenField()
    plan_key = HiddenField()  # Plan.digest() of the preview shown
    submit = SubmitField("Import these schools", widget=GovSubmitInput())
