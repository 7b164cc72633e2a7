"""Attendance in a real browser: the list printed by Chromium, and check-in on a phone."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from clinic.models import Booking
from tests.browser.axe import assert_accessible
from tests.browser.helpers import RESULTS, screenshot, sign_in
from tests.conftest import IN_CI

pytestmark = pytest.mark.browser


@pytest.fixture
def todays_clinic(make, session, school, officer_user):
    """A clinic today with bookings (the shared factory cannot make a clinic today itself:
    its booking window would close before it opens, so one made in two weeks is moved)."""
    clinic = make.clinic(school, officer_user, slots=3, capacity=3, venue="School hall")
    shift = timedelta(days=14)
    clinic.date -= shift
    for slot in clinic.slots:
        slot.starts_at -= shift
        slot.ends_at -= shift
    clinic.booking_opens_at -= timedelta(days=30)
    clinic.booking_closes_at = clinic.slots[0].starts_at - timedelta(hours=1)
    session.commit()
    first, second, third = clinic.slots
    make.booking(first, parent_name="Amira Early", phone="+447700900982", topics=["tiktok"])
    make.booking(first, parent_name="Ben Early", child_years=["Year 6"], access_needs="Ramp")
    make.booking(second, parent_name="Chloe Middle", topics=["discord", "roblox"])
    make.booking(third, parent_name="Cancelled Carer", status="cancelled")
    return clinic


def list_url(clinic, suffix=""):
    return f"/staff/attendance/clinics/{clinic.id}{suffix}"


def pdf_words(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        message = "reading the printed PDF needs pdftotext (apt-get install poppler-utils)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "printed.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return " ".join(text.split())


def test_the_list_prints_as_an_a4_sign_in_sheet(page, todays_clinic, officer_user, tmp_path):
    sign_in(page, officer_user.email)
    page.goto(list_url(todays_clinic))
    expect(page.get_by_role("heading", name="Attendance list", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Print sign-in sheet")).to_be_visible()
    expect(page.get_by_text("Signature")).to_have_count(3)
    expect(page.get_by_role("columnheader", name="Signature").first).to_be_hidden()
    screenshot(page, "attendance-list")
    assert_accessible(page)

    page.emulate_media(media="print")
    for chrome in (".govuk-header", ".govuk-service-navigation", ".govuk-footer"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.get_by_role("button", name="Send to school now")).to_be_hidden()
    expect(page.get_by_role("heading", name="Attendance list", level=1)).to_be_hidden()
    expect(
        page.get_by_role("heading", name="Sign-in sheet: Oakfield Primary School")
    ).to_be_visible()
    expect(page.get_by_role("columnheader", name="Signature").first).to_be_visible()
    expect(page.locator("tr.app-sheet-blank").first).to_be_visible()
    expect(page.get_by_role("rowheader", name="Cancelled Carer")).to_be_hidden()
    header = page.locator(".app-sheet-table thead").first
    assert header.evaluate("e => getComputedStyle(e).display") == "table-header-group"
    row = page.locator(".app-sheet-table tbody tr").first
    assert row.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    screenshot(page, "attendance-list-print")

    pdf = page.pdf(format="A4")

    (RESULTS / "attendance-list-print.pdf").write_bytes(pdf)
    words = pdf_words(pdf, tmp_path)
    assert "Sign-in sheet: Oakfield Primary School" in words
    assert "Parental controls clinic" in words
    assert "Venue: School hall. Officer: Pat Officer." in words
    assert words.index("Amira Early") < words.index("Ben Early") < words.index("Chloe Middle")
    assert "07700 900982" in words and "Ramp" in words
    assert "Signature" in words
    for left_out in ("Cancelled Carer", "Send to school now", "Sign out", "Staff menu", "Beta"):
        assert left_out not in words


def test_a_tap_on_a_phone_marks_the_row_without_reloading(
    phone_page, live_server, todays_clinic, officer_user
):
    page = phone_page
    sign_in(page, officer_user.email)
    page.goto(list_url(todays_clinic, "/check-in"))
    expect(page.get_by_role("heading", name="Check in", level=1)).to_be_visible()
    screenshot(page, "attendance-check-in-phone")
    assert_accessible(page)
    page.evaluate("window.notReloaded = true")
    row = page.locator("[data-booking]", has=page.get_by_role("heading", name="Amira Early"))

    row.get_by_role("button", name="Attended (Amira Early)").tap()

    row = page.locator("[data-booking]", has=page.get_by_role("heading", name="Amira Early"))
    expect(row.locator(".govuk-tag")).to_have_text("Attended")
    expect(row).to_contain_text("by Pat Officer at")
    undo = row.get_by_role("button", name="Undo (Amira Early)")
    expect(undo).to_be_focused()
    expect(page.locator("#check-in-totals")).to_contain_text("1 attended")
    expect(page.get_by_role("status")).to_have_text("Amira Early is marked as attended.")
    assert page.evaluate("window.notReloaded") is True  # the row changed, the page did not
    screenshot(page, "attendance-check-in-phone-marked")
    assert_accessible(page)
    with live_server.db() as s:
        assert s.query(Booking).filter_by(parent_name="Amira Early").one().status == "attended"

    undo.tap()

    expect(row.locator(".govuk-tag")).to_have_text("Booked")
    expect(row.get_by_role("button", name="Attended (Amira Early)")).to_be_focused()
    assert page.evaluate("window.notReloaded") is True
    with live_server.db() as s:
        assert s.query(Booking).filter_by(parent_name="Amira Early").one().status == "confirmed"


@pytest.mark.parametrize("javascript", [True, False])
def test_the_print_button_is_offered_only_where_it_works(
    new_page, todays_clinic, officer_user, javascript
):
    """Its script prints the page; with JavaScript off the button would do nothing, so it
    stays hidden (``.govuk-button``'s own display once beat the ``hidden`` attribute)."""
    page = new_page(java_script_enabled=javascript)
    sign_in(page, officer_user.email)
    page.goto(list_url(todays_clinic))
    expect(page.get_by_role("heading", name="Attendance list", level=1)).to_be_visible()
    button = page.locator("#print-sheet")
    if javascript:
        expect(button).to_be_visible()
    else:
        expect(button).to_be_hidden()
        expect(page.get_by_text("Printing this page gives the sign-in sheet")).to_be_visible()


def test_check_in_works_without_javascript(new_page, live_server, todays_clinic, officer_user):
    page = new_page(phone=True, java_script_enabled=False)
    sign_in(page, officer_user.email)
    page.goto(list_url(todays_clinic, "/check-in"))

    page.get_by_role("button", name="No-show (Ben Early)").tap()

    expect(page).to_have_url(re.compile(r"/check-in#booking-\d+$"))
    row = page.locator("[data-booking]", has=page.get_by_role("heading", name="Ben Early"))
    expect(row.locator(".govuk-tag")).to_have_text("No-show")
    with live_server.db() as s:
        assert s.query(Booking).filter_by(parent_name="Ben Early").one().status == "no_show"


def test_walk_in_and_close_pages_are_accessible(phone_page, todays_clinic, officer_user):
    page = phone_page
    sign_in(page, officer_user.email)
    page.goto(list_url(todays_clinic, "/walk-ins/new"))
    page.get_by_role("button", name="Add walk-in").tap()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    screenshot(page, "attendance-walk-in-errors-phone")
    assert_accessible(page)

    page.get_by_label("Year 3").check()
    page.get_by_label("Roblox").check()
    page.get_by_role("button", name="Add walk-in").tap()
    expect(page.get_by_text("The walk-in has been added.")).to_be_visible()
    expect(page.locator("#check-in-totals")).to_contain_text("1 walk-in")

    page.goto(list_url(todays_clinic, "/close"))
    screenshot(page, "attendance-close-phone")
    assert_accessible(page)
    page.get_by_role("button", name="Close the clinic").tap()
    expect(page.get_by_text("The clinic is closed.")).to_be_visible()
