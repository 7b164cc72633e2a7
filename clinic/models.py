"""The tables of the service (SQLAlchemy 2 typed models).

Times are stored in UTC (``UTCDateTime`` hands back aware datetimes); the clinic's local
time zone is only applied when showing a time or writing a calendar.  Constraints that
the design's rules depend on live in the database, not only in the code.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    select,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import Model, db
from .text import lines, one_line

# The largest id an INTEGER column holds on both engines: a bigger one names no record
# (PostgreSQL would refuse to compare it, SQLite's driver to send it).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uid(kind: str) -> str:
    """A calendar UID that never changes for the life of the event (rule 3)."""
    return f"{kind}-{uuid.uuid4()}@clinics.safer-schools"


def normalise_email(email: str) -> str:
    return email.strip().lower()


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC; refuses naive datetimes so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class OneLine(TypeDecorator):
    """A single line of text (a name, a title, an address): whatever writes it — the ORM, a
    Core INSERT or UPDATE, a form, a CLI command — line breaks and control characters are
    turned into spaces first (``clinic.text.one_line``), so none can be stored."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return one_line(value)


class Lines(TypeDecorator):
    """Text that may run over several lines: line breaks kept as ``\\n``, every other
    control character removed (``clinic.text.lines``)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return lines(value)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# "owner": the service owner, who makes partnerships and their first coordinator and belongs to
# none; "admin": a partnership's coordinator.  Everyone but the owner belongs to one partnership.
ROLES = ("owner", "admin", "officer", "school")
# The roles of a partnership's staff: every staff page that shows a family's data is theirs
# alone (the owner sees none).
PARTNERSHIP_ROLES = ("admin", "officer", "school")
CLINIC_STATUSES = ("draft", "published", "cancelled")
# "withdrawn": never to be sent (its person erased their details before it went).
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "withdrawn")
# How an outbox message goes: an email, or a text message through GOV.UK Notify.
OUTBOX_CHANNELS = ("email", "sms")

# A booking is live (holds its place; rule 2: one per household and clinic) until it is
# cancelled.  Once marked attended or no-show its clinic has happened for it.
BOOKING_STATUSES = ("confirmed", "cancelled", "attended", "no_show")
MARKED_BOOKING_STATUSES = ("attended", "no_show")
LIVE_BOOKING_STATUSES = ("confirmed", *MARKED_BOOKING_STATUSES)
LIVE_BOOKING = "status <> 'cancelled'"  # the SQL of the partial unique index
# A waiting-list entry is live (in the line, one per household and clinic) while waiting
# or holding an offer; it ends claimed (booked), expired or removed.
WAITLIST_STATUSES = ("waiting", "offered", "claimed", "expired", "removed")
LIVE_WAITLIST_STATUSES = ("waiting", "offered")
LIVE_WAITLIST = _in("status", LIVE_WAITLIST_STATUSES)


officer_schools = Table(
    "officer_school",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("school.id", ondelete="CASCADE"), primary_key=True),
)


class Partnership(Model):
    """The organisation that runs clinics: a Safeguarding Children Partnership, a force, a
    council.  It owns its schools (and through them their clinics and bookings) and its
    staff, and is the data controller for the families who book with it.  Migration 0017
    moved an installation's existing schools and staff into one."""

    __tablename__ = "partnership"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(OneLine(200), unique=True)
    slug: Mapped[str] = mapped_column(OneLine(80), unique=True)
    # Its own settings, set by its coordinator; blank (or None) means the installation's
    # setting of the same purpose (config.py: DATA_CONTROLLER, LAWFUL_BASIS,
    # PRIVACY_CONTACT_EMAIL, ACCESSIBILITY_CONTACT_*, MAIL_DEFAULT_SENDER's name,
    # MAIL_REPLY_TO, PRIVACY_KEEP_DAYS, LANGUAGES, NOTIFY_API_KEY).
    data_controller: Mapped[str] = mapped_column(OneLine(200), default="", server_default="")
    lawful_basis: Mapped[str] = mapped_column(String(30), default="", server_default="")
    privacy_email: Mapped[str] = mapped_column(OneLine(254), default="", server_default="")
    privacy_phone: Mapped[str] = mapped_column(OneLine(40), default="", server_default="")
    accessibility_email: Mapped[str] = mapped_column(OneLine(254), default="", server_default="")
    accessibility_phone: Mapped[str] = mapped_column(OneLine(40), default="", server_default="")
    sender_name: Mapped[str] = mapped_column(OneLine(100), default="", server_default="")
    reply_to: Mapped[str] = mapped_column(OneLine(254), default="", server_default="")
    retention_days: Mapped[int | None] = mapped_column(Integer)
    # Language codes offered to its parents, space-separated ("en cy"); blank: LANGUAGES.
    languages: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Its GOV.UK Notify API key, encrypted at rest; blank: the installation's NOTIFY_API_KEY.
    notify_api_key: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("name <> ''", name="name_not_empty"),
        CheckConstraint("slug <> ''", name="slug_not_empty"),
    )

    schools: Mapped[list[School]] = relationship(back_populates="partnership")

    def __repr__(self) -> str:
        return f"<Partnership {self.slug}>"


