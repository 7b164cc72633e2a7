"""Arabic and Urdu parents book and cancel through the real pages (issue 17), right to left.

For each language (ar, ur), screen width (320 px, 1280 px) and with JavaScript on and off,
a parent walks the whole journey: the home page with ``?lang=`` (the choice is kept in a
cookie), the school finder, the school page, the form (an interpreter asked for), the check
page, the confirmation; then the manage link of the confirmation email, opened in a fresh
browser (no cookie, an English browser: the link alone keeps the language), and the cancel.

On every page: ``<html lang dir="rtl">``, the mirrored stylesheet (dist/app.rtl.css), no
sideways scrolling, no axe violation of any impact, and a screenshot
(test-results/rtl-<lang>-<width>-<js>-<step>.png). Each run also checks that the layout is
mirrored: a radio's and a checkbox's box sit to the right of their labels, and the back link
at the right edge of the page.

The words are looked up in the catalogues (``gettext`` under ``force_locale``), so the test
holds before and after the translations land.
"""

from __future__ import annotations

import re
import time

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clinic.models import Booking
from tests.browser.axe import assert_accessible
from tests.browser.helpers import screenshot
from tests.browser.test_reflow import too_wide
from tests.manage.support import links_in, path_of

pytestmark = pytest.mark.browser

EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
EMAIL = "amira.parent@example.net"


def words(code: str, message: str, **values) -> str:
    """``message`` as the ``code`` catalogue has it (English while it is untranslated)."""
    with force_locale(code):
        return gettext(message, **values)


@pytest.fixture
def clinic(make, school, session):
    officer = make.user(role="officer", name="PC Jones", schools=[school])
    clinic = make.clinic(school, officer, slots=3, capacity=2, venue="School library")
    session.commit()
    return clinic


class Journey:
    """One parent's pages: each is checked and photographed as it is reached.

    Without JavaScript axe cannot run in the page itself (its run waits on timers that a
    page without scripts never fires), so the page's DOM as the browser drew it is served
    to a second page, in a context with scripts but with every script request refused,
    at the same address and width, and axe runs there."""

    def __init__(self, code: str, width: int, js: str, checker: Page | None = None):
        self.code, self.width, self.js = code, width, js
        self.problems: list[str] = []
        self.checker = checker
        self.served: dict[str, str] = {}
        if checker is not None:
            checker.route("**/*", self._serve)

    def _serve(self, route) -> None:
        request = route.request
        if request.url in self.served:
            route.fulfill(body=self.served[request.url], content_type="text/html; charset=utf-8")
        elif request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    def check(self, page: Page, step: str) -> None:
        html = page.locator("html")
        expect(html).to_have_attribute("lang", self.code)
        expect(html).to_have_attribute("dir", "rtl")
        sheets = page.eval_on_selector_all(
            "link[rel=stylesheet]", "links => links.map(l => new URL(l.href).pathname)"
        )
        assert sheets == ["/static/dist/app.rtl.css"], f"{step}: {sheets}"
        if (wide := too_wide(page)) is not None:
            self.problems.append(f"{step}: {wide}")
        screenshot(page, f"rtl-{self.code}-{self.width}-{self.js}-{step}")
        if self.checker is None:
            assert_accessible(page, impacts=EVERY_IMPACT)
        else:
            self.served = {page.url: page.content()}
            self.checker.goto(page.url)
            expect(self.checker.locator("html")).to_have_attribute("dir", "rtl")
            assert_accessible(self.checker, impacts=EVERY_IMPACT)


def _check_mirrored(page: Page) -> None:
    """On the form: a radio's and a checkbox's box to the right of its label's text."""
    for selector in (
        'input[name=interpreter][value="yes"]',
        'input[name=child_years][value="Year 4"]',
        "input[name=consent]",
    ):
        box = page.locator(selector).bounding_box()
        ident = page.locator(selector).get_attribute("id")
        text = page.locator(f'label[for="{ident}"]').bounding_box()
        assert box and text
        assert box["x"] >= text["x"] + text["width"] - 1, (
            f"{selector} at x={box['x']}, not right of its label ({text})"
        )
    # The back link hugs the right edge of the page's column, its arrow pointing right.
    back = page.locator(".govuk-back-link").bounding_box()
    column = page.locator(".govuk-width-container").last.bounding_box()
    assert back and column
    assert abs((back["x"] + back["width"]) - (column["x"] + column["width"])) <= 2, (back, column)
    assert back["x"] > column["x"] + column["width"] / 2 or column["width"] < 400


