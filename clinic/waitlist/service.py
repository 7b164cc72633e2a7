"""The waiting list of a full clinic: joining, offering freed places, claiming, passing on.

**Offered places are held.** When a place frees up, ``place_freed`` takes it with
``take_place`` (so ``Slot.booked`` counts it) in the same transaction that freed it, and
offers it to the first household in line.  Nobody booking from the school page can take
it while the offer stands; claiming turns the held place into the booking, and an offer
that ends unclaimed (``expire_offer``, run by ``flask waitlist expire-offers``) gives the
place back and offers it to the next household.

**How long an offer lasts** (README, "Waiting-list offers").  ``WAITLIST_OFFER_HOURS``
(default 12), but never more than half the time left before booking closes (or the
offered time starts), so the next household still has time if it passes on.  Hours in
``WAITLIST_QUIET_HOURS`` (default 22:00-07:00, clinic time: a parent is asleep) do not
count, neither in the time left nor in the offer, which just runs on past the night.  An
offer that would last under ``SHORTEST_OFFER`` of waking time is not made and the place
goes back on the school page.  Offers are only made while booking is open: a claim is a
booking and keeps the clinic's window.

**The list closes when the clinic starts** (or is cancelled): live entries become
``expired``, with no email (the joining email says we only write again if a place comes
up).  Offering, claiming, leaving and expiring are conditional UPDATEs on the entry's
status, so two requests or two cron runs never offer one place twice or claim one offer
twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit, batch
from ..booking.places import SlotFull, give_back_place, take_place
from ..booking.service import (
    FULL,
    OPEN,
    AlreadyBooked,
    book_place,
    live_booking_exists,
    slot_state,
    tell_already_booked,
)
from ..errors import RuleError
from ..filters import format_date
from ..links import parent_url, waitlist_token
from ..localtime import clinic_zone
from ..models import (
    Booking,
    Clinic,
    Slot,
    User,
    WaitlistEntry,
    household_values,
    utcnow,
)
from ..notices import address_of, place_of, send_household_text
from ..outbox.queue import Subject, queue_email
from ..rows import changed

SHORTEST_OFFER = timedelta(minutes=30)


class WaitlistError(RuleError):
    """A waiting-list step the rules do not allow; ``message`` is shown as it is, in the
    language of the page that asked (translated when raised, so a flash keeps a str)."""

    message = _l("This waiting list is not available.")

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(str(message or self.message), field)


class WaitlistClosed(WaitlistError):
    message = _l("The waiting list for this clinic has closed.")


class PlacesLeft(WaitlistError):
    message = _l("There are still places at this clinic, so you can book one now.")


class AlreadyWaiting(WaitlistError):
    message = _l(
        "This email address is already on the waiting list for this clinic. "
        "We will email you if a place comes up."
    )
    field = "email"


class OfferNotOpen(WaitlistError):
    message = _l("This offer has ended, so the place has been offered to the next family.")


class OfferLostItsSlot(LookupError):
    """An offered entry without the slot whose place it holds (``_held_slot_id``)."""


# --- who may join ----------------------------------------------------------------------

JOIN_OPEN = "open"


def join_state(clinic: Clinic, now: datetime) -> str:
    """Whether a household can join this clinic's list now, as one word.

    ``draft`` (not public), ``closed`` (cancelled, started, or booking closed: no place
    could be offered any more), ``not_open`` (booking has not opened), ``places_left``
    (book instead) or ``open`` (every time still to come is full)."""
    if clinic.status == "draft":
        return "draft"
    if clinic.status == "cancelled" or clinic_started(clinic, now):
        return "closed"
    states = {slot_state(clinic, slot, now) for slot in clinic.slots}
    if OPEN in states:
        return "places_left"
    if "not_open" in states:
        return "not_open"
    if FULL in states:
        return JOIN_OPEN
    return "closed"


def clinic_started(clinic: Clinic, now: datetime) -> bool:
    """The first slot has begun (a clinic with no slots has nothing left to wait for)."""
    starts = [slot.starts_at for slot in clinic.slots]
    return not starts or min(starts) <= now


def join(
    session: Session, clinic: Clinic, details: dict, *, now: datetime | None = None
) -> WaitlistEntry:
    """Put a household on the list of a full clinic and email them that they are on it.

    ``details`` are ``HouseholdForm.values()`` (the parent agreed to the privacy notice).
    Raises ``WaitlistClosed``, ``PlacesLeft``, ``AlreadyWaiting`` or ``AlreadyBooked``."""
    now = now or utcnow()
    state = join_state(clinic, now)
    if state == "places_left":
        raise PlacesLeft()
    if state != JOIN_OPEN:
        raise WaitlistClosed()
    if live_booking_exists(session, clinic.id, details["email"]):
        raise AlreadyBooked()
    entry = WaitlistEntry(
        clinic_id=clinic.id,
        **household_values(details),
        consent_at=now,
        consent_version=current_app.config["CONSENT_VERSION"],
        status="waiting",
        created_at=now,
    )
    try:
        with session.begin_nested():  # the partial unique index: one live entry per household
            session.add(entry)
            session.flush()
    except IntegrityError as exc:
        raise AlreadyWaiting() from exc
    _email(
        session,
        entry,
        clinic,
        template="waitlist_joined",
        subject=lambda: _(
            "You are on the waiting list: %(title)s, %(date)s",
            title=clinic.title,
            date=format_date(clinic.date),
        ),
        position=position(session, entry),
    )
    audit.record(session, "parent", "waitlist.join", entry, school_id=clinic.school_id)
    return entry


def join_or_tell(
    session: Session, clinic: Clinic, details: dict, *, now: datetime | None = None
) -> WaitlistEntry | None:
    """The parent's join form: put the household on the list, or, when its address is
    already in line (waiting or offered) or already has a booking at this clinic, email
    that address its own link instead (``tell_already_waiting``, ``tell_already_booked``).

    The form answers all three the same way ("check your email"), so it tells whoever
    typed the address nothing about it.  Returns the new entry, or None when the holder
    was told (or had been told within the hour).  Raises ``WaitlistClosed`` or
    ``PlacesLeft``, which say nothing about the address; the caller commits."""
    now = now or utcnow()
    try:
        return join(session, clinic, details, now=now)
    except AlreadyBooked:
        tell_already_booked(session, clinic.id, details["email"], now=now)
    except AlreadyWaiting:
        tell_already_waiting(session, clinic, details["email"], now=now)
    return None


ALREADY_WAITING_NOTICE = "waitlist.already_waiting_notice"
# At most one such email per entry in this time, so the form cannot be used to spam.
ALREADY_WAITING_NOTICE_EVERY = timedelta(hours=1)


def tell_already_waiting(
    session: Session, clinic: Clinic, email: str, *, now: datetime | None = None
) -> bool:
    """Someone tried to join again with the address of a household already in this
    clinic's line: that address gets an email with its entry's own link (its place in
    line or its offer) — at most once an hour per entry.  Returns whether the email was
    queued; the caller commits.  The email that said it joined counts as the first notice,
    so a double-clicked Join sends one email, not two."""
    now = now or utcnow()
    entry = session.scalar(WaitlistEntry.live_at(clinic.id, email))
    if entry is None:
        return False
    since = now - ALREADY_WAITING_NOTICE_EVERY
    if entry.created_at > since or audit.recorded_since(
        session, ALREADY_WAITING_NOTICE, entry, since
    ):
        return False
    _email(
        session,
        entry,
        clinic,
        template="waitlist_already_waiting",
        subject=lambda: _("You are already on the waiting list: %(title)s", title=clinic.title),
        position=position(session, entry),
    )
    audit.record(session, "parent", ALREADY_WAITING_NOTICE, entry, school_id=clinic.school_id)
    return True


def position(session: Session, entry: WaitlistEntry) -> int | None:
    """The entry's place in line (1 is next), or None once it has left the line."""
    if not entry.is_live:
        return None
    ahead = session.scalars(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.clinic_id == entry.clinic_id,
            WaitlistEntry.is_live,
            _before(entry),
        )
    ).one()
    return ahead + 1