class School(Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(OneLine(200))
    urn: Mapped[str] = mapped_column(OneLine(6), unique=True)
    address: Mapped[str] = mapped_column(Lines, default="")
    town: Mapped[str] = mapped_column(OneLine(100), default="")
    postcode: Mapped[str] = mapped_column(OneLine(8))
    slug: Mapped[str] = mapped_column(OneLine(80), unique=True)
    contact_email: Mapped[str] = mapped_column(OneLine(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("length(urn) = 6", name="urn_six_digits"),
        CheckConstraint("slug <> ''", name="slug_not_empty"),
    )

    officers: Mapped[list[User]] = relationship(
        secondary=officer_schools, back_populates="schools", order_by="User.name"
    )
    clinics: Mapped[list[Clinic]] = relationship(back_populates="school")
    partnership: Mapped[Partnership] = relationship(back_populates="schools")

    def __repr__(self) -> str:
        return f"<School {self.slug}>"


class User(UserMixin, Model):
    """A staff account. Parents have no account."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(OneLine(254), unique=True)
    name: Mapped[str] = mapped_column(OneLine(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"))
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="RESTRICT"), index=True
    )
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role_known"),
        # School staff belong to exactly one school; nobody else is tied to one.
        CheckConstraint(
            "(role = 'school') = (school_id IS NOT NULL)", name="school_staff_have_school"
        ),
        # The service owner belongs to no partnership; everyone else to exactly one.
        CheckConstraint(
            "(role = 'owner') = (partnership_id IS NULL)", name="staff_have_partnership"
        ),
    )

    school: Mapped[School | None] = relationship(foreign_keys=[school_id])
    partnership: Mapped[Partnership | None] = relationship()
    schools: Mapped[list[School]] = relationship(
        secondary=officer_schools, back_populates="officers", order_by="School.name"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Clinic(Model):
    __tablename__ = "clinic"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="RESTRICT"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(OneLine(200))
    description: Mapped[str] = mapped_column(Lines, default="")
    venue: Mapped[str] = mapped_column(Lines, default="")
    date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    booking_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str | None] = mapped_column(Lines)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The attendance list last emailed to the school: when, and the booking ids it held.
    list_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    list_sent_booking_ids: Mapped[list] = mapped_column(JSON, default=list)
    # "Send to school now" was pressed: the worker sends the list (building the PDF takes a
    # while for a big clinic, so the button does not wait) and clears these.
    list_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    list_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    uid: Mapped[str] = mapped_column(String(120), unique=True, default=lambda: new_uid("clinic"))
    # Raised on every change parents or the officer's calendar must hear about (rule 3).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Optimistic locking: an edit based on an old version fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("status", CLINIC_STATUSES), name="status_known"),
        CheckConstraint(
            "booking_opens_at IS NULL OR booking_closes_at IS NULL"
            " OR booking_closes_at > booking_opens_at",
            name="booking_window_order",
        ),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
    )

    school: Mapped[School] = relationship(back_populates="clinics")
    officer: Mapped[User] = relationship(foreign_keys=[officer_id])
    slots: Mapped[list[Slot]] = relationship(
        back_populates="clinic", order_by="Slot.starts_at", cascade="all, delete-orphan"
    )


class Slot(Model):
    __tablename__ = "slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    # Places taken: confirmed bookings plus places held for a waiting-list offer. Changed
    # only by clinic.booking.places, in the same statement that checks capacity (rule 1).
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    clinic: Mapped[Clinic] = relationship(back_populates="slots")

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked, 0)


HOUSEHOLD_FIELDS = (
    "parent_name",
    "email",
    "phone",
    "texts",
    "child_years",
    "topics",
    "other_topic",
    "access_needs",
    "language",
    "interpreter_language",
    "interpreter_other",
)


def household_values(details: Mapping) -> dict:
    """The household's answers (``HouseholdForm.values()``, or another record's
    ``household()``) as the columns store them, with the email normalised for rule 2."""
    values = {name: details.get(name) for name in HOUSEHOLD_FIELDS}
    values["child_years"] = list(values["child_years"] or [])
    values["topics"] = list(values["topics"] or [])
    values["language"] = values["language"] or "en"
    values["texts"] = bool(values["texts"] and values["phone"])
    values["email_normalised"] = normalise_email(values["email"]) if values["email"] else None
    return values


class Household:
    """A household's own answers, the same on a booking and on a waiting-list entry (a
    claimed offer becomes a booking with them). No child's name is ever asked for."""

    parent_name: Mapped[str | None] = mapped_column(OneLine(200))
    email: Mapped[str | None] = mapped_column(OneLine(254))
    email_normalised: Mapped[str | None] = mapped_column(OneLine(254))
    phone: Mapped[str | None] = mapped_column(OneLine(32))
    # The household ticked "Also send me text messages": ``phone`` is then a UK mobile, and
    # the messages about its booking or place go to it as texts too (``clinic.notices``).
    texts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    child_years: Mapped[list] = mapped_column(JSON, default=list)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    other_topic: Mapped[str | None] = mapped_column(OneLine(200))
    access_needs: Mapped[str | None] = mapped_column(Lines)
    # The language the household chose (clinic/i18n.py): every email and invite to it is
    # written in this language, whoever sends it.
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    # An interpreter the household asked for: a code of ``booking.choices.INTERPRETER_LANGUAGES``
    # ("other": the language is typed in ``interpreter_other``); None when none is needed.
    interpreter_language: Mapped[str | None] = mapped_column(String(20))
    interpreter_other: Mapped[str | None] = mapped_column(OneLine(100))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    if TYPE_CHECKING:
        # Each kind of record maps these itself (``live_at`` below queries them): its own
        # foreign key to the clinic, and its own idea of live.  Declared for mypy only, so
        # the mixin maps no column of its own.
        clinic_id: Mapped[int]
        is_live: hybrid_property[bool]

    def household(self) -> dict:
        """The answers, as ``household_values`` and ``book_place`` take them."""
        return {name: getattr(self, name) for name in HOUSEHOLD_FIELDS}

    @classmethod
    def live_at(cls, clinic_id: int, email: str):
        """The query for this household's live record of this kind at the clinic (rule 2:
        there is at most one)."""
        return select(cls).where(
            cls.clinic_id == clinic_id,
            cls.email_normalised == normalise_email(email),
            cls.is_live,
        )


