"""Admin rules: schools, staff accounts and which schools each officer covers.

Plain functions taking a session. They raise ``SchoolError`` or ``AccountError`` naming the
form field the message belongs next to, and never commit: the caller commits once, so a
change, its audit event and any email it causes are saved together or not at all (rule 4).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..auth import sessions
from ..auth.scope import scoped_partnership_filter, scoped_school_filter
from ..auth.service import AccountError, create_user, password_token
from ..errors import RuleError
from ..i18n import translated_service_name
from ..links import external_url
from ..models import PARTNERSHIP_ROLES, Partnership, School, User
from ..outbox.queue import queue_email
from ..partnership import partnership_for

SCHOOL_FIELDS = ("name", "urn", "address", "town", "postcode", "contact_email", "slug")
SLUG_MAX = 80
TAKEN = {
    "urn": "A school with this URN is already on the service",
    "slug": "Another school already uses this web address name",
}

# Royal Mail's postcode shape (BS 7666), checked on the upper-case postcode without spaces.
_POSTCODE = re.compile(
    r"GIR0AA|[A-PR-UWYZ](?:[0-9][A-HJKPSTUW0-9]?|[A-HK-Y][0-9][ABEHMNPRVWXY0-9]?)"
    r"[0-9][ABD-HJLNP-UW-Z]{2}"
)
_URN = re.compile(r"[0-9]{6}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class SchoolError(RuleError):
    """A school change that breaks a rule; the message is shown next to ``field``."""


# --- checks on single values (the forms use them too, so the rules live in one place) ----


def normalise_postcode(value: str) -> str:
    """A UK postcode in upper case with one space ("sw1a1aa" -> "SW1A 1AA")."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not _POSTCODE.fullmatch(compact):
        raise SchoolError("Enter a real UK postcode, like SW1A 1AA", "postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def check_urn(value: str) -> str:
    """The DfE unique reference number: exactly six digits 0-9 (no other scripts' digits)."""
    urn = (value or "").strip()
    if not _URN.fullmatch(urn):
        raise SchoolError("URN must be 6 digits, like 100254", "urn")
    return urn


def check_slug(value: str) -> str:
    """The last part of the school's public web address, as typed by the coordinator."""
    slug = (value or "").strip()
    if len(slug) > SLUG_MAX:
        raise SchoolError(f"Web address name must be {SLUG_MAX} characters or fewer", "slug")
    if not _SLUG.fullmatch(slug):
        raise SchoolError(
            "Web address name must only include lower-case letters, numbers and hyphens, "
            "like oakfield-primary",
            "slug",
        )
    return slug


def make_slug(text: str) -> str:
    """A web address name from a school's name: "St Mary's C of E" -> "st-marys-c-of-e"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"['’]", "", ascii_text.lower())
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")[:SLUG_MAX].rstrip("-")


# --- schools ------------------------------------------------------------------------------


def search_schools(session: Session, query: str = "", *, user: User | None = None) -> list[School]:
    """Schools whose name, town, postcode or URN contains ``query`` (all when blank); with
    ``user``, only the schools they cover (a coordinator: their partnership's)."""
    statement = select(School).order_by(School.name, School.id)
    if user is not None:
        statement = statement.where(scoped_school_filter(user, School.id))
    words = query.strip()
    if words:
        compact = re.sub(r"\s+", "", words).upper()
        statement = statement.where(
            or_(
                School.name.icontains(words, autoescape=True),
                School.town.icontains(words, autoescape=True),
                func.replace(School.postcode, " ", "").contains(compact, autoescape=True),
                School.urn.contains(words, autoescape=True),
            )
        )
    return list(session.scalars(statement))


def school_staff(session: Session, school: School) -> list[User]:
    """The school-role accounts of one school (its officers are ``school.officers``)."""
    statement = select(User).where(User.school_id == school.id).order_by(User.name)
    return list(session.scalars(statement))


def add_school(
    session: Session, actor: User | str, partnership: Partnership | None = None, /, **details: str
) -> School:
    """Add a school to ``partnership`` (else the acting coordinator's, else the only one).
    ``details`` are the SCHOOL_FIELDS; a blank slug is made from the name."""
    values = _clean_school(details)
    values["slug"] = values["slug"] or _free_slug(session, values["name"])
    _check_unique(session, values)
    school = School(partnership_id=partnership_for(session, actor, partnership).id)
    _save_school(session, school, values)
    audit.record(session, actor, "school.create", school, urn=school.urn, slug=school.slug)
    return school


def update_school(session: Session, actor: User | str, school: School, **details: str) -> School:
    """Change a school's details; the audit event lists each changed field, old and new."""
    values = _clean_school(details)
    values["slug"] = values["slug"] or _free_slug(session, values["name"], school.id)
    _check_unique(session, values, school.id)
    changed = {
        field: [getattr(school, field), value]
        for field, value in values.items()
        if getattr(school, field) != value
    }
    if changed:
        _save_school(session, school, values)
        audit.record(session, actor, "school.update", school, changed=changed)
    return school


def _clean_school(details: dict[str, str]) -> dict[str, str]:
    """Checked, tidied values for every school field (the first problem is raised)."""
    unknown = set(details) - set(SCHOOL_FIELDS)
    if unknown:
        raise TypeError(f"unknown school fields: {', '.join(sorted(unknown))}")
    values = {field: (details.get(field) or "").strip() for field in SCHOOL_FIELDS}
    for field, message in (
        ("name", "Enter the school's name"),
        ("town", "Enter the town or city"),
        ("contact_email", "Enter the school's contact email address"),
    ):
        if not values[field]:
            raise SchoolError(message, field)
    values["urn"] = check_urn(values["urn"])
    values["postcode"] = normalise_postcode(values["postcode"])
    if values["slug"]:
        values["slug"] = check_slug(values["slug"])
    return values


def _taken(session: Session, field: str, value: str, school_id: int | None) -> bool:
    column = getattr(School, field)
    statement = select(School.id).where(column == value)
    if school_id is not None:
        statement = statement.where(School.id != school_id)
    return session.scalar(statement.limit(1)) is not None


def _check_unique(session: Session, values: dict, school_id: int | None = None) -> None:
    for field in ("urn", "slug"):
        if _taken(session, field, values[field], school_id):
            raise SchoolError(TAKEN[field], field)


def _free_slug(session: Session, name: str, school_id: int | None = None) -> str:
    """A slug from the name, numbered when another school has it (there are many St Mary's)."""
    base = make_slug(name)
    if not base:
        raise SchoolError(
            "Enter a web address name: the school's name has no letters or numbers to make one",
            "slug",
        )
    candidate, number = base, 1
    while _taken(session, "slug", candidate, school_id):
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return candidate


def _save_school(session: Session, school: School, values: dict) -> None:
    """Write the values in a savepoint: if another admin took the URN or slug since the
    check, the database refuses and the refusal becomes a message next to the field."""
    try:
        with session.begin_nested():
            for field, value in values.items():
                setattr(school, field, value)
            session.add(school)
    except IntegrityError as exc:
        field = "slug" if "slug" in str(exc.orig).lower() else "urn"
        raise SchoolError(TAKEN[field], field) from exc


# --- staff accounts -------------------------------------------------------------------------


def list_staff(session: Session, user: User | None = None) -> list[User]:
    """Every staff account; with ``user``, their partnership's only."""
    statement = (
        select(User)
        .where(scoped_partnership_filter(user, User.partnership_id) if user is not None else true())
        .options(selectinload(User.school), selectinload(User.schools))
        .order_by(User.name, User.id)
    )
    return list(session.scalars(statement))


def invite_staff(
    session: Session,
    actor: User | str,
    *,
    email: str,
    name: str,
    role: str,
    school: School | None = None,
    schools: Iterable[School] = (),
) -> User:
    """Add an account with no password and email a link to set one.

    ``school`` is a school user's school; ``schools`` the schools an officer covers (each is
    ignored for the other roles)."""
    _check_partnership(actor, role, [school] if role == "school" else schools)
    try:
        with session.begin_nested():
            user = create_user(
                session, email=email, name=name, role=role, school=school, actor=actor
            )
    except IntegrityError as exc:  # another admin invited the same address just now
        raise AccountError("There is already an account with this email address", "email") from exc
    if role == "officer":
        _assign_schools(session, actor, user, schools)
    _queue_password_link(session, actor, user, invite=True)
    return user


def send_password_link(session: Session, actor: User | str, user: User) -> None:
    """Email a fresh set-password link, for someone who lost the first or forgot theirs."""
    _queue_password_link(session, actor, user, invite=False)


def _queue_password_link(session: Session, actor: User | str, user: User, *, invite: bool) -> None:
    """The link is built from BASE_URL, not the request's host, so a forged Host header
    cannot send someone a link (and their token) to another site."""
    if not user.active:
        raise AccountError("Reactivate this account before sending a link", "user")
    queue_email(
        session,
        to=user.email,
        subject=lambda: (
            f"Set your password for {translated_service_name()}"
            if invite
            else f"A new link to set your password for {translated_service_name()}"
        ),
        template="staff_invite",
        context={
            "name": user.name,
            "email": user.email,
            "invited_by": actor.name if isinstance(actor, User) else "A coordinator",
            "link": external_url("auth.set_password", token=password_token(user)),
            "valid_for": _link_lifetime(),
            "new_link": not invite,
        },
        kind="staff_invite" if invite else "staff_password_link",
        partnership_id=user.partnership_id,
    )
    audit.record(session, actor, "user.invite" if invite else "user.send_password_link", user)


def _link_lifetime() -> str:
    """How long a set-password link works, in words for the email ("3 days")."""
    seconds = current_app.config["PASSWORD_TOKEN_MAX_AGE"]
    days, hours = seconds // 86400, seconds // 3600
    if days and seconds % 86400 == 0:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def change_role(
    session: Session, actor: User | str, user: User, role: str, school: School | None = None
) -> None:
    """Give someone another role, keeping the database's rule: school staff have exactly one
    school, nobody else has one. An officer who stops being an officer leaves their schools."""
    if role not in PARTNERSHIP_ROLES:
        raise AccountError("Select a role", "role")
    _check_partnership(user, role, [school] if role == "school" else ())
    if _is_self(actor, user):
        raise AccountError("You cannot change your own role. Ask another coordinator", "role")
    if role == "school" and school is None:
        raise AccountError("Choose the school this person works at", "school")
    new_school = school if role == "school" else None
    new_school_id = new_school.id if new_school is not None else None
    if user.role == role and user.school_id == new_school_id:
        return
    from_role, from_school_id = user.role, user.school_id
    user.role = role
    user.school = new_school
    if role != "officer":
        _assign_schools(session, actor, user, ())
    audit.record(
        session,
        actor,
        "user.change_role",
        user,
        school_id=new_school_id,
        from_role=from_role,
        to_role=role,
        from_school_id=from_school_id,
    )


def set_active(session: Session, actor: User | str, user: User, active: bool) -> None:
    """Deactivate (they can no longer sign in, and a signed-in session stops working) or
    reactivate an account. Nobody deactivates themself, so one coordinator always remains."""
    if not active and _is_self(actor, user):
        raise AccountError("You cannot deactivate your own account", "user")
    if user.active == active:
        return
    user.active = active
    if not active:
        sessions.end_all(session, user, "deactivated")
    audit.record(session, actor, "user.reactivate" if active else "user.deactivate", user)


def set_officer_schools(
    session: Session, actor: User | str, officer: User, schools: Iterable[School]
) -> None:
    """Set exactly which schools an officer covers."""
    if officer.role != "officer":
        raise AccountError("Only officers are assigned to schools", "schools")
    _check_partnership(officer, "officer", schools)
    _assign_schools(session, actor, officer, schools)


def _assign_schools(
    session: Session, actor: User | str, officer: User, schools: Iterable[School]
) -> None:
    wanted = {school.id: school for school in schools}
    current = {school.id for school in officer.schools}
    if set(wanted) == current:
        return
    officer.schools = sorted(wanted.values(), key=lambda school: school.name)
    audit.record(
        session,
        actor,
        "user.assign_schools",
        officer,
        added=sorted(set(wanted) - current),
        removed=sorted(current - set(wanted)),
    )


def _check_partnership(member: User | str, role: str, schools: Iterable[School | None]) -> None:
    """A coordinator's staff stay in their partnership: no role outside it (the service
    owner's is not theirs to give) and no school of another partnership."""
    if not isinstance(member, User):
        return  # a command or the system: create_user chooses the partnership
    if role not in PARTNERSHIP_ROLES:
        raise AccountError("Select a role", "role")
    for school in schools:
        if school is not None and school.partnership_id != member.partnership_id:
            field = "schools" if role == "officer" else "school"
            raise AccountError("Choose a school of your partnership", field)


def _is_self(actor: User | str, user: User) -> bool:
    return isinstance(actor, User) and actor.id == user.id