def _before(entry: WaitlistEntry):
    """Entries that joined before this one (ties broken by id)."""
    return or_(
        WaitlistEntry.created_at < entry.created_at,
        and_(WaitlistEntry.created_at == entry.created_at, WaitlistEntry.id < entry.id),
    )


def entries_for_staff(session: Session, clinic_id: int) -> list[WaitlistEntry]:
    """The whole list, in joining order (live and finished entries alike)."""
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.clinic_id == clinic_id)
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )


# --- offering freed places -------------------------------------------------------------


def offer_hours() -> float:
    """The longest an offer lasts, in hours (``WAITLIST_OFFER_HOURS``)."""
    return current_app.config["WAITLIST_OFFER_HOURS"]


def offer_ends(clinic: Clinic, slot: Slot, now: datetime) -> datetime | None:
    """When an offer of this slot made ``now`` would end, or None when too little waking
    time is left to answer one (module docstring; the README has the rule's table)."""
    deadline = slot.starts_at
    if clinic.booking_closes_at is not None:
        deadline = min(deadline, clinic.booking_closes_at)
    if deadline <= now:
        return None
    window = min(timedelta(hours=offer_hours()), waking_time(now, deadline) / 2)
    if window < SHORTEST_OFFER:
        return None
    return after_waking_time(now, window)