def _email(smtp, address: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not (messages := smtp.to(address)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert messages, f"no email reached {address}"
    return messages[-1]


@pytest.mark.parametrize("js", ["js", "no-js"])
@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("code", ["ar", "ur"])
def test_a_parent_books_and_cancels_right_to_left(
    new_page, live_server, session, clinic, smtp, code, width, js
):
    school, slot = clinic.school, clinic.slots[1]
    options = {
        "viewport": {"width": width, "height": 640 if width == 320 else 800},
        "java_script_enabled": js == "js",
    }
    page = new_page(**options)
    checker = None if js == "js" else new_page(viewport=options["viewport"])
    journey = Journey(code, width, js, checker)

    # The home page in the chosen language, which a cookie keeps for the next pages.
    page.goto(f"/?lang={code}")
    journey.check(page, "home")
    assert {"name": "lang", "value": code} in [
        {"name": c["name"], "value": c["value"]} for c in page.context.cookies()
    ]
    page.get_by_label(words(code, "Find your child's school")).fill(school.postcode)
    page.get_by_role("button", name=words(code, "Find school")).click()
    expect(page.get_by_role("link", name=school.name)).to_be_visible()
    journey.check(page, "finder")
    page.get_by_role("link", name=school.name).click()

    expect(page.get_by_role("heading", name=school.name, level=1)).to_be_visible()
    journey.check(page, "school")
    page.locator(f'a[href$="/book/{slot.id}"]').click()

    # The form: the interpreter's language is revealed under Yes (all of it shows without JS).
    expect(page.get_by_role("heading", name=words(code, "Your details"), level=1)).to_be_visible()
    language = page.locator("select[name=interpreter_language]")
    if js == "js":
        expect(language).to_be_hidden()
    else:
        expect(language).to_be_visible()
    page.locator("#parent_name").fill("Amira Parent")
    page.locator("input[name=email]").fill(EMAIL)
    page.locator('input[name=child_years][value="Year 4"]').check()
    page.locator('input[name=topics][value="roblox"]').check()
    page.locator('input[name=interpreter][value="yes"]').check()
    expect(language).to_be_visible()
    language.select_option("ar")
    page.locator("input[name=consent]").check()
    _check_mirrored(page)
    journey.check(page, "form")
    page.locator("button[type=submit]").click()

    expect(page.get_by_role("heading", name=words(code, "Check your answers"))).to_be_visible()
    expect(page.get_by_text(EMAIL).first).to_be_visible()
    journey.check(page, "check")
    page.get_by_role("button", name=words(code, "Confirm booking")).click()

    expect(page.get_by_role("heading", name=words(code, "Check your email"))).to_be_visible()
    journey.check(page, "confirmation")
    with live_server.db() as db:
        booking = db.scalars(select(Booking)).one()
        assert (booking.slot_id, booking.language, booking.status) == (slot.id, code, "confirmed")
        assert booking.interpreter_language == "ar"

    # The email's manage link, opened where no cookie says the language (an English browser).
    manage = [u for u in links_in(_email(smtp, EMAIL)) if re.search(r"/booking/[^/?]+\?", u)]
    assert manage and all(f"lang={code}" in u for u in manage), manage
    page = new_page(**options)
    page.goto(path_of(manage[0]))
    expect(page.get_by_role("heading", name=words(code, "Your booking"), level=1)).to_be_visible()
    journey.check(page, "manage")
    page.get_by_role("button", name=words(code, "Cancel booking")).click()

    heading = words(code, "Are you sure you want to cancel?")
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    journey.check(page, "cancel")
    page.get_by_role("button", name=words(code, "Yes, cancel my booking")).click()

    cancelled = words(code, "Your cancelled booking")
    expect(page.get_by_role("heading", name=cancelled, level=1)).to_be_visible()
    journey.check(page, "cancelled")
    with live_server.db() as db:
        assert db.get(Booking, booking.id).status == "cancelled"
    assert not journey.problems, "\n".join(journey.problems)