class Booking(Household, Model):
    """One household in one slot."""

    __tablename__ = "booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="RESTRICT"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="RESTRICT"), index=True)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="confirmed")
    uid: Mapped[str] = mapped_column(String(120), unique=True, default=lambda: new_uid("booking"))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # The id of the form submission that made it: a double-clicked submit finds this booking.
    submission_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Still coming?" (clinic/booking/still_coming.py): when the family was asked, and
    # their answer ("yes", or "no": they gave their place back) and when they gave it.
    still_coming_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    still_coming_answer: Mapped[str | None] = mapped_column(String(3))
    still_coming_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When (and by whom) the officer marked the household's interpreter arranged.
    interpreter_arranged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interpreter_arranged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL")
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), name="status_known"),
        CheckConstraint(
            "still_coming_answer IS NULL OR still_coming_answer IN ('yes', 'no')",
            name="still_coming_answer_known",
        ),
        # Rule 2: one household, one live booking per clinic.
        Index(
            "uq_booking_live_household",
            "clinic_id",
            "email_normalised",
            unique=True,
            sqlite_where=text(LIVE_BOOKING),
            postgresql_where=text(LIVE_BOOKING),
        ),
    )

    clinic: Mapped[Clinic] = relationship()
    slot: Mapped[Slot] = relationship()
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    checked_in_by: Mapped[User | None] = relationship(foreign_keys=[checked_in_by_id])

    @hybrid_property
    def is_live(self) -> bool:
        """Holds its place (not cancelled); also usable in a query's WHERE."""
        return self.status != "cancelled"


class WaitlistEntry(Household, Model):
    __tablename__ = "waitlist_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offered_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_in("status", WAITLIST_STATUSES), name="status_known"),
        Index(
            "uq_waitlist_live_household",
            "clinic_id",
            "email_normalised",
            unique=True,
            sqlite_where=text(LIVE_WAITLIST),
            postgresql_where=text(LIVE_WAITLIST),
        ),
    )

    clinic: Mapped[Clinic] = relationship()

    @hybrid_property
    def is_live(self) -> bool:
        """Still in the line (waiting, or holding an offer)."""
        return self.status in LIVE_WAITLIST_STATUSES

    @is_live.inplace.expression
    @classmethod
    def _is_live_expression(cls):
        return cls.status.in_(LIVE_WAITLIST_STATUSES)


