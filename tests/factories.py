"""Factories for test records: invented people and schools only."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic.auth.service import hash_password
from clinic.models import Booking, Clinic, Partnership, School, Slot, User, normalise_email

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_HASH = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:  # hashing is slow on purpose; do it once per run
        _HASH = hash_password(PASSWORD)
    return _HASH


class Factory:
    def __init__(self, session: Session):
        self.session = session

    def _save(self, obj):
        self.session.add(obj)
        self.session.commit()
        return obj

    def partnership(self, name: str | None = None, **fields) -> Partnership:
        """A new partnership (tests of keeping partnerships apart make a second one)."""
        n = next(_counter)
        defaults = dict(name=name or f"Partnership {n}", slug=f"partnership-{n}")
        return self._save(Partnership(**(defaults | fields)))

    def default_partnership(self) -> Partnership:
        """The partnership every record goes into unless a test says otherwise: the
        migration's "Default partnership" when the database has it, else the first."""
        found = self.session.scalar(select(Partnership).order_by(Partnership.id).limit(1))
        return found or self.partnership("Default partnership", slug="default")

    def school(self, name: str = "Oakfield Primary School", **fields) -> School:
        n = next(_counter)
        if "partnership" not in fields and "partnership_id" not in fields:
            fields["partnership"] = self.default_partnership()
        defaults = dict(
            name=name,
            urn=f"{100000 + n:06d}",
            address="1 School Lane",
            town="Exampleton",
            postcode="EX1 1AA",
            slug=f"{name.lower().replace(' ', '-')}-{n}",
            contact_email=f"office{n}@school.example.org",
        )
        return self._save(School(**(defaults | fields)))

    def user(self, role: str = "officer", schools=(), **fields) -> User:
        n = next(_counter)
        defaults = dict(
            email=f"staff{n}@example.org",
            name=f"Staff Member {n}",
            role=role,
            password_hash=_password_hash(),
            active=True,
        )
        if role != "owner" and "partnership" not in fields and "partnership_id" not in fields:
            school = fields.get("school") or (schools[0] if schools else None)
            fields["partnership"] = school.partnership if school else self.default_partnership()
        user = User(**(defaults | fields))
        user.schools = list(schools)
        return self._save(user)

    def clinic(
        self,
        school: School,
        officer: User,
        *,
        days_ahead: int = 14,
        status="published",
        slots: int = 4,
        capacity: int = 1,
        length_minutes: int = 15,
        **fields,
    ) -> Clinic:
        day = (datetime.now(UTC) + timedelta(days=days_ahead)).date()
        start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
        clinic = Clinic(
            school=school,
            officer=officer,
            title=fields.pop("title", "Parental controls clinic"),
            description=fields.pop("description", "Bring your child's devices."),
            venue=fields.pop("venue", "School library"),
            date=day,
            status=status,
            booking_opens_at=datetime.now(UTC) - timedelta(days=1),
            booking_closes_at=start - timedelta(hours=24),
            **fields,
        )
        for i in range(slots):
            begins = start + timedelta(minutes=i * length_minutes)
            clinic.slots.append(
                Slot(
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=length_minutes),
                    capacity=capacity,
                )
            )
        return self._save(clinic)

    def booking(self, slot: Slot, *, email: str | None = None, **fields) -> Booking:
        n = next(_counter)
        email = email or f"parent{n}@example.net"
        booking = Booking(
            reference=fields.pop("reference", f"T{n:07d}"),
            clinic_id=slot.clinic_id,
            slot=slot,
            parent_name=fields.pop("parent_name", f"Parent {n}"),
            email=email,
            email_normalised=normalise_email(email),
            child_years=fields.pop("child_years", ["Year 4"]),
            topics=fields.pop("topics", ["roblox"]),
            consent_at=datetime.now(UTC),
            consent_version="2026-11",
            **fields,
        )
        if booking.status in (None, "confirmed"):
            slot.booked += 1
        return self._save(booking)
