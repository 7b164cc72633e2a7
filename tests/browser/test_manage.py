"""A parent on a phone opens their booking from the emailed link, moves it, then cancels
it; every page passes axe."""

import pytest
from playwright.sync_api import expect

from clinic.links import manage_token
from clinic.models import Booking
from tests.browser.axe import assert_accessible
from tests.browser.helpers import screenshot
from tests.manage.support import links_in, path_of

pytestmark = pytest.mark.browser


def test_a_parent_moves_then_cancels_their_booking(
    phone_page, live_server, session, make, school, officer_user, smtp
):
    clinic = make.clinic(school, officer_user, slots=4, capacity=2)
    booking = make.booking(clinic.slots[0], parent_name="Ann Parent")
    link = f"/booking/{manage_token(booking)}"
    session.commit()
    page = phone_page

    page.goto(link)
    expect(page.get_by_role("heading", name="Your booking", level=1)).to_be_visible()
    expect(page.get_by_text(booking.reference)).to_be_visible()
    screenshot(page, "manage-booking-phone")
    assert_accessible(page)

    page.get_by_role("button", name="Move to another time").click()
    expect(page.get_by_role("heading", name="Move to another time")).to_be_visible()
    screenshot(page, "manage-move-phone")
    assert_accessible(page)
    page.get_by_label("3:30pm to 3:45pm (2 places left)").check()
    page.get_by_role("button", name="Move my booking").click()

    expect(page.get_by_text("Your booking has moved to")).to_be_visible()
    expect(page.get_by_text("3:30pm to 3:45pm")).to_be_visible()
    screenshot(page, "manage-moved-phone")
    assert_accessible(page)

    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("heading", name="Are you sure you want to cancel?")).to_be_visible()
    screenshot(page, "manage-cancel-phone")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, cancel my booking").click()

    expect(page.get_by_role("heading", name="Your cancelled booking")).to_be_visible()
    expect(page.get_by_text("This booking has been cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel booking")).to_have_count(0)
    screenshot(page, "manage-cancelled-phone")
    assert_accessible(page)

    with live_server.db() as db:
        final = db.get(Booking, booking.id)
        assert (final.status, final.slot_id, final.sequence) == (
            "cancelled",
            clinic.slots[2].id,
            2,
        )
    subjects = [str(m["Subject"]).strip() for m in smtp.to(booking.email)]
    assert len(subjects) == 2
    assert subjects[0].startswith("Your booking has moved")
    assert subjects[1].startswith("Your booking is cancelled")


def test_a_bad_link_gets_a_friendly_page(phone_page, live_server):
    response = phone_page.goto("/booking/not-a-real-link")
    assert response.status == 404
    expect(phone_page.get_by_role("heading", name="We cannot find this link")).to_be_visible()
    assert_accessible(phone_page)


def test_a_parent_joins_a_waiting_list_and_takes_an_offered_place(
    phone_page, live_server, session, make, school, officer_user, smtp
):
    from clinic.manage import service as manage

    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    taken = make.booking(clinic.slots[0])
    session.commit()
    page = phone_page

    page.goto(f"/booking/clinics/{clinic.id}/waitlist")
    expect(page.get_by_role("heading", name="Join the waiting list")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your full name").fill("Wendy Waiting")
    page.get_by_label("Email address").fill("wendy@example.net")
    page.get_by_label("Year 3").check()
    page.get_by_label("TikTok").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Join the waiting list").click()

    # The page says only "check your email" (the same for an address already on the list
    # or already booked); the household's own link comes in the email.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("wendy@example.net")).to_be_visible()
    screenshot(page, "waitlist-check-email-phone")
    assert_accessible(page)
    (joined,) = smtp.to("wendy@example.net")
    (link,) = [u for u in links_in(joined) if "/booking/waitlist/" in u and "/delete" not in u]
    page.goto(path_of(link))
    expect(page.get_by_role("heading", name="You are on the waiting list")).to_be_visible()
    expect(page.get_by_text("You are number 1 in line")).to_be_visible()
    screenshot(page, "waitlist-joined-phone")
    assert_accessible(page)

    with live_server.db() as db:  # the household with the place cancels
        manage.cancel_booking(db, db.get(Booking, taken.id), actor="parent")
        db.commit()
    page.reload()
    expect(page.get_by_role("heading", name="A place has come up")).to_be_visible()
    screenshot(page, "waitlist-offer-phone")
    assert_accessible(page)
    page.get_by_role("button", name="Book this place").click()

    expect(page.get_by_role("heading", name="Your booking", level=1)).to_be_visible()
    expect(page.get_by_text("Your place is booked")).to_be_visible()
    assert_accessible(page)
