"""Emails to a parent about their booking, each with the booking's own calendar event.

``clinic.invites`` builds the invite (pure); this module fills it from the booking and
queues the email through the outbox, for booking, manage, waitlist, schedule and followup.

Every email about one booking goes through ``send_booking_email`` so the rules of design
rule 3 hold in one place: the booking's UID for life, its current SEQUENCE (callers raise
``booking.sequence`` when something changes), METHOD:REQUEST while it stands and
METHOD:CANCEL once it is cancelled; only this parent as ATTENDEE (rule 6).

A household that ticked "Also send me text messages" (``texts``, with a UK mobile as its
``phone``) gets a short text beside each of these emails: ``send_booking_text`` (and
``send_household_text`` for a waiting-list place), queued through the same outbox.

Each email and invite is in the household's language (``Booking.language``, issue 17):
the subject, the bodies, the invite's SUMMARY and DESCRIPTION (with LANGUAGE) and the
links, which open the pages in that language.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import DetachedInstanceError

from .i18n import current_language
from .invites.bring import BringList, bring_for
from .invites.calendar import Person, build_invite
from .invites.events import Place, Wording, booking_event
from .invites.links import CalendarLinks, calendar_links
from .links import manage_token, parent_url
from .localtime import zone_name
from .models import Booking, Clinic, OutboxMessage, School, WaitlistEntry
from .outbox.queue import Subject, queue_email, queue_text
from .partnership import settings_for


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


def organizer(school: School | None = None) -> Person:
    """The service's own address organises every invite (replies reach the team), under
    the sender name of the school's partnership (``clinic.partnership.settings_for``)."""
    sender = (
        settings_for(school.partnership).sender
        if school is not None
        else current_app.config["MAIL_DEFAULT_SENDER"]
    )
    name, address = parseaddr(sender)
    return Person(email=address, name=name or None)


def place_of(clinic: Clinic) -> Place:
    school = clinic.school
    return place_at(school.name, clinic.venue, school.address, school.town, school.postcode)


def place_at(
    school_name: str, venue: str | None, address: str | None, town: str | None, postcode: str
) -> Place:
    """``place_of`` from the columns themselves (a feed's rows, read without objects)."""
    return Place(
        school_name=school_name,
        venue=venue or "",
        address=", ".join(p for p in (address, town) if p),
        postcode=postcode,
    )


def manage_url(booking: Booking) -> str:
    """The parent's link to their booking, opening the page in the booking's language."""
    return parent_url("manage.show", language=booking.language, token=manage_token(booking))


def delete_url(booking: Booking) -> str:
    """The parent's link to delete their details (``clinic.privacy``), which every email
    about the booking carries, as the privacy notice promises."""
    return parent_url(
        "privacy.delete_booking", language=booking.language, token=manage_token(booking)
    )


@dataclass(frozen=True)
class AddToCalendar:
    """The links beside the invite: Google's and Outlook's (only the title, time and place:
    ``clinic.invites.links``) and the parent's own calendar file (``manage.invite``)."""

    google: str
    outlook: str
    ics: str


def add_to_calendar(booking: Booking, *, language: str | None = None) -> AddToCalendar:
    """The links for the booking, worded in ``language`` (the email's; by default the
    page's).  The Google and Outlook links hold nothing of the parent's: they carry the
    invite's title and the place, and its heading as details."""
    with force_locale(language or current_language()):
        wording = invite_wording()
        clinic, slot = booking.clinic, booking.slot
        place = place_of(clinic)
        names = {"title": clinic.title, "school": place.school_name}
        links: CalendarLinks = calendar_links(
            title=wording.summary % names,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            location=place.one_line(),
            details=wording.heading % names,
        )
        ics = parent_url("manage.invite", token=manage_token(booking))
    return AddToCalendar(google=links.google, outlook=links.outlook, ics=ics)


def invite_wording() -> Wording:
    """The invite's sentences in the language being written (``force_locale``)."""
    return Wording(
        language=current_language(),
        # Translators: the calendar entry's title: the clinic's title, then the school.
        summary=_("%(title)s – %(school)s"),
        heading=_("%(title)s at %(school)s."),
        reference=_("Booking reference: %(reference)s."),
        bring=_("What to bring:"),
        manage=_("To change or cancel your booking: %(url)s"),
        cancelled=_("This booking has been cancelled (%(title)s at %(school)s)."),
    )


