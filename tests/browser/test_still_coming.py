"""A parent on a phone answers "Are you still coming?" from the emailed link, with
JavaScript off: "Yes" thanks them, then "We can't come" gives the place back.  Each page
passes axe (checked in a second page with JavaScript on: axe runs as a script)."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from clinic.booking.still_coming import still_coming_url
from clinic.models import Booking
from tests.browser.axe import assert_accessible
from tests.browser.helpers import screenshot

pytestmark = pytest.mark.browser

GIVE_BACK = "We can't come — give our place to another family"


def test_a_parent_says_yes_then_gives_the_place_back_without_javascript(
    new_page, live_server, session, make, school, officer_user, smtp
):
    clinic = make.clinic(school, officer_user, slots=2, capacity=2)
    booking = make.booking(clinic.slots[0], parent_name="Ann Parent")
    parts = urlsplit(still_coming_url(booking))
    link = f"{parts.path}?{parts.query}"
    session.commit()  # no transaction of the test's stays open while the browser works
    page = new_page(phone=True, java_script_enabled=False)
    checker = new_page(phone=True)

    page.goto(link)
    expect(page.get_by_role("heading", name="Are you still coming?", level=1)).to_be_visible()
    expect(page.get_by_role("button", name=GIVE_BACK)).to_be_visible()
    with live_server.db() as db:  # opening the page changed nothing
        assert db.get(Booking, booking.id).still_coming_answer is None
    checker.goto(link)
    screenshot(checker, "still-coming-phone")
    assert_accessible(checker)

    page.get_by_role("button", name="Yes, we're coming").tap()
    expect(page.get_by_role("heading", name="Thank you, we will see you there")).to_be_visible()
    with live_server.db() as db:
        assert db.get(Booking, booking.id).still_coming_answer == "yes"
    checker.goto(link)
    screenshot(checker, "still-coming-yes-phone")
    assert_accessible(checker)

    page.get_by_role("button", name=GIVE_BACK).tap()
    expect(page.get_by_text("Your booking is cancelled and your place will be")).to_be_visible()
    with live_server.db() as db:
        final = db.get(Booking, booking.id)
        assert (final.status, final.still_coming_answer) == ("cancelled", "no")
    checker.goto(page.url)
    assert_accessible(checker)
    assert any(
        str(m["Subject"]).startswith("Your booking is cancelled") for m in smtp.to(booking.email)
    )
