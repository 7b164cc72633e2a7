"""The feedback form on a phone and the figures page on a desktop, in a real browser."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clinic.demo import seed
from clinic.followup import service as followup
from clinic.models import Feedback
from tests.browser.axe import assert_accessible
from tests.browser.helpers import screenshot, sign_in
from tests.followup.support import book, clinic_dated, feedback, walk_in

pytestmark = pytest.mark.browser
LAST_MONTH = date.today().replace(day=1) - timedelta(days=20)


def test_a_parent_answers_the_feedback_form_on_a_phone(phone_page, live_server, session, make):
    school = make.school()
    officer = make.user(role="officer", schools=[school])
    clinic = clinic_dated(session, school, officer, LAST_MONTH, closed=True)
    booking = book(make, clinic, "attended")
    token = followup.feedback_token(booking)
    session.commit()
    page = phone_page

    page.goto(f"/feedback/{token}")
    expect(page.get_by_role("heading", name="Tell us about the clinic", level=1)).to_be_visible()
    screenshot(page, "feedback-form-phone")
    assert_accessible(page)

    page.get_by_role("button", name="Send").click()  # nothing chosen yet
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Select how useful the clinic was")).to_be_visible()
    screenshot(page, "feedback-form-error-phone")
    assert_accessible(page)

    page.get_by_label("Very useful", exact=True).check()
    page.get_by_label("Anything else you would like to tell us? (optional)").fill(
        "The officer was patient and kind."
    )
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()
    screenshot(page, "feedback-thanks-phone")
    assert_accessible(page)
    with live_server.db() as db:
        saved = db.execute(select(Feedback.useful, Feedback.comments)).all()
    assert saved == [(5, "The officer was patient and kind.")]


def test_an_officer_reads_the_figures(page, live_server, session, make):
    school = make.school()
    other = make.school(name="Brookside Primary School")
    officer = make.user(role="officer", email="pat@example.org", schools=[school, other])
    for where, day in ((school, LAST_MONTH), (other, LAST_MONTH - timedelta(days=35))):
        clinic = clinic_dated(session, where, officer, day, slots=2, capacity=3, closed=True)
        came = book(make, clinic, "attended", ["roblox", "tiktok"])
        book(make, clinic, "no_show", ["iphone-ipad"], slot=1)
        book(make, clinic, "cancelled", ["discord"])
        walk_in(session, clinic, ["consoles"])
        feedback(session, came, 4, "Really useful. I did not know about Family Pairing.")
    session.commit()

    sign_in(page, officer.email)
    page.goto("/staff/figures")

    expect(page.get_by_role("heading", name="Figures", level=1)).to_be_visible()
    by_school = page.get_by_role("table", name="By school")
    expect(by_school.get_by_role("row", name="Brookside Primary School")).to_be_visible()
    screenshot(page, "figures")
    assert_accessible(page)

    page.get_by_label("School", exact=True).select_option(label="Brookside Primary School")
    page.get_by_role("button", name="Show figures").click()
    expect(by_school.get_by_role("row")).to_have_count(2)  # the header and one school
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these figures as a spreadsheet (CSV)").click()
    assert download.value.suggested_filename.startswith("clinic-figures-")


def test_a_coordinator_sees_the_demo_figures_at_a_glance(page, live_server, session):
    """On a fresh clone's demo data the page has charts, each a named image with its
    numbers in a table too; readable without JavaScript."""
    passwords = seed(session)
    session.commit()
    sign_in(page, "coordinator@example.org", passwords["coordinator@example.org"])
    page.goto("/staff/figures")

    for name in (
        "Households booked and attended, by month",
        "Households booked and attended, by school",
        "No-show rate, by school",
        "Apps and devices parents asked about",
    ):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    by_school = page.get_by_role("img", name="Households booked and attended, by school")
    table = page.get_by_role("table", name="By school: the numbers")
    for school in ("Oakfield Primary School", "Riverside Academy"):
        row = table.get_by_role("row", name=school)
        booked = row.get_by_role("cell").nth(2).inner_text()
        # The chart's number for the school is the table's.
        expect(by_school).to_contain_text(f"{booked} booked")
    expect(page.get_by_text("No clinics have happened")).to_have_count(0)
    screenshot(page, "figures-demo")
    assert_accessible(page)

    page.set_viewport_size({"width": 320, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 320)"
        ".map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))"
    )
    assert width <= 320, wide[:12]
    screenshot(page, "figures-demo-320")


def test_the_figures_charts_need_no_javascript(new_page, live_server, session):
    passwords = seed(session)
    session.commit()
    page = new_page(java_script_enabled=False)
    sign_in(page, "morgan.reyes@example.org", passwords["morgan.reyes@example.org"])
    page.goto("/staff/figures")
    chart = page.get_by_role("img", name="Apps and devices parents asked about")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("families")
    by_school = page.get_by_role("img", name="Households booked and attended, by school")
    expect(by_school).to_contain_text("Riverside Academy")
    screenshot(page, "figures-demo-no-js")
