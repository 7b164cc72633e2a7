"""Partnerships (issue 21): the service owner adds them with their first coordinator; each
coordinator keeps their own partnership's settings (``clinic.partnership.settings_for``
reads them, falling back to the installation's).

Every change is audited with the old and new values, except the Notify key, of which only
"set", "replaced" or "removed" is recorded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..auth.service import AccountError, create_user, password_token
from ..errors import RuleError
from ..i18n import translated_service_name
from ..links import external_url
from ..models import Partnership, School, User
from ..notify import key_problem
from ..outbox.queue import queue_email
from ..partnership import LAWFUL_BASES, encrypt_secret, shipped_languages
from ..signals import partnership_created

SLUG_MAX = 80
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"

# The columns a coordinator sets (besides the Notify key), in the order the page shows them.
TEXT_FIELDS = (
    "name",
    "data_controller",
    "lawful_basis",
    "privacy_email",
    "privacy_phone",
    "accessibility_email",
    "accessibility_phone",
    "sender_name",
    "reply_to",
)


class PartnershipRuleError(RuleError):
    message = "This partnership cannot be saved."


# --- checks (each raises PartnershipRuleError naming the field) ------------------------------


def make_slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"['’]", "", ascii_text.lower())
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")[:SLUG_MAX].rstrip("-")


def check_slug(value: str) -> str:
    slug = (value or "").strip()
    if len(slug) > SLUG_MAX:
        raise PartnershipRuleError(
            f"Web address name must be {SLUG_MAX} characters or fewer", "slug"
        )
    if not _SLUG.fullmatch(slug):
        raise PartnershipRuleError(
            "Web address name must only include lower-case letters, numbers and hyphens, "
            "like north-shire",
            "slug",
        )
    return slug


def check_email(value: str, field: str) -> str:
    """An address as the rest of the service takes one (email-validator, no DNS look-up)."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise PartnershipRuleError(EMAIL_FORMAT, field) from None


def check_phone(value: str, field: str) -> str:
    """A UK (or international, with +) phone number, written the way the country does."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise PartnershipRuleError(
            "Enter a phone number, like 020 7946 0000 or +44 808 157 0192", field
        )
    form = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 44
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, form)


def retention_limits() -> tuple[int, int]:
    """The shortest and longest retention a coordinator may choose (the owner's settings)."""
    config = current_app.config
    return config["PARTNERSHIP_RETENTION_MIN_DAYS"], config["PARTNERSHIP_RETENTION_MAX_DAYS"]


def check_retention(value: int | None) -> int | None:
    if value is None:
        return None
    low, high = retention_limits()
    if not low <= value <= high:
        raise PartnershipRuleError(
            f"Days to keep details must be between {low} and {high}", "retention_days"
        )
    return value


def check_languages(codes: list[str]) -> str:
    shipped = shipped_languages()
    unknown = [code for code in codes if code not in shipped]
    if unknown:
        raise PartnershipRuleError("Select languages from the list", "languages")
    chosen = [code for code in shipped if code in codes or code == "en"]
    return " ".join(chosen)


def check_notify_key(value: str) -> str:
    key = (value or "").strip()
    problem = key_problem(key)
    if problem is not None:
        raise PartnershipRuleError(f"Enter a GOV.UK Notify API key: {problem}", "notify_api_key")
    return key


# --- the owner's pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class PartnershipRow:
    """What the owner's list shows of a partnership: counts, no family's data."""

    id: int
    name: str
    slug: str
    schools: int
    staff: int


def list_partnerships(session: Session) -> list[PartnershipRow]:
    schools = (
        select(func.count(School.id))
        .where(School.partnership_id == Partnership.id)
        .scalar_subquery()
    )
    staff = (
        select(func.count(User.id))
        .where(User.partnership_id == Partnership.id, User.active.is_(True))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Partnership.id, Partnership.name, Partnership.slug, schools, staff).order_by(
            Partnership.name, Partnership.id
        )
    )
    return [PartnershipRow(*row) for row in rows]


def create_partnership(
    session: Session,
    actor: User | str,
    *,
    name: str,
    slug: str = "",
    coordinator_name: str,
    coordinator_email: str,
) -> tuple[Partnership, User]:
    """A new partnership, its first coordinator (who is emailed a set-password link, as
    every invited staff member is) and its starting guidance.  The caller commits."""
    name = " ".join((name or "").split())
    if not name:
        raise PartnershipRuleError("Enter the partnership's name", "name")
    if len(name) > 200:
        raise PartnershipRuleError("Name must be 200 characters or fewer", "name")
    if session.scalar(select(Partnership.id).where(func.lower(Partnership.name) == name.lower())):
        raise PartnershipRuleError("There is already a partnership with this name", "name")
    if slug:
        slug = check_slug(slug)
        if session.scalar(select(Partnership.id).where(Partnership.slug == slug)):
            raise PartnershipRuleError(
                "There is already a partnership with this web address name", "slug"
            )
    else:
        slug = _free_slug(session, name)
    if not (coordinator_name or "").strip():
        raise PartnershipRuleError("Enter the coordinator's name", "coordinator_name")
    check_email(coordinator_email, "coordinator_email")
    if not (coordinator_email or "").strip():
        raise PartnershipRuleError("Enter the coordinator's email address", "coordinator_email")
    try:
        with session.begin_nested():
            partnership = Partnership(name=name, slug=slug)
            session.add(partnership)
            session.flush()
    except IntegrityError as exc:  # another owner took the name or slug just now
        raise PartnershipRuleError("There is already a partnership with this name", "name") from exc
    audit.record(
        session,
        actor,
        "partnership.create",
        partnership,
        partnership_id=partnership.id,
        name=name,
        slug=slug,
    )
    try:
        coordinator = create_user(
            session,
            email=coordinator_email,
            name=coordinator_name,
            role="admin",
            actor=actor,
            partnership=partnership,
        )
    except AccountError as error:
        field = {"email": "coordinator_email", "name": "coordinator_name"}.get(
            error.field or "", "coordinator_email"
        )
        raise PartnershipRuleError(str(error.message), field) from None
    _invite(session, actor, coordinator, partnership)
    _seed_guidance(session, partnership)
    return partnership, coordinator


