"""A parent books through the pages: form, check your answers, confirmation."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from clinic.booking.service import REFERENCE_ALPHABET
from clinic.models import AuditEvent, Booking, OutboxMessage, Slot
from tests.booking.support import ANSWERS, book, confirm, fill_form, submission_id
from tests.helpers import csrf_token


def count(session, model) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(model))


def test_parent_books_a_place(client, session, clinic, slot, smtp):
    form = client.get(f"/book/{slot.id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "Your details" in html and clinic.school.name in html
    assert "child's name" not in html.replace("We do not need your child's name", "")

    sent = fill_form(client, slot.id)
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/book/{slot.id}/check")
    assert count(session, Booking) == 0  # nothing is booked before Confirm

    check = client.get(f"/book/{slot.id}/check")
    page = check.get_data(as_text=True)
    for shown in (
        "Alex Example",
        "alex.example@example.net",
        "+442079460000",
        "Year 3, Year 5",
        "iPhone or iPad, Roblox, Something else, Fortnite",
        "Polish interpreter, please",
    ):
        assert shown in page
    assert f'href="/book/{slot.id}#email"' in page  # Change links go back to the form
    assert "We will send the confirmation and calendar invite to" in page

    done = client.post(
        f"/book/{slot.id}/check",
        data={"csrf_token": csrf_token(check), "submission_id": submission_id(check)},
    )
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/book/confirmation")
    confirmation = client.get("/book/confirmation").get_data(as_text=True)

    booking = session.scalars(select(Booking)).one()
    # The same page as when the address already had a booking here: the reference is in
    # the email, not on the page.
    assert "Check your email" in confirmation and "alex.example@example.net" in confirmation
    assert booking.reference not in confirmation
    assert re.fullmatch(f"[{REFERENCE_ALPHABET}]{{8}}", booking.reference)
    assert (booking.parent_name, booking.email, booking.email_normalised) == (
        "Alex Example",
        "alex.example@example.net",
        "alex.example@example.net",
    )
    assert booking.phone == "+442079460000"
    assert booking.child_years == ["Year 3", "Year 5"]
    assert booking.topics == ["iphone-ipad", "roblox", "other"]
    assert booking.other_topic == "Fortnite"
    assert booking.status == "confirmed" and booking.sequence == 0
    assert booking.consent_at is not None and booking.consent_version
    assert booking.booked_by_id is None and booking.submission_id
    assert session.get(Slot, slot.id).booked == 1
    assert session.scalars(select(OutboxMessage.kind)).all() == ["booking_confirmed"]
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_label, event.object_id) == (
        "booking.create",
        "parent",
        booking.id,
    )
    assert event.school_id == clinic.school_id
    assert "alex" not in str(event.details).lower()  # no personal data in the audit trail

    # The answers are gone from the session; Back to the check page shows the same page.
    again = client.get(f"/book/{slot.id}/check")
    assert again.status_code == 200
    assert "Check your email" in again.get_data(as_text=True)


def test_change_link_brings_the_answers_back(client, clinic, slot):
    fill_form(client, slot.id)
    form = client.get(f"/book/{slot.id}").get_data(as_text=True)
    assert 'value="Alex Example"' in form
    assert 'value="alex.example@example.net"' in form
    assert re.search(r'value="Year 3"\s+checked|checked[^>]*value="Year 3"', form)

    fill_form(client, slot.id, email="alex.new@example.net")
    assert "alex.new@example.net" in client.get(f"/book/{slot.id}/check").get_data(as_text=True)


def test_answers_carry_over_to_another_time_of_the_clinic(client, session, clinic):
    first, second = clinic.slots[0], clinic.slots[1]
    fill_form(client, first.id)
    response = confirm(client, second.id)  # e.g. picked from the "slot is full" page
    assert response.status_code == 302
    assert session.scalars(select(Booking.slot_id)).all() == [second.id]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"parent_name": "  "}, "parent_name", "Enter your full name"),
        ({"email": ""}, "email", "Enter your email address"),
        ({"email": "alex@"}, "email", "Enter an email address in the correct format"),
        ({"phone": "12345"}, "phone", "Enter a UK phone number"),
        ({"child_years": None}, "child_years", "Select your child's school year"),
        ({"topics": None}, "topics", "Select at least one device or app"),
        ({"consent": None}, "consent", "Agree to the privacy notice"),
        ({"access_needs": "x" * 1001}, "access_needs", "1000 characters or fewer"),
    ],
)
def test_bad_answers_are_shown_next_to_the_field(client, session, slot, changes, field, message):
    response = fill_form(client, slot.id, **changes)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html
    error = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    # Messages marked for translation are trusted text: an apostrophe may be left as it is.
    assert error and message in unescape(error.group(1)), html
    assert "<title>Error: " in html
    assert 'value="Alex Example"' in html or field == "parent_name"  # answers kept
    assert client.get(f"/book/{slot.id}/check").status_code == 302  # nothing kept
    assert count(session, Booking) == 0


def test_stale_form_comes_back_with_the_answers(client, slot):
    response = client.post(f"/book/{slot.id}", data={**ANSWERS, "csrf_token": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "send the form again" in html and 'value="Alex Example"' in html


def test_confirmation_without_a_booking_goes_to_the_start(client):
    response = client.get("/book/confirmation")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_confirm_with_a_stale_page_changes_nothing(client, session, slot):
    fill_form(client, slot.id)
    response = client.post(
        f"/book/{slot.id}/check",
        data={"csrf_token": "stale", "submission_id": "6c1d0c2e-7c57-4f35-9a5f-6b5d0f5e1a11"},
    )
    assert response.status_code == 200
    assert "send the form again" in response.get_data(as_text=True)
    assert count(session, Booking) == 0
    assert book(client, slot.id).status_code == 302  # the page still works afterwards


@pytest.mark.parametrize("slot_id", ["999999", "99999999999999999999"])
def test_unknown_slot_is_not_found(client, slot_id):
    assert client.get(f"/book/{slot_id}").status_code == 404
    assert client.get(f"/book/{slot_id}/check").status_code == 404
    assert client.post(f"/book/{slot_id}/check", data={"submission_id": "x"}).status_code == 404


# --- Back, reload or a second click after booking: the booking, never "now full" ---------


@pytest.fixture
def one_to_one(make, school, officer):
    """One-to-one slots: the parent's own booking fills the slot."""
    return make.clinic(school, officer, slots=2, capacity=1)


