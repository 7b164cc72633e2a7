"""Which partnership a new school or staff account belongs to (issue 21).

A partnership owns its schools and staff (``models.Partnership``).  A record made by a
coordinator goes into their partnership; one made by the system or a command (the demo
seed, ``flask users create``) into the one given, or the installation's only partnership
when it has one; with several and none given, ``PartnershipError`` asks which.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.utils import formataddr, parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Partnership, User

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


class PartnershipError(ValueError):
    """No partnership could be chosen; ``field`` names the form field to show it beside."""

    def __init__(self, message: str, field: str = "partnership"):
        super().__init__(message)
        self.field = field


def only_partnership(session: Session) -> Partnership | None:
    """The installation's partnership when it has exactly one."""
    found = session.scalars(select(Partnership).order_by(Partnership.id).limit(2)).all()
    return found[0] if len(found) == 1 else None


def public_partnership(session: Session) -> Partnership | None:
    """Whose pages the public pages that belong to no school are (the finder, and the
    privacy notice and accessibility statement linked from them): the partnership an
    installation run for one names (``FINDER_PARTNERSHIP``), else the only one there is;
    None: the installation's own."""
    slug = current_app.config.get("FINDER_PARTNERSHIP") or ""
    if slug:
        named = session.scalar(select(Partnership).where(Partnership.slug == slug))
        if named is not None:
            return named
    return only_partnership(session)


def partnership_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Partnership)) or 0


def partnership_for(
    session: Session, actor: User | str | None, given: Partnership | None = None
) -> Partnership:
    """The partnership a new record goes into: ``given``, else the acting staff member's,
    else the installation's only one."""
    if given is not None:
        return given
    if isinstance(actor, User) and actor.partnership_id is not None:
        partnership = session.get(Partnership, actor.partnership_id)
        if partnership is not None:
            return partnership
    only = only_partnership(session)
    if only is None:
        raise PartnershipError("Choose the partnership")
    return only


# --- a partnership's own settings, or the installation's (issue 21) -------------------------

# The name migration 0017 gave the partnership it made from an installation's data: while it
# has it, pages and emails keep the installation's SERVICE_NAME, so a one-partnership
# installation looks as it did.
DEFAULT_NAME = "Default partnership"
LAWFUL_BASES = ("public_task", "consent", "legitimate_interests")


@dataclass(frozen=True)
class PartnershipSettings:
    """What a partnership's pages, notice, emails and texts use: each value its own, or
    the installation's setting of the same purpose (config.py) where it set none."""

    partnership_id: int | None
    name: str
    data_controller: str
    lawful_basis: str
    privacy_email: str
    privacy_phone: str
    accessibility_email: str
    accessibility_phone: str
    sender: str  # the whole From header: "Its name <the installation's address>"
    reply_to: str | None
    retention_days: int
    languages: list[str]
    notify_api_key: str | None
    # Whether its privacy notice or accessibility statement says anything the
    # installation's does not: only then do its pages link to its own (``?school=``).
    own_notice: bool = False

    def page_key(self) -> tuple:
        """What a page drawn for it shows of it (a page cache's key; never the key)."""
        return (
            self.partnership_id,
            self.name,
            self.data_controller,
            self.privacy_email,
            self.accessibility_email,
            tuple(self.languages),
        )

    def overrides(self) -> dict[str, str]:
        """Its values under the installation settings' names, for the page's wording
        (``clinic.i18n.setting_text``)."""
        return {"SERVICE_NAME": self.name, "DATA_CONTROLLER": self.data_controller}


def shipped_languages() -> list[str]:
    """The languages with a catalogue in this release (config.SHIPPED_LANGUAGES)."""
    from config import SHIPPED_LANGUAGES

    return list(SHIPPED_LANGUAGES)


_NOTICE_FIELDS = (
    "name",
    "data_controller",
    "lawful_basis",
    "privacy_email",
    "privacy_phone",
    "accessibility_email",
    "accessibility_phone",
    "reply_to",
    "retention_days",
)


def settings_for(partnership: Partnership | None) -> PartnershipSettings:
    """The settings in force for ``partnership`` (None: the installation's own)."""
    settings = _settings_for(partnership)
    if partnership is None:
        return settings
    installation = _settings_for(None)
    own = any(getattr(settings, f) != getattr(installation, f) for f in _NOTICE_FIELDS)
    return replace(settings, own_notice=own)


@lru_cache(maxsize=16)
def _sender(value: str) -> tuple[str, str]:
    """MAIL_DEFAULT_SENDER's name and address (parsed once: every page asks)."""
    return parseaddr(value)


