"""Emails to a parent about their booking, each with the booking's own calendar event.

``clinic.invites`` builds the invite (pure); this module fills it from the booking and
queues the email through the outbox, for booking, manage, waitlist, schedule and followup.

Every email about one booking goes through ``send_booking_email`` so the rules of design
rule 3 hold in one place: the booking's UID for life, its current SEQUENCE (callers raise
``booking.sequence`` when something changes), METHOD:REQUEST while it stands and
METHOD:CANCEL once it is cancelled; only this parent as ATTENDEE (rule 6).
"""

from __future__ import annotations

from email.utils import parseaddr

from flask import current_app
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import DetachedInstanceError

from .invites.bring import bring_for
from .invites.calendar import Person, build_invite
from .invites.events import Place, booking_event
from .links import external_url, manage_token
from .localtime import zone_name
from .models import Booking, Clinic, OutboxMessage, WaitlistEntry
from .outbox.queue import queue_email


class NoAddress(LookupError):
    """An email was asked for a household whose details were erased (``address_of``)."""


def address_of(household: Booking | WaitlistEntry) -> str:
    """The household's email address.

    Every booking and waiting-list place is made with one (the forms require it) and keeps
    it until its details are erased (``clinic.privacy``), which cancels the booking or
    leaves the line first; the column is nullable only for erased records.  So only a
    caller emailing an erased record gets ``NoAddress``."""
    if household.email is None:
        raise NoAddress(f"{type(household).__name__} {household.id} has no email address")
    return household.email


def organizer() -> Person:
    """The service's own address organises every invite (replies reach the team)."""
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return Person(email=address, name=name or None)


def place_of(clinic: Clinic) -> Place:
    school = clinic.school
    return Place(
        school_name=school.name,
        venue=clinic.venue or "",
        address=", ".join(p for p in (school.address, school.town) if p),
        postcode=school.postcode,
    )


def manage_url(booking: Booking) -> str:
    return external_url("manage.show", token=manage_token(booking))


def booking_ics(booking: Booking, *, method: str = "REQUEST") -> bytes:
    """The parent's invite: REQUEST while the booking stands, CANCEL once cancelled."""
    slot, clinic = booking.slot, booking.clinic
    event = booking_event(
        uid=booking.uid,
        sequence=booking.sequence,
        title=clinic.title,
        place=place_of(clinic),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        parent=Person(email=address_of(booking), name=booking.parent_name),
        organizer=organizer(),
        manage_url=manage_url(booking),
        reference=booking.reference,
        bring=() if method == "CANCEL" else bring_for(_session_of(booking), booking),
        cancelled=method == "CANCEL",
    )
    return build_invite(event, method=method, timezone=zone_name())


def _session_of(booking: Booking) -> Session:
    """The session the booking was loaded in (every caller has one: a booking's slot and
    clinic are read through it)."""
    session = object_session(booking)
    if session is None:
        raise DetachedInstanceError(f"Booking {booking.id} is in no session")
    return session


def send_booking_email(
    session: Session,
    booking: Booking,
    *,
    template: str,
    subject: str,
    kind: str,
    with_invite: bool = True,
    **context,
) -> OutboxMessage:
    """Queue an email to the booking's parent (commits with the caller's change).

    ``templates/email/<template>.txt|.html`` get ``booking``, ``clinic``, ``slot``,
    ``school``, ``place``, ``manage_url`` and ``bring`` (what to bring) plus ``context``.
    """
    method = "CANCEL" if booking.status == "cancelled" else "REQUEST"
    clinic = booking.clinic
    return queue_email(
        session,
        to=address_of(booking),
        subject=subject,
        template=template,
        kind=kind,
        context={
            "booking": booking,
            "clinic": clinic,
            "slot": booking.slot,
            "school": clinic.school,
            "place": place_of(clinic),
            "manage_url": manage_url(booking),
            "bring": bring_for(session, booking),
            **context,
        },
        calendar=(method, booking_ics(booking, method=method)) if with_invite else None,
    )