def booking_ics(
    booking: Booking, *, method: str = "REQUEST", bring: BringList | None = None
) -> bytes:
    """The parent's invite: REQUEST while the booking stands, CANCEL once cancelled; in
    the booking's language.  ``bring``: what the email beside it already read."""
    with force_locale(booking.language):
        return _booking_ics(booking, method, bring)


def _booking_ics(booking: Booking, method: str, bring: BringList | None) -> bytes:
    slot, clinic = booking.slot, booking.clinic
    event = booking_event(
        uid=booking.uid,
        sequence=booking.sequence,
        title=clinic.title,
        place=place_of(clinic),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        parent=Person(email=address_of(booking), name=booking.parent_name),
        organizer=organizer(clinic.school),
        manage_url=manage_url(booking),
        reference=booking.reference,
        bring=_bring(booking, method, bring),
        cancelled=method == "CANCEL",
        wording=invite_wording(),
    )
    return build_invite(event, method=method, timezone=zone_name())


def _bring(booking: Booking, method: str, bring: BringList | None):
    """What the invite lists: nothing on a cancellation, else what the email read."""
    if method == "CANCEL":
        return ()
    return bring if bring is not None else bring_for(_session_of(booking), booking)


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
    subject: Subject,
    kind: str,
    with_invite: bool = True,
    **context,
) -> OutboxMessage:
    """Queue an email to the booking's parent (commits with the caller's change), in the
    booking's language: ``subject`` is a lazy string or a function of no arguments when
    it holds a sentence or a date (``queue_email``).

    ``templates/email/<template>.txt|.html`` get ``booking``, ``clinic``, ``slot``,
    ``school``, ``place``, ``manage_url``, ``delete_url`` (the footer's link to delete
    the parent's details), ``bring`` (what to bring) and, while the booking stands,
    ``add_to_calendar`` (``AddToCalendar``), plus ``context``.
    """
    method = "CANCEL" if booking.status == "cancelled" else "REQUEST"
    clinic = booking.clinic
    bring = bring_for(session, booking)
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
            "delete_url": delete_url(booking),
            "add_to_calendar": (
                add_to_calendar(booking, language=booking.language) if method == "REQUEST" else None
            ),
            "bring": bring,
            **context,
        },
        calendar=(method, booking_ics(booking, method=method, bring=bring))
        if with_invite
        else None,
        language=booking.language,
        partnership_id=clinic.school.partnership_id,
    )


def texts_to(household: Booking | WaitlistEntry) -> str | None:
    """The mobile number to text, or None: only a household that ticked "Also send me
    text messages" (and whose details are not erased) is ever texted."""
    if not household.texts or not household.phone or household.anonymised_at is not None:
        return None
    return household.phone


def send_household_text(
    session: Session,
    household: Booking | WaitlistEntry,
    *,
    template: str,
    kind: str,
    **context,
) -> OutboxMessage | None:
    """Queue a text to the household if it asked for texts (commits with the caller's
    change, like an email); None when it did not.  ``templates/sms/<template>.txt`` is
    written in the household's language, with ``context``."""
    phone = texts_to(household)
    if phone is None:
        return None
    return queue_text(
        session,
        to=phone,
        template=template,
        kind=kind,
        context=context,
        language=household.language,
        partnership_id=household.clinic.school.partnership_id,
    )


def send_booking_text(
    session: Session, booking: Booking, *, template: str, kind: str, **context
) -> OutboxMessage | None:
    """Queue a text about the booking if the household asked for texts (None when not),
    beside ``send_booking_email``: ``templates/sms/<template>.txt`` gets ``booking``,
    ``clinic``, ``slot``, ``school`` and ``manage_url`` (the booking's page, in its
    language), plus ``context``."""
    clinic = booking.clinic
    return send_household_text(
        session,
        booking,
        template=template,
        kind=kind,
        booking=booking,
        clinic=clinic,
        slot=booking.slot,
        school=clinic.school,
        manage_url=manage_url(booking),
        **context,
    )
