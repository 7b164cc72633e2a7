"""A parent on a phone finds the school, books a place and sees the confirmation; axe passes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clinic.models import Booking
from tests.booking.support import times
from tests.browser.axe import assert_accessible
from tests.browser.helpers import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(make, school):
    officer = make.user(role="officer", name="PC Jones", schools=[school])
    return make.clinic(school, officer, slots=3, capacity=2, venue="School library")


def test_parent_books_on_a_phone(phone_page, live_server, session, clinic, smtp):
    page = phone_page
    school = clinic.school
    slot = clinic.slots[1]
    session.commit()

    page.goto("/")
    page.get_by_label("Find your child's school").fill(school.postcode.lower().replace(" ", ""))
    page.get_by_role("button", name="Find school").click()
    screenshot(page, "booking-finder-phone")
    page.get_by_role("link", name=school.name).click()

    expect(page.get_by_role("heading", name=school.name, level=1)).to_be_visible()
    screenshot(page, "booking-school-phone")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(f"^Book {re.escape(times(slot))}")).click()

    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()  # nothing filled in
    expect(page).to_have_title(re.compile(r"^Error: "))
    screenshot(page, "booking-form-errors-phone")
    assert_accessible(page)

    page.get_by_label("Your full name").fill("Alex Example")
    page.get_by_label("Email address").fill("alex.example@example.net")
    page.get_by_label("Year 4").check()
    page.get_by_label("Roblox").check()
    page.get_by_label("TikTok").check()
    page.get_by_label("I have read the privacy notice").check()
    screenshot(page, "booking-form-phone")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(page.get_by_text("alex.example@example.net").first).to_be_visible()
    screenshot(page, "booking-check-phone")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    with live_server.db() as db:
        booking = db.scalars(select(Booking)).one()
    expect(page.get_by_text("alex.example@example.net").first).to_be_visible()
    assert booking.slot_id == slot.id
    screenshot(page, "booking-confirmation-phone")
    assert_accessible(page)


def test_school_page_and_poster_on_a_desktop(page, make, session, clinic):
    full = clinic.slots[0]
    make.booking(full)
    make.booking(full)
    session.commit()
    page.goto(f"/schools/{clinic.school.slug}")
    expect(page.get_by_text("Full")).to_be_visible()
    screenshot(page, "booking-school")
    assert_accessible(page)

    page.goto(f"/schools/{clinic.school.slug}/poster")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    screenshot(page, "booking-poster")
    assert_accessible(page)
    page.emulate_media(media="print")
    screenshot(page, "booking-poster-print")


def test_slot_taken_while_checking_offers_other_times(phone_page, make, session, clinic):
    page = phone_page
    wanted, other = clinic.slots[0], clinic.slots[1]
    session.commit()
    page.goto(f"/book/{wanted.id}")
    page.get_by_label("Your full name").fill("Sam Sample")
    page.get_by_label("Email address").fill("sam.sample@example.net")
    page.get_by_label("Reception").check()
    page.get_by_label("Something else").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()

    make.booking(wanted)  # two other parents were quicker
    make.booking(wanted)
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", name="Sorry, this time is now full")).to_be_visible()
    screenshot(page, "booking-slot-full-phone")
    assert_accessible(page)
    page.get_by_role("link", name=times(other)).click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def _fill_and_check(page, slot, email: str) -> None:
    page.goto(f"/book/{slot.id}")
    page.get_by_label("Your full name").fill("Sam Sample")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Year 2").check()
    page.get_by_label("iPhone or iPad").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_back_after_booking_a_one_to_one_slot_shows_the_booking(
    new_page, make, session, school, live_server, javascript
):
    officer = make.user(role="officer", name="PC Jones", schools=[school])
    clinic = make.clinic(school, officer, slots=2, capacity=1, venue="School library")
    slot = clinic.slots[0]
    session.commit()
    page = new_page(phone=True, java_script_enabled=javascript)

    _fill_and_check(page, slot, "sam.sample@example.net")
    # A double click on Confirm (without JavaScript nothing stops the second press).
    page.get_by_role("button", name="Confirm booking").dblclick()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # Back to the check page: the same page again (the booking's time and place), never
    # "Sorry, this time is now full"; the manage link is in the email only (issue 12).
    page.go_back()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("School library")).to_be_visible()
    expect(page.get_by_text("now full")).to_have_count(0)
    screenshot(page, f"booking-back-after-booking-phone-{'js' if javascript else 'no-js'}")
    if javascript:  # axe runs in the page
        assert_accessible(page)
    page.reload()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.go_back()  # the form
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("now full")).to_have_count(0)
    with live_server.db() as db:
        assert len(db.scalars(select(Booking)).all()) == 1
