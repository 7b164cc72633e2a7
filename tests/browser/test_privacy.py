"""A parent deletes their details from their booking's link, and an admin answers a
request for an address; every page passes axe and works with the browser's own forms."""

import pytest
from playwright.sync_api import expect

from clinic.links import manage_token
from clinic.models import Booking
from tests.browser.axe import assert_accessible
from tests.browser.helpers import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_parent_deletes_their_details(
    phone_page, live_server, session, make, school, officer_user, smtp
):
    clinic = make.clinic(school, officer_user, slots=2, capacity=2)
    booking = make.booking(clinic.slots[0], parent_name="Ann Parent")
    link = f"/booking/{manage_token(booking)}"
    session.commit()
    page = phone_page

    page.goto(link)
    page.get_by_role("link", name="Delete my details").click()
    expect(
        page.get_by_role("heading", name="Are you sure you want to delete your details?")
    ).to_be_visible()
    expect(page.get_by_text("This also cancels your booking")).to_be_visible()
    screenshot(page, "privacy-delete-phone")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, delete my details").click()

    expect(page.get_by_role("heading", name="Your details have been deleted")).to_be_visible()
    assert_accessible(page)
    page.goto(link)
    expect(page.get_by_role("heading", name="These details have been deleted")).to_be_visible()
    assert_accessible(page)
    with live_server.db() as db:
        final = db.get(Booking, booking.id)
        assert final.status == "cancelled" and final.parent_name is None


def test_an_admin_finds_and_erases_what_is_held(
    page, live_server, session, make, school, officer_user, admin_user, smtp
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=2)
    make.booking(clinic.slots[0], parent_name="Ann Parent", email="ann.parent@example.net")
    session.commit()

    sign_in(page, admin_user.email)
    page.goto("/admin/privacy")
    assert_accessible(page)
    page.get_by_label("Email address").fill("ann.parent@example.net")
    page.get_by_role("button", name="Find what we hold").click()
    expect(page.get_by_text("Ann Parent").first).to_be_visible()
    screenshot(page, "privacy-admin")
    assert_accessible(page)
    page.get_by_role("button", name="Delete all of it").click()
    expect(
        page.get_by_role("heading", name="Delete everything held for this address?")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, delete it all").click()
    expect(
        page.get_by_text("1 record deleted").or_(page.get_by_text("records deleted"))
    ).to_be_visible()
    assert_accessible(page)
