"""The waiting list: joining a full clinic, offers of freed places (held while offered),
claiming, passing an unclaimed offer on, and closing when the clinic starts."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select
from sqlalchemy import update as sa_update

from clinic.manage import service as manage
from clinic.models import AuditEvent, Booking, Slot, WaitlistEntry, utcnow
from clinic.waitlist import service as waitlist
from clinic.waitlist.cli import waitlist_cli
from tests.helpers import csrf_token
from tests.manage.support import (
    calendar_part,
    fresh_csrf,
    links_in,
    manage_path,
    offer_path,
    path_of,
    post_with_token,
    read_both,
    set_times,
    snapshot,
    subject,
)
from tests.outbox.support import run_cron_as_in_production, statuses

FORM = {
    "parent_name": "Wendy Waiting",
    "email": "Wendy@Example.net ",
    "phone": "07911 123456",
    "child_years": ["Year 2", "Year 5"],
    "topics": ["tiktok", "other"],
    "other_topic": "Fortnite",
    "access_needs": "",
    "consent": "y",
}


def details(n: int) -> dict:
    return {
        "parent_name": f"Waiting Parent {n}",
        "email": f"waiting{n}@example.net",
        "phone": None,
        "child_years": ["Year 3"],
        "topics": ["roblox"],
        "other_topic": None,
        "access_needs": None,
    }


def join(session, clinic, n: int, *, minutes_ago: int = 0) -> WaitlistEntry:
    entry = waitlist.join(
        session, clinic, details(n), now=utcnow() - timedelta(minutes=minutes_ago)
    )
    session.commit()
    return entry


def confirmed(session, clinic) -> list[Booking]:
    return list(
        session.scalars(
            select(Booking).where(Booking.clinic_id == clinic.id, Booking.status == "confirmed")
        )
    )


# --- joining -------------------------------------------------------------------------------


def test_a_parent_joins_the_list_of_a_full_clinic(client, session, smtp, full_clinic):
    path = f"/booking/clinics/{full_clinic.id}/waitlist"
    page = client.get(path)
    assert "Every place at this clinic is booked" in page.get_data(as_text=True)

    response = post_with_token(client, path, data=FORM)

    assert response.status_code == 302
    (entry,) = session.scalars(select(WaitlistEntry))
    assert (entry.status, entry.email, entry.email_normalised) == (
        "waiting",
        "Wendy@Example.net",
        "wendy@example.net",
    )
    assert entry.phone == "+447911123456"
    assert entry.child_years == ["Year 2", "Year 5"] and entry.topics == ["tiktok", "other"]
    assert entry.consent_at is not None
    told = client.get(path_of(response.headers["Location"])).get_data(as_text=True)
    assert "Check your email" in told and "Wendy@Example.net" in told

    (email,) = smtp.to("wendy@example.net")
    assert subject(email).startswith("You are on the waiting list")
    text = email.get_body(("plain",)).get_content()
    assert "You are number 1 in line" in text
    (link,) = [u for u in links_in(email) if offer_path(entry) in u and "/delete" not in u]
    shown = client.get(path_of(link)).get_data(as_text=True)
    assert "You are number <strong>1</strong> in line" in shown
    (audit,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "waitlist.join"))
    assert audit.school_id == full_clinic.school_id


def test_one_live_entry_per_household(client, session, full_clinic):
    path = f"/booking/clinics/{full_clinic.id}/waitlist"
    post_with_token(client, path, data=FORM)
    before = snapshot(session)

    again = post_with_token(client, path, data={**FORM, "email": "WENDY@example.net"})

    assert again.status_code == 302
    assert path_of(again.headers["Location"]) == f"{path}/check-your-email"
    after = snapshot(session)
    assert after["waitlist"] == before["waitlist"]  # nothing new in line


def _what_the_typist_sees(app, clinic, email: str, **more) -> tuple:
    """A fresh visitor joins with this address: the answer to the POST (status, where it
    goes, body) and the page it leads to, with the CSRF token and the address taken out."""
    client = app.test_client()
    path = f"/booking/clinics/{clinic.id}/waitlist"
    page = client.get(path)
    posted = client.post(
        path, data={**FORM, "email": email, **more, "csrf_token": csrf_token(page)}
    )
    shown = client.get(path_of(posted.headers["Location"])) if posted.status_code == 302 else None

    def stripped(response) -> bytes:
        body = response.get_data()
        body = re.sub(rb'name="csrf_token"[^>]*value="[^"]*"', b"CSRF", body)
        body = re.sub(rb'value="[^"]*"[^>]*name="csrf_token"', b"CSRF", body)
        return body.replace(email.strip().encode(), b"EMAIL")

    return (
        posted.status_code,
        posted.headers.get("Location"),
        stripped(posted),
        shown.status_code if shown else None,
        stripped(shown) if shown else None,
    )


def test_the_typist_cannot_tell_whether_an_address_is_waiting_or_booked(
    app, session, smtp, full_clinic
):
    booked = session.scalars(select(Booking).where(Booking.clinic_id == full_clinic.id)).first()
    # joined over an hour ago: the email that said so does not stand for the notice
    waiting = join(session, full_clinic, 1, minutes_ago=90)
    offered = join(session, full_clinic, 2, minutes_ago=80)
    session.execute(
        sa_update(WaitlistEntry)
        .where(WaitlistEntry.id == offered.id)
        .values(
            status="offered",
            offered_at=utcnow(),
            offered_slot_id=full_clinic.slots[0].id,
            offer_expires_at=utcnow() + timedelta(hours=2),
        )
    )
    session.commit()
    smtp.clear()
    before = snapshot(session)

    answers = {
        "new": _what_the_typist_sees(app, full_clinic, "someone.new@example.net"),
        "waiting": _what_the_typist_sees(app, full_clinic, " WAITING1@example.net"),
        "offered": _what_the_typist_sees(app, full_clinic, "waiting2@Example.net"),
        "booked": _what_the_typist_sees(app, full_clinic, booked.email.upper()),
        # a form-filling bot (the hidden field filled in) is answered the same way too
        "bot": _what_the_typist_sees(app, full_clinic, "bot@example.net", website="x"),
    }

    assert len(set(answers.values())) == 1, {k: v[:2] for k, v in answers.items()}
    status, location, _, shown_status, shown = answers["new"]
    assert (status, shown_status) == (302, 200)
    assert location.endswith(f"/booking/clinics/{full_clinic.id}/waitlist/check-your-email")
    text = shown.decode()
    assert "Check your email" in text and "EMAIL" in text
    for telling in (
        "This email address is already on the waiting list",
        "This email address already has a booking",
        "in line</",
        'id="email-error"',
    ):
        assert telling not in text
    assert "/booking/waitlist/" not in text  # no household's own link on the shared page

    # Each holder gets one email with their own link; nothing changed for those told.
    session.expire_all()
    (new_entry,) = [
        e for e in session.scalars(select(WaitlistEntry)) if e.email == "someone.new@example.net"
    ]
    (joined,) = smtp.to("someone.new@example.net")
    assert subject(joined).startswith("You are on the waiting list")
    assert any(offer_path(new_entry) in link for link in links_in(joined))

    (told_waiting,) = smtp.to("waiting1@example.net")
    assert subject(told_waiting).startswith("You are already on the waiting list")
    assert any(offer_path(waiting) in link for link in links_in(told_waiting))
    assert "You are number 1 in line" in told_waiting.get_body(("plain",)).get_content()

    (told_offered,) = smtp.to("waiting2@example.net")
    assert any(offer_path(offered) in link for link in links_in(told_offered))
    assert "A place has come up for you" in told_offered.get_body(("plain",)).get_content()

    (told_booked,) = smtp.to(booked.email)
    assert "already have a place" in subject(told_booked)
    assert any(manage_path(booked) in link for link in links_in(told_booked))

    after = snapshot(session)
    assert after["bookings"] == before["bookings"]
    assert len(after["waitlist"]) == len(before["waitlist"]) + 1  # the bot added nothing
    assert smtp.to("bot@example.net") == []


def test_the_already_waiting_notice_goes_at_most_once_an_hour(app, session, smtp, full_clinic):
    waiting = join(session, full_clinic, 1, minutes_ago=90)
    booked = session.scalars(select(Booking).where(Booking.clinic_id == full_clinic.id)).first()
    smtp.clear()
    for _ in range(3):
        _what_the_typist_sees(app, full_clinic, waiting.email)
        _what_the_typist_sees(app, full_clinic, booked.email)
    assert len(smtp.to(waiting.email)) == 1
    assert len(smtp.to(booked.email)) == 1

    later = utcnow() + timedelta(minutes=61)
    assert waitlist.tell_already_waiting(session, full_clinic, waiting.email, now=later)
    assert not waitlist.tell_already_waiting(session, full_clinic, "nobody@example.net")
    session.rollback()


def test_a_double_clicked_join_sends_one_email(app, session, smtp, full_clinic):
    """The second press finds the entry the first one made: its joined email, moments
    old, already holds the link, so no "already on the list" email follows it."""
    first = _what_the_typist_sees(app, full_clinic, "double.click@example.net")
    second = _what_the_typist_sees(app, full_clinic, "double.click@example.net")
    assert first == second
    (joined,) = smtp.to("double.click@example.net")
    assert subject(joined).startswith("You are on the waiting list")
    entries = session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.email == "double.click@example.net")
    ).all()
    assert len(entries) == 1
    # An hour later the same address typed again is told (once) where its entry is.
    later = utcnow() + timedelta(minutes=61)
    assert waitlist.tell_already_waiting(session, full_clinic, entries[0].email, now=later)
    session.rollback()


def test_bad_answers_are_shown_by_their_fields_and_nothing_is_saved(client, session, full_clinic):
    path = f"/booking/clinics/{full_clinic.id}/waitlist"
    before = snapshot(session)
    response = post_with_token(
        client, path, data={**FORM, "email": "not an email", "consent": "", "child_years": []}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in (
        "Enter an email address in the correct format",
        "Agree to the privacy notice",
        "Select your child's school year",
    ):
        assert message in unescape(html), message
    assert snapshot(session) == before


def test_the_list_is_only_for_a_full_published_clinic_not_yet_started(
    client, session, make, school, officer_user, full_clinic
):
    with_places = make.clinic(school, officer_user)
    draft = make.clinic(school, officer_user, status="draft")
    before = snapshot(session)

    page = client.post(
        f"/booking/clinics/{with_places.id}/waitlist",
        data={**FORM, "csrf_token": fresh_csrf(client)},
    )
    assert "There are still places at this clinic" in page.get_data(as_text=True)
    assert client.get(f"/booking/clinics/{draft.id}/waitlist").status_code == 404
    assert client.get("/booking/clinics/999999/waitlist").status_code == 404
    set_times(session, full_clinic, starts_in=-timedelta(minutes=1))
    closed = client.get(f"/booking/clinics/{full_clinic.id}/waitlist")
    assert "The waiting list for this clinic has closed" in closed.get_data(as_text=True)

    for clinic in (with_places, full_clinic):
        with pytest.raises(waitlist.WaitlistError):
            waitlist.join(session, clinic, details(1))
        session.rollback()
    assert snapshot(session)["waitlist"] == before["waitlist"] == []


def test_a_household_with_a_booking_need_not_wait(session, full_clinic):
    booked = full_clinic.slots[0]
    existing = session.scalars(select(Booking).where(Booking.slot_id == booked.id)).one()
    from clinic.booking.service import AlreadyBooked

    with pytest.raises(AlreadyBooked):
        waitlist.join(session, full_clinic, {**details(1), "email": existing.email.upper()})


# --- offers --------------------------------------------------------------------------------


def test_a_freed_place_is_offered_to_the_first_in_line_and_held(session, smtp, full_clinic):
    first = join(session, full_clinic, 1, minutes_ago=10)
    second = join(session, full_clinic, 2, minutes_ago=5)
    smtp.clear()
    leaving = confirmed(session, full_clinic)[1]

    manage.cancel_booking(session, leaving, actor="parent")
    session.commit()

    session.expire_all()
    first, second = session.get(WaitlistEntry, first.id), session.get(WaitlistEntry, second.id)
    assert (first.status, second.status) == ("offered", "waiting")
    assert first.offered_slot_id == leaving.slot_id
    assert first.offer_expires_at - first.offered_at == timedelta(hours=12)
    # The place is held: the school page shows it as taken.
    assert session.get(Slot, leaving.slot_id).places_left == 0

    (offer,) = smtp.to("waiting1@example.net")
    assert subject(offer).startswith("A place has come up")
    assert "We are keeping it for you until" in offer.get_body(("plain",)).get_content()
    assert any(offer_path(first) in link for link in links_in(offer))
    assert smtp.to("waiting2@example.net") == []


def test_the_offer_is_shorter_near_the_clinic(session, full_clinic):
    set_times(session, full_clinic, starts_in=timedelta(hours=30))  # booking closes in 6 hours
    entry = join(session, full_clinic, 1)

    manage.cancel_booking(session, confirmed(session, full_clinic)[0], actor="parent")
    session.commit()

    session.refresh(entry)
    window = entry.offer_expires_at - entry.offered_at
    assert timedelta(hours=2, minutes=59) < window <= timedelta(hours=3)


def test_the_offer_length_is_configurable(app, session, full_clinic):
    app.config["WAITLIST_OFFER_HOURS"] = 2
    entry = join(session, full_clinic, 1)
    manage.cancel_booking(session, confirmed(session, full_clinic)[0], actor="parent")
    session.commit()
    session.refresh(entry)
    assert entry.offer_expires_at - entry.offered_at == timedelta(hours=2)


def test_no_offer_once_booking_has_closed(session, smtp, full_clinic):
    entry = join(session, full_clinic, 1)
    set_times(session, full_clinic, starts_in=timedelta(hours=20))  # closed 4 hours ago
    smtp.clear()

    manage.cancel_booking(session, confirmed(session, full_clinic)[0], actor="parent")
    session.commit()

    session.refresh(entry)
    assert entry.status == "waiting"
    assert smtp.to("waiting1@example.net") == []


def test_opening_the_offer_changes_nothing_and_claiming_books_the_held_place(
    client, session, smtp, full_clinic
):
    entry = join(session, full_clinic, 1)
    leaving = confirmed(session, full_clinic)[0]
    manage.cancel_booking(session, leaving, actor="parent")
    session.commit()
    smtp.clear()
    before = snapshot(session)

    page = client.get(offer_path(entry))
    assert "A place has come up" in page.get_data(as_text=True)
    assert "Book this place" in page.get_data(as_text=True)
    assert snapshot(session) == before

    response = post_with_token(client, offer_path(entry))

    assert response.status_code == 302
    session.expire_all()
    entry = session.get(WaitlistEntry, entry.id)
    booking = session.get(Booking, entry.booking_id)
    assert entry.status == "claimed"
    assert (booking.slot_id, booking.status, booking.email) == (
        leaving.slot_id,
        "confirmed",
        "waiting1@example.net",
    )
    assert booking.child_years == ["Year 3"] and booking.topics == ["roblox"]
    assert session.get(Slot, leaving.slot_id).booked == 1  # the held place became the booking
    shown = client.get(path_of(response.headers["Location"])).get_data(as_text=True)
    assert booking.reference in shown and "Your place is booked" in shown

    (confirmation,) = smtp.to("waiting1@example.net")
    method, ics = calendar_part(confirmation)
    event = read_both(ics)
    assert method == event["method"] == "REQUEST" and event["uid"] == booking.uid

    # A double click: the second press finds the booking the first one made.
    again = client.post(offer_path(entry), data={"csrf_token": fresh_csrf(client)})
    assert again.status_code == 302
    assert len(confirmed(session, full_clinic)) == 2


def test_an_unclaimed_offer_passes_to_the_next_household(app, session, smtp, full_clinic):
    first = join(session, full_clinic, 1, minutes_ago=10)
    second = join(session, full_clinic, 2, minutes_ago=5)
    slot_id = confirmed(session, full_clinic)[0].slot_id
    manage.cancel_booking(session, confirmed(session, full_clinic)[0], actor="parent")
    session.commit()
    later = utcnow() + timedelta(hours=13)

    counts = waitlist.run_due_steps(session, now=later)

    assert (counts.passed_on, counts.offered, counts.closed) == (1, 0, 0)
    session.expire_all()
    first, second = session.get(WaitlistEntry, first.id), session.get(WaitlistEntry, second.id)
    assert (first.status, second.status) == ("expired", "offered")
    assert second.offered_slot_id == slot_id
    assert session.get(Slot, slot_id).booked == 1  # still held, now for the next household
    assert len(smtp.to("waiting2@example.net")) == 2  # joined, then the offer

    again = waitlist.run_due_steps(session, now=later)  # idempotent
    assert (again.passed_on, again.offered, again.closed) == (0, 0, 0)
    assert session.get(Slot, slot_id).booked == 1


def test_an_ended_offer_cannot_be_claimed(client, session, full_clinic):
    entry = join(session, full_clinic, 1)
    manage.cancel_booking(session, confirmed(session, full_clinic)[0], actor="parent")
    session.commit()
    session.refresh(entry)
    entry.offer_expires_at = utcnow() - timedelta(minutes=1)  # the cron has not run yet
    session.commit()
    before = snapshot(session)

    page = client.get(offer_path(entry))
    assert "This offer has ended" in page.get_data(as_text=True)
    response = client.post(offer_path(entry), data={"csrf_token": fresh_csrf(client)})

    assert response.status_code == 409
    assert snapshot(session) == before


def test_declining_an_offer_passes_it_on_at_once(client, session, smtp, full_clinic):
    first = join(session, full_clinic, 1, minutes_ago=10)
    second = join(session, full_clinic, 2, minutes_ago=5)
    manage.cancel_booking(session, confirmed(session, full_clinic)[0], actor="parent")
    session.commit()

    response = post_with_token(client, offer_path(first), f"{offer_path(first)}/leave")

    assert response.status_code == 302
    session.expire_all()
    assert session.get(WaitlistEntry, first.id).status == "removed"
    assert session.get(WaitlistEntry, second.id).status == "offered"
    assert "You have left the waiting list" in client.get(offer_path(first)).get_data(as_text=True)


def test_the_list_closes_when_the_clinic_starts(app, session, smtp, full_clinic):
    waiting = join(session, full_clinic, 1, minutes_ago=10)
    offered = join(session, full_clinic, 2, minutes_ago=20)
    manage.cancel_booking(session, confirmed(session, full_clinic)[0], actor="parent")
    session.commit()
    set_times(session, full_clinic, starts_in=-timedelta(minutes=1))
    smtp.clear()

    result = app.test_cli_runner().invoke(waitlist_cli, ["expire-offers"])

    assert result.exit_code == 0, result.output
    assert "Taken off closed lists: 2." in result.output
    session.expire_all()
    assert session.get(WaitlistEntry, waiting.id).status == "expired"
    assert session.get(WaitlistEntry, offered.id).status == "expired"
    assert smtp.messages == []  # no email: the joining email said so
    result = app.test_cli_runner().invoke(waitlist_cli, ["expire-offers"])
    assert "Offers passed on: 0. New offers: 0. Taken off closed lists: 0." in result.output


def test_the_cron_offers_places_freed_elsewhere(app, session, smtp, full_clinic):
    entry = join(session, full_clinic, 1)
    full_clinic.slots[0].capacity = 2  # the officer added a place
    session.commit()

    result = app.test_cli_runner().invoke(waitlist_cli, ["expire-offers"])

    assert "New offers: 1." in result.output
    session.refresh(entry)
    assert (entry.status, entry.offered_slot_id) == ("offered", full_clinic.slots[0].id)


def test_a_place_that_can_no_longer_be_booked_keeps_them_in_line(client, session, full_clinic):
    entry = join(session, full_clinic, 1)
    leaving = confirmed(session, full_clinic)[0]
    manage.cancel_booking(session, leaving, actor="parent")
    session.commit()
    full_clinic.booking_closes_at = utcnow() - timedelta(minutes=1)  # the officer closed it
    session.commit()

    response = post_with_token(client, offer_path(entry))

    assert response.status_code == 409
    assert "You are still on the waiting list" in response.get_data(as_text=True)
    session.expire_all()
    entry = session.get(WaitlistEntry, entry.id)
    assert (entry.status, entry.offered_slot_id, entry.booking_id) == ("waiting", None, None)
    assert session.get(Slot, leaving.slot_id).booked == 0  # the held place is given back
    assert len(confirmed(session, full_clinic)) == 1


def test_joining_is_rate_limited(app, client, session, full_clinic):
    app.config["WAITLIST_LIMIT_PER_ADDRESS"] = "2 per hour"
    path = f"/booking/clinics/{full_clinic.id}/waitlist"
    statuses = [
        post_with_token(client, path, data={**FORM, "email": f"p{n}@example.net"}).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert len(session.scalars(select(WaitlistEntry)).all()) == 2


def test_tampered_waitlist_links_get_the_friendly_not_found_page(client, session, full_clinic):
    entry = join(session, full_clinic, 1)
    booking = confirmed(session, full_clinic)[0]
    good = offer_path(entry)
    before = snapshot(session)

    for path in (
        good[:-2],
        good[:-4] + "AAAA",
        manage_path(booking).replace("/booking/", "/booking/waitlist/"),
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "We cannot find this link" in page.get_data(as_text=True)
        posted = client.post(path, data={"csrf_token": fresh_csrf(client)})
        assert posted.status_code == 404
        assert (
            client.post(f"{path}/leave", data={"csrf_token": fresh_csrf(client)}).status_code == 404
        )
    assert snapshot(session) == before


def test_the_cron_sends_its_offers_before_it_exits(app, session, smtp, full_clinic):
    """An offer's window is short: it must not wait ten minutes in `sending`."""
    join(session, full_clinic, 1)
    full_clinic.slots[0].capacity = 2  # the officer added a place
    session.commit()
    smtp.clear()

    output = run_cron_as_in_production(app, "waitlist", "expire-offers")

    assert "New offers: 1." in output
    assert "Sent 1 email, 0 to retry, 0 failed." in output
    assert statuses(session, "waitlist_offer") == ["sent"]
    assert len(smtp.to("waiting1@example.net")) == 1