def quiet_hours() -> tuple[time, time] | None:
    """``WAITLIST_QUIET_HOURS`` ("22:00-07:00": from, to, clinic time) or None (unset)."""
    setting = current_app.config.get("WAITLIST_QUIET_HOURS")
    if not setting:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in setting.split("-"))
    return start, end


def _quiet_spells(after: datetime):
    """The quiet spells, oldest first, from the one that may hold ``after`` on (as UTC
    instants: 22:00 and 07:00 are real times on every day, summer-time change included)."""
    hours = quiet_hours()
    if hours is None or hours[0] == hours[1]:
        return
    start, end = hours
    zone = clinic_zone()
    day: date = after.astimezone(zone).date() - timedelta(days=1)
    while True:
        begins = datetime.combine(day, start, tzinfo=zone)
        ends = datetime.combine(day + timedelta(days=1 if end < start else 0), end, tzinfo=zone)
        # In UTC: Python adds and compares times of one zone by their wall clocks.
        yield begins.astimezone(UTC), ends.astimezone(UTC)
        day += timedelta(days=1)


def waking_time(start: datetime, end: datetime) -> timedelta:
    """The time from ``start`` to ``end`` less the quiet hours in it."""
    left = end - start
    for begins, ends in _quiet_spells(start):
        if begins >= end:
            break
        left -= max(timedelta(0), min(ends, end) - max(begins, start))
    return left


def after_waking_time(start: datetime, waking: timedelta) -> datetime:
    """The instant ``waking`` of waking time after ``start`` (a quiet spell is skipped)."""
    at = start
    for begins, ends in _quiet_spells(start):
        if ends <= at:
            continue
        if begins > at:
            if at + waking <= begins:
                return at + waking
            waking -= begins - at
        at = ends
    return at + waking  # no quiet hours set


def place_freed(
    session: Session, clinic_id: int, *, now: datetime | None = None
) -> list[WaitlistEntry]:
    """Offer each free place of the clinic to the household first in line, holding it.

    Called in the transaction that freed a place (cancel, move, declined or expired
    offer) and by the cron command, which catches places freed any other way."""
    now = now or utcnow()
    clinic = session.get(Clinic, clinic_id)
    offers: list[WaitlistEntry] = []
    if clinic is None or list_closed(clinic, now):
        return offers
    while (entry := _first_waiting(session, clinic_id)) is not None:
        found = _slot_to_offer(clinic, now)
        if found is None:
            break
        slot, ends = found
        if _offer(session, clinic, entry, slot, ends, now):
            offers.append(entry)
    return offers


def _first_waiting(session: Session, clinic_id: int) -> WaitlistEntry | None:
    return session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.clinic_id == clinic_id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(1)
    )


