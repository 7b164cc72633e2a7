"""A staff member signs in and out in a real browser; the sign-in page passes axe."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.helpers import fill_sign_in, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_staff_member_signs_in_and_out(screen, request, live_server, make):
    page = request.getfixturevalue("page" if screen == "desktop" else "phone_page")
    admin = make.user(role="admin", email="ada@example.org", name="Ada Admin")

    page.goto("/staff/sign-in")
    expect(page).to_have_title("Sign in – Parental controls clinics")
    screenshot(page, "sign-in" if screen == "desktop" else "sign-in-phone")
    assert_accessible(page)

    fill_sign_in(page, admin.email, PASSWORD)

    expect(page).to_have_url(live_server("/admin/schools"))
    nav = page.get_by_role("navigation", name="Staff menu")
    if screen == "phone":  # the service navigation folds into a Menu button on small screens
        nav.get_by_role("button", name="Menu").click()
    sign_out_link = nav.get_by_role("link", name="Sign out")
    expect(sign_out_link).to_be_visible()

    sign_out_link.click()
    expect(page.get_by_role("heading", name="Sign out", level=1)).to_be_visible()
    expect(page.get_by_text("You are signed in as ada@example.org")).to_be_visible()
    page.get_by_role("main").get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(live_server("/staff/sign-in"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out.")
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)
    page.goto("/admin/schools")  # signed out for real: staff pages send you to sign in
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next="))


def test_wrong_password_shows_the_errors(page, live_server, make):
    admin = make.user(role="admin", email="ada@example.org", name="Ada Admin")
    page.goto("/staff/sign-in")

    fill_sign_in(page, admin.email, "not the password")

    expect(page).to_have_url(live_server("/staff/sign-in"))
    expect(page).to_have_title("Error: Sign in – Parental controls clinics")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    message = "Enter a correct email address and password"
    expect(summary.get_by_role("link", name=message)).to_have_count(1)  # said once
    expect(page.locator("#email-error")).to_have_text(f"Error: {message}")
    email = page.get_by_label("Email address")
    expect(email).to_have_value(admin.email)  # the email is kept, the password is not
    expect(email).to_have_attribute("aria-describedby", "email-error")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    screenshot(page, "sign-in-error")
    assert_accessible(page)

    summary.get_by_role("link", name=message).click()
    expect(email).to_be_focused()
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)


def test_forgotten_password_and_a_throttled_account(page, live_server, make, smtp):
    """The reset page, its answer, and the page offering a sign-in link pass axe."""
    officer = make.user(role="officer", email="pat@example.org", name="Pat Officer")
    page.goto("/staff/sign-in")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", name="Forgotten your password?", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email address").fill(officer.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    assert_accessible(page)

    live_server.app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "1 per hour"
    page.goto("/staff/sign-in")
    fill_sign_in(page, officer.email, "not the password")
    fill_sign_in(page, officer.email, PASSWORD)
    expect(page.get_by_role("heading", name="Too many attempts to sign in")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    link = re.search(r"http://\S+/staff/sign-in-link/\S+", _last_text(smtp, officer.email))[0]
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Sign out")).to_have_count(1)


def _last_text(smtp, address):
    return smtp.to(address)[-1].get_body(("plain",)).get_content()


def test_the_audit_log_page(page, live_server, make):
    from tests.browser.helpers import sign_in

    admin = make.user(role="admin", email="ada@example.org", name="Ada Admin")
    sign_in(page, admin.email)
    page.get_by_role("link", name="Audit log").first.click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("From").fill("2026-11-12")
    page.get_by_label("To", exact=True).fill("2026-11-10")
    page.get_by_role("button", name="Show events").click()
    expect(page.locator("#end-error")).to_contain_text("must be the same as or after")
    assert_accessible(page)


def test_the_demo_sign_in_page_lists_the_seeded_accounts(phone_page, live_server, session):
    """Development settings: the table the seed printed is under the form, and works."""
    from clinic.demo import accounts, seed

    rows = accounts(session, seed(session))
    session.commit()
    live_server.app.config["SHOW_DEMO_ACCOUNTS"] = True
    path = live_server.app.config["DEMO_ACCOUNTS_FILE"]
    with open(path, "w") as saved:
        json.dump(rows, saved)
    page = phone_page

    page.goto("/staff/sign-in")
    table = page.get_by_role("table", name="Demo accounts")
    expect(table.get_by_role("row")).to_have_count(6)  # a header and five accounts
    school = table.get_by_role("row", name=re.compile("School staff"))
    expect(school).to_contain_text("Oakfield Primary School")
    screenshot(page, "sign-in-demo-accounts-phone")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    officer = rows[2]
    fill_sign_in(page, officer["email"], officer["password"])
    expect(page).to_have_url(re.compile("/staff/clinics"))

    live_server.app.config["SHOW_DEMO_ACCOUNTS"] = False
    page.goto("/staff/sign-out")
    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("table", name="Demo accounts")).to_have_count(0)
