"""An officer adds a passkey in a real Chromium and then gives it instead of a code, with
Chromium's virtual authenticator (DevTools' WebAuthn domain) standing in for a fingerprint.

WebAuthn needs a secure context and a host name for its relying party (an IP address is
not one), so this test reaches the live server as http://localhost:<port>."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clinic.auth.mfa_models import Passkey
from tests.auth.test_mfa import code, give_factor
from tests.browser.axe import assert_accessible
from tests.browser.helpers import fill_sign_in, screenshot

pytestmark = pytest.mark.browser


def virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_officer_adds_a_passkey_and_signs_in_with_it(new_page, live_server, session, make):
    port = live_server.url.rsplit(":", 1)[1]
    host = f"localhost:{port}"
    live_server.app.config.update(SERVER_NAME=host, BASE_URL=f"http://{host}")
    live_server.app.config["MFA_REQUIRED_ROLES"] = ("admin", "officer")
    officer = make.user(role="officer", email="pat@example.org", name="Pat Officer")
    secret, _ = give_factor(session, officer)
    session.commit()

    page = new_page(base_url=f"http://{host}")
    virtual_authenticator(page)
    page.goto("/staff/sign-in")
    fill_sign_in(page, officer.email)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)  # none yet
    page.get_by_label("Code").fill(code(secret))
    page.get_by_role("button", name="Continue").click()

    page.goto("/staff/two-factor")
    expect(page.get_by_text("Adding a passkey needs JavaScript")).to_be_hidden()
    page.get_by_label("Name this passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Passkey “Work laptop” added."
    )
    screenshot(page, "passkeys-manage")
    assert_accessible(page)
    with live_server.db() as s:
        stored = s.scalar(select(Passkey))
        assert stored.user_id == officer.id and stored.name == "Work laptop"

    # Signed out, back in: the passkey instead of a code.
    page.context.clear_cookies()
    page.goto("/staff/sign-in")
    fill_sign_in(page, officer.email)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_text("using it needs JavaScript")).to_be_hidden()
    screenshot(page, "passkeys-code-page")
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).not_to_have_url(re.compile(r"/staff/sign-in"))
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    with live_server.db() as s:
        assert s.scalar(select(Passkey.last_used_at)) is not None


def test_without_javascript_the_code_page_says_so_and_codes_work(
    new_page, live_server, session, make
):
    live_server.app.config["MFA_REQUIRED_ROLES"] = ("admin", "officer")
    officer = make.user(role="officer", email="pat@example.org", name="Pat Officer")
    secret, _ = give_factor(session, officer)
    session.add(
        Passkey(user_id=officer.id, credential_id="AAAA", public_key=b"x", sign_count=0, name="Old")
    )
    session.commit()
    page = new_page(java_script_enabled=False)
    page.goto("/staff/sign-in")
    fill_sign_in(page, officer.email)
    expect(page.get_by_text("using it needs JavaScript")).to_be_visible()
    expect(page.get_by_role("button", name="Use a passkey")).to_be_hidden()
    page.get_by_label("Code").fill(code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page).not_to_have_url(re.compile(r"/staff/sign-in"))
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