def _slot_to_offer(clinic: Clinic, now: datetime) -> tuple[Slot, datetime] | None:
    """The earliest time with a free place that can still be offered for long enough, and
    when its offer ends."""
    for slot in clinic.slots:
        if slot_state(clinic, slot, now) == OPEN and (ends := offer_ends(clinic, slot, now)):
            return slot, ends
    return None


def _offer(
    session: Session,
    clinic: Clinic,
    entry: WaitlistEntry,
    slot: Slot,
    expires: datetime,
    now: datetime,
) -> bool:
    """Hold a place in ``slot`` and offer it to ``entry`` until ``expires``; False if
    another request got there first (the place was taken, or the entry was offered one)."""
    try:
        take_place(session, slot.id)
    except SlotFull:
        return False  # the slot's count is reloaded: the caller picks another time
    offered = session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == "waiting")
        .values(status="offered", offered_at=now, offered_slot_id=slot.id, offer_expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    if changed(offered) != 1:
        give_back_place(session, slot.id)
        session.expire(entry)
        return False
    session.refresh(entry)
    _email(
        session,
        entry,
        clinic,
        template="waitlist_offer",
        subject=lambda: _(
            "A place has come up: %(title)s, %(date)s",
            title=clinic.title,
            date=format_date(slot.starts_at),
        ),
        slot=slot,
    )
    _text(session, entry, clinic, template="waitlist_offer", slot=slot)
    audit.record(
        session,
        "system",
        "waitlist.offer",
        entry,
        school_id=clinic.school_id,
        slot_id=slot.id,
        expires_at=expires.isoformat(),
    )
    return True


# --- the household's answer ------------------------------------------------------------


def _held_slot_id(entry: WaitlistEntry) -> int:
    """The slot an offered entry holds a place in.

    ``_offer`` sets it with the status, ``return_to_line`` clears both, and the slot
    cannot be removed meanwhile (``remove_slot`` refuses a slot with places taken, the held
    one included).  The database alone would allow it (the column is SET NULL when its slot
    goes), so an offer without it is an error here, not a place given back to no slot."""
    if entry.offered_slot_id is None:
        raise OfferLostItsSlot(f"Waiting-list entry {entry.id} is offered no slot")
    return entry.offered_slot_id


def offer_is_open(entry: WaitlistEntry, now: datetime) -> bool:
    """The household may still claim its offer (the cron may not have ended it yet).

    An offer always has its end (``_offer`` sets both); one without would be no more open
    here than in ``claim``'s query, where NULL > now is not true."""
    return (
        entry.status == "offered"
        and entry.offer_expires_at is not None
        and entry.offer_expires_at > now
    )


def claim(session: Session, entry: WaitlistEntry, *, now: datetime | None = None) -> Booking:
    """Turn an open offer into a booking (with its confirmation email and invite).

    The held place is given back and taken again by ``book_place`` in this one
    transaction, so nobody can take it in between.  A repeated claim (double click)
    returns the booking the first one made.  Raises ``OfferNotOpen``, or a
    ``BookingError`` from ``book_place`` (the caller rolls back)."""
    now = now or utcnow()
    claimed = session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.id == entry.id,
            WaitlistEntry.status == "offered",
            WaitlistEntry.offer_expires_at > now,
        )
        .values(status="claimed")
        .execution_options(synchronize_session=False)
    )
    session.refresh(entry)
    if changed(claimed) != 1:
        if entry.status == "claimed" and entry.booking_id is not None:
            return session.get_one(Booking, entry.booking_id)
        raise OfferNotOpen()
    slot_id = _held_slot_id(entry)
    give_back_place(session, slot_id)
    booking = book_place(
        session,
        slot_id=slot_id,
        details=entry.household(),
        submission_id=f"waitlist-{entry.id}",
        now=now,
    )
    entry.booking_id = booking.id
    audit.record(
        session,
        "parent",
        "waitlist.claim",
        entry,
        school_id=entry.clinic.school_id,
        booking_id=booking.id,
    )
    return booking