def _settings_for(partnership: Partnership | None) -> PartnershipSettings:
    config = current_app.config
    p = partnership
    sender_name, sender_address = _sender(config["MAIL_DEFAULT_SENDER"])
    own_sender = (p.sender_name.strip() if p is not None else "") or sender_name
    name = config["SERVICE_NAME"]
    if p is not None and p.name and p.name != DEFAULT_NAME:
        name = p.name
    privacy_email = (p.privacy_email if p is not None else "") or config["PRIVACY_CONTACT_EMAIL"]
    return PartnershipSettings(
        partnership_id=p.id if p is not None else None,
        name=name,
        data_controller=(p.data_controller if p is not None else "") or config["DATA_CONTROLLER"],
        lawful_basis=(p.lawful_basis if p is not None else "") or config["LAWFUL_BASIS"],
        privacy_email=privacy_email,
        privacy_phone=(p.privacy_phone if p is not None else "")
        or config.get("PRIVACY_CONTACT_PHONE", ""),
        accessibility_email=(p.accessibility_email if p is not None else "")
        or config["ACCESSIBILITY_CONTACT_EMAIL"]
        or privacy_email,
        accessibility_phone=(p.accessibility_phone if p is not None else "")
        or config["ACCESSIBILITY_CONTACT_PHONE"],
        sender=formataddr((own_sender, sender_address)) if own_sender else sender_address,
        reply_to=(p.reply_to if p is not None else "") or config.get("MAIL_REPLY_TO") or None,
        retention_days=(p.retention_days if p is not None else None) or config["PRIVACY_KEEP_DAYS"],
        languages=_languages(p.languages if p is not None else ""),
        notify_api_key=(decrypt_secret(p.notify_api_key) if p is not None else None)
        or config.get("NOTIFY_API_KEY")
        or None,
    )


def _languages(own: str) -> list[str]:
    """English first, then the partnership's chosen shipped languages in the order they
    ship; blank: the installation's LANGUAGES."""
    chosen = own.split() if own.strip() else list(current_app.config["LANGUAGES"])
    shipped = shipped_languages()
    return ["en"] + [code for code in shipped if code != "en" and code in chosen]


# --- secrets at rest: a partnership's Notify key --------------------------------------------


# cryptography (about 9 MiB with its OpenSSL bindings) loads with the first secret read or
# written, not in every web worker: a partnership without its own Notify key never needs it.


def _fernet_key(secret: str) -> bytes:
    """A Fernet key derived from one SECRET_KEY (HKDF-SHA256, its own purpose label)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"clinic partnership secrets"
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def _fernet() -> MultiFernet:
    """Encrypts with SECRET_KEY; decrypts with it or any of SECRET_KEY_FALLBACKS, so a
    value written before the key was rotated is still read (saving the settings page
    with a new key writes it under the current one)."""
    from cryptography.fernet import Fernet, MultiFernet

    config = current_app.config
    keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys if key])


def encrypt_secret(value: str) -> str:
    """The stored form of a secret ("" stays "": nothing set)."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt_secret(token: str) -> str:
    """A stored secret in clear; "" when none is set or no key in use can read it (then
    the installation's setting is used, and ``flask doctor`` should say so)."""
    if not token:
        return ""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return ""


def secret_readable(token: str) -> bool:
    return not token or bool(decrypt_secret(token))


def use_on_page(
    settings: PartnershipSettings, school_slug: str | None = None
) -> PartnershipSettings:
    """Draw this request's page for that partnership: its name, controller and languages
    (``clinic.i18n`` reads them), its links to the privacy notice and accessibility
    statement going to the school's partnership's (``notice_args``).  Call it before
    anything on the page is translated."""
    g.partnership_settings = settings
    # A partnership whose notice is the installation's links to the installation's.
    g.notice_school = school_slug if settings.own_notice else None
    g.offered_languages = settings.languages
    g.setting_overrides = settings.overrides()
    return settings


@contextmanager
def written_for(settings: PartnershipSettings) -> Iterator[None]:
    """Write an email or text in the partnership's wording (name, controller), then put
    back whatever the page had."""
    before = g.get("setting_overrides")
    g.setting_overrides = settings.overrides()
    try:
        yield
    finally:
        g.setting_overrides = before


def notice_args() -> dict[str, str]:
    """The privacy notice's and accessibility statement's address values for this page:
    ``school`` when it is a school's page (its partnership's notice), else none."""
    slug = g.get("notice_school") if g else None
    return {"school": slug} if slug else {}


def page_settings() -> PartnershipSettings:
    """The partnership settings this page was drawn for, else the installation's."""
    found = g.get("partnership_settings")
    return found if found is not None else settings_for(None)


def use_for_school(school) -> None:
    """Draw this page for the school's partnership (``use_on_page``): a booking form, a
    parent's booking or waiting-list page."""
    if school is not None:
        use_on_page(settings_for(school.partnership), school_slug=school.slug)
