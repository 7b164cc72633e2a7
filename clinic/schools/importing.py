"""Importing a partnership's schools from the GIAS extract: the preview and the import.

``read_upload`` reads the file (``gias.read_extract``) and keeps what it found as a
``GiasImport`` row; ``plan`` compares it with the schools on the service, matched by URN:
to add, to change (name, address, town or postcode), already up to date, or skipped
because another partnership holds the URN; ``apply`` does the plan in the caller's one
transaction, refusing (``ImportRefused``) when the schools changed since the coordinator
saw the preview, so what is imported is what they saw, all or nothing.

A school added this way has no contact email: the register publishes none.  Its page and
the schools list ask the coordinator to add the office's address (see ``needs_email``);
until then the attendance list goes to the school's staff accounts only, and parents are
not shown an address.  A re-import changes names and addresses only, never a school's
slug, contact email, clinics or staff.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..errors import RuleError
from ..models import Partnership, School, User, utcnow
from . import gias
from .models import GiasImport
from .service import _free_slug

UPDATED_FIELDS = ("name", "address", "town", "postcode")
FIELD_LABELS = {"name": "Name", "address": "Address", "town": "Town", "postcode": "Postcode"}
HELD_ELSEWHERE = "another partnership on this service has this URN"
URN_CHUNK = 500


class ImportRefused(RuleError):
    """The import was not done (nothing of it is saved); the message says why."""


@dataclass(frozen=True)
class Change:
    school_id: int
    urn: str
    name: str  # the name it will have
    changes: dict[str, tuple[str, str]]  # field -> (old, new)


@dataclass
class Plan:
    add: list[gias.Establishment] = field(default_factory=list)
    change: list[Change] = field(default_factory=list)
    unchanged: int = 0
    held_elsewhere: list[gias.Skipped] = field(default_factory=list)

    def key(self) -> dict[str, list[str]]:
        """What the coordinator agreed to: the URNs to add and to change, and how."""
        return {
            "add": sorted(e.urn for e in self.add),
            "change": sorted(
                f"{c.urn}:{','.join(f'{k}={v[1]}' for k, v in sorted(c.changes.items()))}"
                for c in self.change
            ),
        }

    def digest(self) -> str:
        """``key()`` in 64 characters, for the preview page to send back."""
        text = json.dumps(self.key(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def __bool__(self) -> bool:
        return bool(self.add or self.change)


def establishments_of(pending: GiasImport) -> list[gias.Establishment]:
    return [gias.Establishment(**values) for values in pending.establishments]


def skipped_of(pending: GiasImport) -> list[gias.Skipped]:
    return [gias.Skipped(**values) for values in pending.skipped]


def read_upload(
    session: Session,
    actor: User,
    stream: IO[bytes],
    *,
    filename: str,
    las: Sequence[str],
    phases: Sequence[str],
    keep_minutes: int,
) -> GiasImport:
    """Read an upload and keep what it holds for the preview (the caller commits).
    ``ExtractError`` (field "file", "las" or "phases") when there is nothing to preview."""
    extract = gias.read_extract(stream, las=las, phases=phases)
    unmatched = extract.unmatched_las()
    if unmatched:
        raise gias.ExtractError(
            "No school in the file is in "
            + ", ".join(f"“{la}”" for la in unmatched)
            + ". Check the spelling, or use the local authority's 3-digit code, like 878",
            "las",
        )
    if actor.partnership_id is None:
        raise gias.ExtractError("Only a partnership's coordinator imports schools")
    session.execute(  # the previews nobody imported
        delete(GiasImport).where(GiasImport.created_at < utcnow() - timedelta(minutes=keep_minutes))
    )
    pending = GiasImport(
        id=secrets.token_urlsafe(32),
        user_id=actor.id,
        partnership_id=actor.partnership_id,
        filename=filename[:255],
        las=list(las),
        phases=gias.check_phases(phases),
        establishments=[e.as_dict() for e in extract.establishments],
        skipped=[s.as_dict() for s in extract.skipped],
        rows=extract.rows,
        outside=extract.outside,
    )
    session.add(pending)
    return pending


def pending_import(
    session: Session, actor: User, import_id: str, keep_minutes: int
) -> GiasImport | None:
    """The actor's own preview with this id, unless it has expired."""
    pending = session.get(GiasImport, import_id) if import_id else None
    if (
        pending is None
        or pending.user_id != actor.id
        or pending.partnership_id != actor.partnership_id
        or pending.created_at < utcnow() - timedelta(minutes=keep_minutes)
    ):
        return None
    return pending