def _shows_own_booking(response, booking) -> str:
    """The "check your email" page again, with the time booked: never "now full", and
    never the booking's reference or link (those go by email only, issue 12)."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert "Check your email" in html
    assert "now full" not in html and "Nothing has been booked for you" not in html
    assert booking.reference not in html and "/booking/" not in html
    assert booking.clinic.venue in html
    return html


def test_back_after_booking_a_one_to_one_slot_shows_the_booking(client, session, one_to_one):
    slot = one_to_one.slots[0]
    check = (fill_form(client, slot.id), client.get(f"/book/{slot.id}/check"))[1]
    first_id = submission_id(check)
    token = csrf_token(check)
    done = client.post(
        f"/book/{slot.id}/check", data={"csrf_token": token, "submission_id": first_id}
    )
    assert done.status_code == 302
    booking = session.scalars(select(Booking)).one()

    # Back to the check page, Back to the form, and a reload of either.
    for url in (f"/book/{slot.id}/check", f"/book/{slot.id}"):
        _shows_own_booking(client.get(url), booking)
        assert client.get(url).headers["Cache-Control"] == "no-store"

    # The same press again (double click, or resubmitting the old page): its confirmation.
    again = client.post(
        f"/book/{slot.id}/check", data={"csrf_token": token, "submission_id": first_id}
    )
    assert again.status_code == 302 and again.headers["Location"].endswith("/book/confirmation")
    # A check page with another submission id (opened before, sent after): the booking.
    _shows_own_booking(
        client.post(
            f"/book/{slot.id}/check",
            data={"csrf_token": token, "submission_id": "5f0c2a9e-1b1d-4c1e-9d7e-2c3b4a5d6e7f"},
        ),
        booking,
    )
    assert count(session, Booking) == 1

    # Another browser is told the slot is full; it does not see the booking.
    other = client.application.test_client()
    full = other.get(f"/book/{slot.id}")
    assert full.status_code == 409
    assert booking.reference not in full.get_data(as_text=True)


def test_back_after_confirming_an_address_already_booked_reads_the_same(
    client, session, one_to_one
):
    """The typist of an address that already had a booking sees, on Back or reload, the
    same page as one whose Confirm booked: neither the form nor "now full"."""
    first, second = one_to_one.slots[0], one_to_one.slots[1]
    other = client.application.test_client()
    assert book(other, first.id).status_code == 302  # the address's holder booked
    assert book(client, second.id).status_code == 302  # the same address, typed again
    assert count(session, Booking) == 1
    html = client.get(f"/book/{second.id}/check").get_data(as_text=True)
    assert "Check your email" in html and "now full" not in html
    assert "Your details" not in html
    # Back to the form: blank (the next family may book there), saying the time was
    # confirmed on this device, as it says after a Confirm that booked.
    html = client.get(f"/book/{second.id}").get_data(as_text=True)
    assert "Your details" in html and "now full" not in html
    assert "A booking for this time was confirmed on this device" in html
    assert "alex.example@example.net" not in html


def test_after_cancelling_the_browser_may_book_again(client, session, one_to_one):
    slot = one_to_one.slots[0]
    assert book(client, slot.id).status_code == 302
    booking = session.scalars(select(Booking)).one()
    _shows_own_booking(client.get(f"/book/{slot.id}"), booking)
    booking.status = "cancelled"
    session.get(Slot, slot.id).booked = 0
    session.commit()
    assert "Your details" in client.get(f"/book/{slot.id}").get_data(as_text=True)


def test_the_session_key_is_the_slot_not_the_email(client, session, clinic):
    first, second = clinic.slots[0], clinic.slots[1]
    assert book(client, first.id).status_code == 302
    # Another time at the same clinic opens the form; the rule on the email applies there.
    assert "Your details" in client.get(f"/book/{second.id}").get_data(as_text=True)
    # A tampered session value is ignored, not an error.
    with client.session_transaction() as kept:
        kept["booked_here"] = [["x", None], 7, [second.id, "y"]]
    assert client.get(f"/book/{second.id}").status_code == 200


# --- a shared browser: the next family sees nothing of the last and can book ---------------

OTHER = {"parent_name": "Sam Other", "email": "sam.other@example.net", "topics": ["android"]}


def test_the_next_family_on_a_shared_browser_sees_nothing_of_the_last_and_books(
    client, session, clinic
):
    """A family tablet or a school-office PC: one parent books; the next person opens the
    same time's link on the same browser. Nothing of the first (address, name, devices)
    is on any page they reach, and they book their own place."""
    slot = clinic.slots[0]
    slot.capacity = 2
    session.commit()
    assert book(client, slot.id, topics=["iphone-ipad", "discord"]).status_code == 302
    first = client.get("/book/confirmation").get_data(as_text=True)
    assert "alex.example@example.net" in first and "Discord login" in first  # the typist's own

    form = client.get(f"/book/{slot.id}")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Your details" in html
    for earlier in ("alex.example@example.net", "Alex Example", "Discord login", "Fortnite"):
        assert earlier not in html, earlier
    assert "checked" not in html  # no device, year or consent chosen for them
    again = client.get(f"/book/{slot.id}/check").get_data(as_text=True)  # as Back would show
    assert "Check your email" in again
    for earlier in ("alex.example@example.net", "Alex Example", "Discord login", "Apple ID"):
        assert earlier not in again, earlier

    assert book(client, slot.id, other_topic=None, **OTHER).status_code == 302
    made = session.scalars(select(Booking).order_by(Booking.id)).all()
    assert [b.email for b in made] == ["alex.example@example.net", "sam.other@example.net"]
    assert made[1].slot_id == slot.id and made[1].topics == ["android"]
    told = client.get("/book/confirmation").get_data(as_text=True)
    assert "sam.other@example.net" in told and "alex.example@example.net" not in told
    assert "Discord login" not in told


def test_the_confirmation_page_forgets_the_address_after_a_while(client, session, clinic, slot):
    """Reloading the confirmation shows the address typed; the page found later in the
    browser's history (by whoever uses it next) shows nothing of it."""
    assert book(client, slot.id).status_code == 302
    assert "alex.example@example.net" in client.get("/book/confirmation").get_data(as_text=True)
    with client.session_transaction() as kept:
        kept["booking_made"] = {**kept["booking_made"], "at": kept["booking_made"]["at"] - 3600}
    later = client.get("/book/confirmation").get_data(as_text=True)
    assert "Check your email" in later and "alex.example@example.net" not in later
    assert "Fortnite" not in later


def test_the_check_email_page_reads_as_a_success_and_tells_nothing(client, session, clinic):
    """The usual case reads as booked; the rare one (the address already had a booking)
    is a short note, on the same page for both, so the typist learns nothing."""
    first, second = clinic.slots[0], clinic.slots[1]
    assert book(client, first.id).status_code == 302
    booked = client.get("/book/confirmation").get_data(as_text=True)
    other = client.application.test_client()
    assert book(other, second.id).status_code == 302  # the same address: nothing new booked
    assert count(session, Booking) == 1
    already = other.get("/book/confirmation").get_data(as_text=True)
    for html in (booked, already):
        panel = html.split('class="govuk-panel', 1)[1].split("</div>", 1)[0]
        assert "Your place is booked" in panel
        assert "<title>Your place is booked" in html
        assert "Check your email" in html
        assert "nothing new was booked" not in html.lower()
        note = re.search(r'<p class="govuk-body-s">(.*?)</p>', html, re.S).group(1)
        assert "If you had already booked at this clinic with this address" in unescape(note)
