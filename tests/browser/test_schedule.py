"""An officer creates a clinic with previewed slots and publishes it, in a real browser;
the create form and the dashboard pass axe."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from clinic.models import Clinic
from clinic.workdays import working_day_on_or_after
from tests.browser.axe import assert_accessible
from tests.browser.helpers import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_officer_creates_previews_and_publishes_a_clinic(page, live_server, make, session):
    school = make.school(name="Oakfield Primary School")
    officer = make.user(
        role="officer", email="pat@example.org", name="Pat Officer", schools=[school]
    )
    make.clinic(school, officer, days_ahead=3, title="Earlier clinic")
    session.commit()
    day = working_day_on_or_after(
        (datetime.now(UTC) + timedelta(days=30)).astimezone(ZoneInfo("Europe/London")).date()
    )

    sign_in(page, officer.email)
    page.get_by_role("navigation", name="Staff menu").get_by_role("link", name="Clinics").click()
    expect(page.get_by_role("heading", name="Clinics", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Earlier clinic"))).to_be_visible()
    screenshot(page, "schedule-dashboard")
    assert_accessible(page)

    page.get_by_role("button", name="Create a clinic").click()
    expect(page.get_by_role("heading", name="Create a clinic", level=1)).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Parental controls clinic")
    assert_accessible(page)
    page.get_by_label("Where in the school").fill("School library. Sign in at the main office.")
    page.locator("#date-day").fill(str(day.day))
    page.locator("#date-month").fill(str(day.month))
    page.locator("#date-year").fill(str(day.year))
    page.get_by_label("Start time").fill("3:15pm")
    page.get_by_label("End time").fill("4:15pm")
    expect(page.get_by_label("One-to-one appointments")).to_be_checked()

    page.get_by_role("button", name="Preview slots").click()
    preview = page.locator("#slot-preview")
    expect(preview.get_by_role("heading", name="4 slots, 4 places")).to_be_visible()
    expect(preview.get_by_role("listitem")).to_have_text(
        ["3:15pm to 3:30pm", "3:30pm to 3:45pm", "3:45pm to 4pm", "4pm to 4:15pm"]
    )
    expect(page.get_by_label("Start time")).to_have_value("3:15pm")  # answers kept
    screenshot(page, "schedule-create-preview")
    assert_accessible(page)

    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft saved with 4 slots")
    expect(page.get_by_text("Draft", exact=True)).to_be_visible()
    screenshot(page, "schedule-clinic-draft")
    assert_accessible(page)

    page.get_by_role("button", name="Publish the clinic").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The clinic is published")
    expect(page.get_by_text("Published", exact=True)).to_be_visible()

    with live_server.db() as check:
        clinic = (
            check.query(Clinic).filter_by(venue="School library. Sign in at the main office.").one()
        )
        assert clinic.status == "published" and len(clinic.slots) == 4

    page.get_by_role("link", name="All clinics").click()
    new_row = page.get_by_role("main").get_by_role("link", name=re.compile("^Parental controls"))
    expect(new_row).to_have_accessible_name(re.compile(r"^Parental controls clinic\s+on \w+day "))
    screenshot(page, "schedule-dashboard-after")
    assert_accessible(page)


def test_create_form_errors_are_accessible(page, live_server, make, session):
    school = make.school()
    officer = make.user(role="officer", email="pat@example.org", schools=[school])
    session.commit()
    sign_in(page, officer.email)
    page.goto("/staff/clinics/new")
    page.get_by_label("Set my own slot length and size").check()
    page.get_by_label("Households per slot").fill("99")
    page.get_by_label("End time").fill("2pm")
    page.get_by_role("button", name="Save as draft").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter where in the school the clinic is")
    expect(summary).to_contain_text("Enter the date of the clinic")
    expect(page.get_by_label("Households per slot")).to_have_value("99")
    screenshot(page, "schedule-create-errors")
    assert_accessible(page)


def test_officer_moves_then_cancels_a_booked_clinic(page, live_server, make, session, smtp):
    school = make.school(name="Oakfield Primary School")
    officer = make.user(
        role="officer", email="pat@example.org", name="Pat Officer", schools=[school]
    )
    clinic = make.clinic(school, officer, days_ahead=10)
    make.booking(clinic.slots[0], parent_name="Ann Parent", email="ann@example.net")
    session.commit()
    sign_in(page, officer.email)

    page.goto(f"/staff/clinics/{clinic.id}")
    page.get_by_role("link", name="Change where in the school").click()
    page.get_by_label("Where in the school").fill("Main hall")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="1 household will be emailed")).to_be_visible()
    expect(page.get_by_text("Ann Parent (reference")).to_be_visible()
    screenshot(page, "schedule-confirm-change")
    assert_accessible(page)
    page.get_by_role("button", name="Save and email 1 household").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("We have emailed 1 booked")

    page.get_by_role("button", name="Cancel the clinic").click()
    expect(page.get_by_text("Ann Parent (reference")).to_be_visible()
    page.get_by_role("button", name="Cancel the clinic and tell parents").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason")
    screenshot(page, "schedule-cancel-error")
    assert_accessible(page)
    page.get_by_label("Why is the clinic cancelled?").fill("The officer is unwell.")
    page.get_by_role("button", name="Cancel the clinic and tell parents").click()
    expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    expect(page.get_by_text("Parents were told: “The officer is unwell.”")).to_be_visible()
    screenshot(page, "schedule-clinic-cancelled")
    assert [m["Subject"].split(" – ")[0] for m in smtp.to("ann@example.net")] == [
        "Your clinic booking has changed",
        "Clinic cancelled",
    ]


def test_officer_turns_on_the_calendar_feed(page, live_server, make, session):
    school = make.school()
    officer = make.user(role="officer", email="pat@example.org", schools=[school])
    session.commit()
    sign_in(page, officer.email)
    page.goto("/staff/clinics/")
    page.get_by_role("link", name=re.compile("Calendar feed")).click()
    page.get_by_role("button", name="Make my calendar address").click()
    expect(page.get_by_role("link", name=re.compile(r"^webcal:\/\/"))).to_be_visible()
    screenshot(page, "schedule-calendar-feed")
    assert_accessible(page)
    feed = page.locator("dd span").inner_text()
    response = page.request.get(feed)
    assert response.ok and response.headers["content-type"] == "text/calendar; charset=utf-8"


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_own_slot_numbers_show_only_for_custom(
    new_page, live_server, make, session, javascript
):
    school = make.school()
    officer = make.user(role="officer", email="pat@example.org", schools=[school])
    session.commit()
    day = working_day_on_or_after(
        (datetime.now(UTC) + timedelta(days=30)).astimezone(ZoneInfo("Europe/London")).date()
    )
    page = new_page(java_script_enabled=javascript)
    sign_in(page, officer.email)
    page.goto("/staff/clinics/new")
    page.get_by_label("Where in the school").fill("School library")
    page.locator("#date-day").fill(str(day.day))
    page.locator("#date-month").fill(str(day.month))
    page.locator("#date-year").fill(str(day.year))
    page.get_by_label("Start time").fill("3pm")
    page.get_by_label("End time").fill("4pm")
    minutes = page.get_by_label("Minutes per slot")
    expect(page.get_by_label("One-to-one appointments")).to_be_checked()
    if javascript:
        # Only what applies: the 20-minute box is not shown beside the 15-minute preset.
        expect(minutes).to_be_hidden()
        page.get_by_label("Set my own slot length and size").check()
        expect(minutes).to_be_visible()
        screenshot(page, "schedule-create-custom-revealed")
        assert_accessible(page)
        page.get_by_label("One-to-one appointments").check()
        expect(minutes).to_be_hidden()
        screenshot(page, "schedule-create-one-to-one")
    else:
        # Without JavaScript the boxes show under "custom", and only "custom" reads them.
        expect(minutes).to_be_visible()
        screenshot(page, "schedule-create-no-js")  # (axe needs JavaScript: run above)
    page.get_by_role("button", name="Preview slots").click()
    preview = page.locator("#slot-preview")
    expect(preview.get_by_role("heading", name="4 slots, 4 places")).to_be_visible()
    expect(preview.get_by_role("listitem").first).to_have_text("3pm to 3:15pm")

    page.get_by_label("Set my own slot length and size").check()
    minutes.fill("30")
    page.get_by_role("button", name="Preview slots").click()
    expect(preview.get_by_role("heading", name="2 slots, 2 places")).to_be_visible()
    expect(minutes).to_be_visible()  # custom is chosen: its numbers stay in view
    expect(minutes).to_have_value("30")


def test_a_coordinator_pages_through_a_long_list_of_clinics(
    page, live_server, make, session, monkeypatch
):
    """A page of clinics at a time (here 3), with GOV.UK pagination: next, previous and
    numbered links that keep the filter, each page accessible."""
    from clinic import paging

    monkeypatch.setattr(paging, "PER_PAGE", 3)
    school = make.school(name="Oakfield Primary School")
    officer = make.user(role="officer", email="pat@example.org", schools=[school])
    coordinator = make.user(role="admin", email="cora@example.org", name="Cora Ordinator")
    for n in range(1, 8):
        make.clinic(school, officer, days_ahead=2 + n, slots=1, title=f"Clinic {n}")
    session.commit()

    sign_in(page, coordinator.email)
    page.goto("/staff/clinics/?status=published")
    expect(page.get_by_text("7 clinics, page 1 of 3.")).to_be_visible()
    titles = page.locator("tbody a.govuk-link")
    expect(titles).to_have_count(3)
    expect(titles.first).to_contain_text("Clinic 1")
    pagination = page.get_by_role("navigation", name="Pagination")
    assert_accessible(page)
    screenshot(page, "schedule-dashboard-paged")

    pagination.get_by_role("link", name=re.compile("Next")).click()
    expect(page.get_by_text("7 clinics, page 2 of 3.")).to_be_visible()
    expect(titles.first).to_contain_text("Clinic 4")
    assert "status=published" in page.url  # the filter kept
    expect(page.get_by_label("Status")).to_have_value("published")

    pagination.get_by_role("link", name="Page 3").click()
    expect(page.get_by_text("7 clinics, page 3 of 3.")).to_be_visible()
    expect(titles).to_have_count(1)
    expect(titles.first).to_contain_text("Clinic 7")
    expect(pagination.get_by_role("link", name=re.compile("Next"))).to_have_count(0)
    pagination.get_by_role("link", name=re.compile("Previous")).click()
    expect(page.get_by_text("7 clinics, page 2 of 3.")).to_be_visible()