def _schools_by_urn(session: Session, urns: list[str]) -> dict[str, School]:
    found: dict[str, School] = {}
    for start in range(0, len(urns), URN_CHUNK):
        chunk = urns[start : start + URN_CHUNK]
        found.update(
            (school.urn, school)
            for school in session.scalars(select(School).where(School.urn.in_(chunk)))
        )
    return found


def plan(
    session: Session, partnership: Partnership, establishments: Iterable[gias.Establishment]
) -> Plan:
    """What importing ``establishments`` into ``partnership`` would do now."""
    establishments = list(establishments)
    existing = _schools_by_urn(session, [e.urn for e in establishments])
    result = Plan()
    for establishment in establishments:
        school = existing.get(establishment.urn)
        if school is None:
            result.add.append(establishment)
        elif school.partnership_id != partnership.id:
            result.held_elsewhere.append(
                gias.Skipped(
                    establishment.line, establishment.urn, establishment.name, HELD_ELSEWHERE
                )
            )
        else:
            changes = {
                name: (getattr(school, name), getattr(establishment, name))
                for name in UPDATED_FIELDS
                if getattr(school, name) != getattr(establishment, name)
            }
            if changes:
                result.change.append(Change(school.id, school.urn, establishment.name, changes))
            else:
                result.unchanged += 1
    return result


def apply(
    session: Session,
    actor: User | str,
    partnership: Partnership,
    establishments: Iterable[gias.Establishment],
    *,
    agreed: str | None = None,
    source: str = "",
) -> Plan:
    """Add and change the schools as ``plan`` says, in the caller's transaction (it commits,
    or rolls back on ``ImportRefused``).  ``agreed`` is the ``Plan.digest()`` of the
    preview the coordinator saw: when the schools on the service changed since, nothing
    is done (None: no preview, the command's ``--yes``)."""
    todo = plan(session, partnership, establishments)
    if agreed is not None and todo.digest() != agreed:
        raise ImportRefused(
            "The schools on the service changed since this preview (another coordinator "
            "added or changed some). Nothing was imported: check the new preview below.",
            "submit",
        )
    try:
        for establishment in todo.add:
            school = School(
                partnership_id=partnership.id,
                urn=establishment.urn,
                name=establishment.name,
                address=establishment.address,
                town=establishment.town,
                postcode=establishment.postcode,
                contact_email="",
                slug=_free_slug(session, establishment.name),
            )
            session.add(school)
            session.flush()
            audit.record(
                session,
                actor,
                "school.create",
                school,
                urn=school.urn,
                slug=school.slug,
                source="gias",
            )
        for change in todo.change:
            school = session.get_one(School, change.school_id)
            for name, (_old, new) in change.changes.items():
                setattr(school, name, new)
            session.flush()
            audit.record(
                session,
                actor,
                "school.update",
                school,
                changed={name: list(values) for name, values in change.changes.items()},
                source="gias",
            )
    except IntegrityError as exc:
        raise ImportRefused(
            "Another school took one of these URNs or web addresses while the import ran. "
            "Nothing was imported: check the new preview below.",
            "submit",
        ) from exc
    audit.record(
        session,
        actor,
        "school.import_gias",
        partnership,
        added=len(todo.add),
        changed=len(todo.change),
        unchanged=todo.unchanged,
        held_elsewhere=len(todo.held_elsewhere),
        file=source,
    )
    return todo


def needs_email(school: School) -> bool:
    """A school imported from the register whose office email nobody has added yet."""
    return not school.contact_email