def leave(
    session: Session, entry: WaitlistEntry, *, actor="parent", now: datetime | None = None
) -> None:
    """Take the household off the list; a place it was offered goes to the next in line.

    Raises ``WaitlistError`` when the entry has already left the line."""
    now = now or utcnow()
    if not _end_entry(session, entry, "removed"):
        raise WaitlistError(_("You are no longer on this waiting list."))
    audit.record(session, actor, "waitlist.leave", entry, school_id=entry.clinic.school_id)
    place_freed(session, entry.clinic_id, now=now)


def return_to_line(session: Session, entry: WaitlistEntry) -> None:
    """An offer that could not be booked (the clinic changed): back to waiting, same place
    in line, the held place given back."""
    if entry.status != "offered":
        return
    give_back_place(session, _held_slot_id(entry))
    entry.status = "waiting"
    entry.offered_at = entry.offered_slot_id = entry.offer_expires_at = None
    audit.record(
        session, "system", "waitlist.back_in_line", entry, school_id=entry.clinic.school_id
    )


def _end_entry(session: Session, entry: WaitlistEntry, status: str, *, expired_by=None) -> bool:
    """Move a live entry to ``status``, giving back a place it held; False if it had
    already left the line.  ``expired_by``: only an offer that ended by then."""
    if not entry.is_live:
        return False
    held_slot_id = entry.offered_slot_id if entry.status == "offered" else None
    condition = [WaitlistEntry.id == entry.id, WaitlistEntry.status == entry.status]
    if expired_by is not None:
        condition.append(WaitlistEntry.offer_expires_at <= expired_by)
    ended = session.execute(
        update(WaitlistEntry)
        .where(*condition)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    session.refresh(entry)
    if changed(ended) != 1:
        return False
    if held_slot_id is not None:
        give_back_place(session, held_slot_id)
    return True


# --- the cron command's steps ----------------------------------------------------------


def ended_offers(session: Session, now: datetime) -> list[int]:
    """Offers whose time ran out (ids, oldest first)."""
    return list(
        session.scalars(
            select(WaitlistEntry.id)
            .where(WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at <= now)
            .order_by(WaitlistEntry.offer_expires_at, WaitlistEntry.id)
        )
    )


def expire_offer(session: Session, entry_id: int, *, now: datetime | None = None) -> bool:
    """End an unclaimed offer and pass the place on; False if it was claimed meanwhile."""
    now = now or utcnow()
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.status != "offered":
        return False
    if not _end_entry(session, entry, "expired", expired_by=now):
        return False
    audit.record(
        session, "system", "waitlist.offer_expired", entry, school_id=entry.clinic.school_id
    )
    place_freed(session, entry.clinic_id, now=now)
    return True


def clinics_with_live_entries(session: Session) -> list[int]:
    """The ids of clinics with someone still in line."""
    ids = select(WaitlistEntry.clinic_id).where(WaitlistEntry.is_live).distinct()
    return list(session.scalars(select(Clinic.id).where(Clinic.id.in_(ids)).order_by(Clinic.id)))


def list_closed(clinic: Clinic, now: datetime) -> bool:
    """The list closes when the clinic starts, or when it is cancelled."""
    return clinic.status == "cancelled" or clinic_started(clinic, now)


def close_list(session: Session, clinic: Clinic, *, now: datetime | None = None) -> int:
    """Close a clinic's list: every live entry expires (no email). Returns how many."""
    closed = 0
    for entry in live_entries(session, clinic.id):
        if _end_entry(session, entry, "expired"):
            audit.record(session, "system", "waitlist.closed", entry, school_id=clinic.school_id)
            closed += 1
    return closed


def live_entries(session: Session, clinic_id: int) -> list[WaitlistEntry]:
    """The households still in the clinic's line, in joining order."""
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.clinic_id == clinic_id, WaitlistEntry.is_live)
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )


def live_count(session: Session, clinic_id: int) -> int:
    """How many households are in the clinic's line."""
    return session.scalars(
        select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.clinic_id == clinic_id, WaitlistEntry.is_live
        )
    ).one()