class OutboxMessage(Model):
    """An email or a text message waiting to be sent, written in the same transaction as
    its cause (rule 4).  A text (``channel`` "sms") has the mobile number (+44…) as its
    recipient and its words in ``text_body``; its ``subject`` only names it for staff."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(5), default="email", server_default="email")
    kind: Mapped[str] = mapped_column(String(50))
    recipient: Mapped[str] = mapped_column(OneLine(254))
    subject: Mapped[str] = mapped_column(OneLine(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # Calendar invite shown inline by mail clients (text/calendar; method=...), if any.
    calendar_method: Mapped[str | None] = mapped_column(String(10))
    calendar_body: Mapped[str | None] = mapped_column(Text)
    # [{"filename", "content_type", "data" (base64)}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When `flask privacy purge` (or an erasure) blanked its recipient, bodies and invite.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whose it is: the partnership of the school, clinic or staff account it is about (its
    # sender name, Reply-To and Notify key; its coordinators see it on "Email problems");
    # none: the installation's own, or the service owner's (issue 21).
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status_known"),
        CheckConstraint(_in("channel", OUTBOX_CHANNELS), name="channel_known"),
    )


class AuditEvent(Model):
    """Who did what to which record, and when."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(OneLine(100))  # "parent", "system", a staff email
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column(Integer)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"))
    # Whose log it is in: the actor's partnership, or the school's; none for the owner's own.
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class SheetPdf(Model):
    """A clinic's sign-in sheet as a PDF, asked for on the list page and built by the outbox
    worker (WeasyPrint takes seconds for a big clinic: no request waits for it).  It holds
    parents' details, so the worker deletes it once the clinic's day is over."""

    __tablename__ = "sheet_pdf"

    clinic_id: Mapped[int] = mapped_column(
        ForeignKey("clinic.id", ondelete="CASCADE"), primary_key=True
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Set by the worker: when it was made, from which list (sheet_digest), and the file.
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


class WalkIn(Model):
    """Someone who came without booking; counted apart from bookings (may exceed capacity)."""

    __tablename__ = "walk_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    parent_name: Mapped[str | None] = mapped_column(OneLine(200))
    child_years: Mapped[list] = mapped_column(JSON, default=list)
    topics: Mapped[list] = mapped_column(JSON, default=list)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Feedback(Model):
    """A parent's two answers after a clinic; kept when the booking is anonymised."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id", ondelete="SET NULL"), unique=True
    )
    useful: Mapped[int] = mapped_column(Integer)  # 1 (not at all) to 5 (very)
    comments: Mapped[str | None] = mapped_column(Lines)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("useful BETWEEN 1 AND 5", name="useful_in_range"),)


class GuidanceLink(Model):
    """Editable advice for one app or device, sent to parents after a clinic.

    Each link is in one language (its title's; the page it opens may be English): a
    household gets its own language's links for a topic, or the English ones when that
    language has none for it (``followup.service.guidance_for``)."""

    __tablename__ = "guidance_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Each partnership has its own links (its coordinators edit them; issue 21).
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str] = mapped_column(String(60), index=True)  # as in the booking form
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    title: Mapped[str] = mapped_column(OneLine(200))
    url: Mapped[str] = mapped_column(OneLine(500))
    position: Mapped[int] = mapped_column(Integer, default=0)


class BookingDraft(Model):
    """A parent's answers between the booking form and its Confirm button, kept here (not
    in the cookie, which only holds this row's random id) so whoever uses the browser next
    cannot read them.  Deleted when the booking is made, when the form is abandoned (a
    new draft replaces it) and by ``flask privacy purge`` once ``expires_at`` has passed."""

    __tablename__ = "booking_draft"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class BringAdvice(Model):
    """What a parent who asked about one topic brings to the clinic: the accounts and
    passwords that device or app needs, one thing per line.  Edited by coordinators on
    the guidance pages; the defaults come with the migrations (0006 English, 0010 the
    other shipped languages).  One row per partnership, topic and language: a language with no row
    (or an empty text) for a topic falls back to English (``invites.bring``)."""

    __tablename__ = "bring_advice"

    # Each partnership has its own texts (its coordinators edit them; issue 21).
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(60), primary_key=True)  # as in the booking form
    language: Mapped[str] = mapped_column(
        String(10), primary_key=True, default="en", server_default="en"
    )
    text: Mapped[str] = mapped_column(Lines, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)