def _free_slug(session: Session, name: str) -> str:
    base = make_slug(name) or "partnership"
    candidate, number = base, 1
    while session.scalar(select(Partnership.id).where(Partnership.slug == candidate)):
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return candidate


def _invite(session: Session, actor: User | str, user: User, partnership: Partnership) -> None:
    """The usual invitation (``templates/email/staff_invite``), sent for the partnership."""
    seconds = current_app.config["PASSWORD_TOKEN_MAX_AGE"]
    days, hours = seconds // 86400, seconds // 3600
    valid_for = (
        f"{days} day{'s' if days != 1 else ''}"
        if days and seconds % 86400 == 0
        else f"{hours} hour{'s' if hours != 1 else ''}"
    )
    queue_email(
        session,
        to=user.email,
        subject=lambda: f"Set your password for {translated_service_name()}",
        template="staff_invite",
        context={
            "name": user.name,
            "email": user.email,
            "invited_by": actor.name if isinstance(actor, User) else "The service owner",
            "link": external_url("auth.set_password", token=password_token(user)),
            "valid_for": valid_for,
            "new_link": False,
        },
        kind="staff_invite",
        partnership_id=partnership.id,
    )
    audit.record(session, actor, "user.invite", user)


def _seed_guidance(session: Session, partnership: Partnership) -> None:
    """The starting guidance links, as a new installation gets them: the guidance feature
    adds them on this signal (``clinic/__init__.py``)."""
    partnership_created.send(session, partnership=partnership)


# --- the coordinator's settings page ------------------------------------------------------


@dataclass(frozen=True)
class SettingsChange:
    """What a coordinator typed, checked field by field by the form (the service checks
    again: a command or another caller may use it too)."""

    name: str
    data_controller: str
    lawful_basis: str
    privacy_email: str
    privacy_phone: str
    accessibility_email: str
    accessibility_phone: str
    sender_name: str
    reply_to: str
    retention_days: int | None
    languages: list[str]
    notify_key: str = ""  # a new key ("" keeps the one set)
    remove_notify_key: bool = False


def update_settings(
    session: Session, actor: User, partnership: Partnership, change: SettingsChange
) -> dict[str, tuple]:
    """Save a partnership's settings: all of them or, if any is wrong, none (the caller
    rolls back on ``PartnershipRuleError``).  Returns what changed, as audited."""
    name = " ".join(change.name.split())
    if not name:
        raise PartnershipRuleError("Enter the partnership's name", "name")
    taken = session.scalar(
        select(Partnership.id).where(
            func.lower(Partnership.name) == name.lower(), Partnership.id != partnership.id
        )
    )
    if taken:
        raise PartnershipRuleError("There is already a partnership with this name", "name")
    if change.lawful_basis and change.lawful_basis not in LAWFUL_BASES:
        raise PartnershipRuleError("Select the lawful basis", "lawful_basis")
    values: dict[str, object] = {
        "name": name,
        "data_controller": " ".join(change.data_controller.split()),
        "lawful_basis": change.lawful_basis,
        "privacy_email": check_email(change.privacy_email, "privacy_email"),
        "privacy_phone": check_phone(change.privacy_phone, "privacy_phone"),
        "accessibility_email": check_email(change.accessibility_email, "accessibility_email"),
        "accessibility_phone": check_phone(change.accessibility_phone, "accessibility_phone"),
        "sender_name": _sender_name(change.sender_name),
        "reply_to": check_email(change.reply_to, "reply_to"),
        "retention_days": check_retention(change.retention_days),
        "languages": check_languages(change.languages),
    }
    if values["languages"] == "en" and not change.languages:
        values["languages"] = ""  # nothing ticked: the installation's languages
    changed = {
        field: (getattr(partnership, field), value)
        for field, value in values.items()
        if getattr(partnership, field) != value
    }
    key_action = None
    if change.remove_notify_key:
        if partnership.notify_api_key:
            key_action = "removed"
            partnership.notify_api_key = ""
    elif change.notify_key.strip():
        key = check_notify_key(change.notify_key)
        key_action = "replaced" if partnership.notify_api_key else "set"
        partnership.notify_api_key = encrypt_secret(key)
    for field, (_, value) in changed.items():
        setattr(partnership, field, value)
    if changed or key_action:
        details: dict[str, Any] = {
            field: {"old": old, "new": new} for field, (old, new) in changed.items()
        }
        if key_action:
            details["notify_api_key"] = key_action  # never the key itself
        session.flush()
        audit.record(
            session,
            actor,
            "partnership.update",
            partnership,
            partnership_id=partnership.id,
            **details,
        )
    return changed


def _sender_name(value: str) -> str:
    name = " ".join((value or "").split())
    if any(character in name for character in '<>"@,;'):
        raise PartnershipRuleError('Sender name must not include < > " @ , or ;', "sender_name")
    return name