def clinic_cancelled(session: Session, clinic: Clinic, *, actor: User, reason: str) -> int:
    """The clinic is cancelled: each household still in line leaves it (a held place goes
    with the clinic's) and is told why, with the school's other clinics.  Returns how many."""
    told = 0
    for entry in live_entries(session, clinic.id):
        if not _end_entry(session, entry, "removed"):
            continue  # left the line a moment ago
        if entry.email:  # an anonymised entry has nobody left to tell
            _email(
                session,
                entry,
                clinic,
                template="waitlist_clinic_cancelled",
                subject=lambda: _("Clinic cancelled – %(school)s", school=clinic.school.name),
                reason=reason,
                other_clinics_url=parent_url(
                    "booking.school_page", language=entry.language, slug=clinic.school.slug
                ),
            )
            _text(
                session,
                entry,
                clinic,
                template="waitlist_clinic_cancelled",
                other_clinics_url=parent_url(
                    "booking.school_page", language=entry.language, slug=clinic.school.slug
                ),
            )
        audit.record(
            session,
            actor,
            "waitlist.remove",
            entry,
            school_id=clinic.school_id,
            because="clinic cancelled",
        )
        told += 1
    return told


@dataclass
class WaitlistCounts:
    passed_on: int = 0
    offered: int = 0
    closed: int = 0
    run: batch.Run = field(default_factory=lambda: batch.Run("waitlist expire-offers"))

    def __str__(self) -> str:
        text = (
            f"Offers passed on: {self.passed_on}. New offers: {self.offered}. "
            f"Taken off closed lists: {self.closed}."
        )
        return f"{text} Failed: {len(self.run.failed)}." if self.run.failed else text


def run_due_steps(session: Session, *, now: datetime | None = None) -> WaitlistCounts:
    """What the cron command does, one commit per step so a failure loses nothing done:
    end unclaimed offers (passing each place on), close the lists of clinics that have
    started or been cancelled, and offer any free place the other paths did not.  A step
    that fails is logged and skipped (``counts.run.failed``); the others are done."""
    now = now or utcnow()
    counts = WaitlistCounts()
    ended = ended_offers(session, now)
    session.commit()
    counts.run.each(session, "waitlist entry", ended, lambda s, i: expire_offer(s, i, now=now))
    counts.passed_on = counts.run.done

    def tidy_clinic(session: Session, clinic_id: int) -> tuple[int, int]:
        """(entries taken off a closed list, offers made)"""
        clinic = session.get_one(Clinic, clinic_id)
        if list_closed(clinic, now):
            return close_list(session, clinic, now=now), 0
        return 0, len(place_freed(session, clinic.id, now=now))

    clinic_ids = clinics_with_live_entries(session)
    session.commit()
    for closed, offered in counts.run.each(session, "clinic", clinic_ids, tidy_clinic):
        counts.closed += closed
        counts.offered += offered
    return counts


# --- emails and texts -----------------------------------------------------------------


def _text(session: Session, entry: WaitlistEntry, clinic: Clinic, *, template: str, **ctx) -> None:
    """A text beside the email, if the household asked for texts, with the same link."""
    send_household_text(
        session,
        entry,
        template=template,
        kind=template,
        entry=entry,
        clinic=clinic,
        school=clinic.school,
        link=parent_url("waitlist.offer", language=entry.language, token=waitlist_token(entry)),
        **ctx,
    )


def _email(
    session: Session,
    entry: WaitlistEntry,
    clinic: Clinic,
    *,
    template: str,
    subject: Subject,
    **ctx,
) -> None:
    """An email to the household about its place in line, with its own signed link, in
    the language it joined in."""
    queue_email(
        session,
        to=address_of(entry),
        subject=subject,
        template=template,
        kind=template,
        context={
            "entry": entry,
            "clinic": clinic,
            "school": clinic.school,
            "place": place_of(clinic),
            "link": parent_url(
                "waitlist.offer", language=entry.language, token=waitlist_token(entry)
            ),
            "delete_url": parent_url(
                "privacy.delete_waitlist_entry",
                language=entry.language,
                token=waitlist_token(entry),
            ),
            **ctx,
        },
        language=entry.language,
        partnership_id=clinic.school.partnership_id,
    )
