"""Every page under the Content-Security-Policy, in Chromium, with and without JavaScript.

The pages are those of the route walk (tests/core/test_route_walk.py): every GET rule that
answers HTML, opened by an actor its rule allows (a parent through their link, the
school's officer, an admin). With JavaScript each page must pass axe; with or without,
Chromium must report no CSP violation (the harness fails the test on one: conftest.py),
and GOV.UK Frontend's scripts must have run (the body-class file and the components'
module are files from this site, so the policy allows them).
"""

from __future__ import annotations

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.helpers import NOT_PAGES, sign_in
from tests.conftest import IsolatedClient
from tests.core.test_route_walk import ADMIN, OFFICER, PARENT, ROUTES, RouteWorld, _url

pytestmark = pytest.mark.browser

# Besides files and feeds: pages that only redirect, or only follow a form's POST.
AFTER_A_FORM = {
    "booking.short_link",
    "booking.confirmation",
    "booking.staff_confirmation",
    "booking.check",
    "booking.staff_check",
    "waitlist.joined",
}


def _pages(world, actor):
    urls = []
    for rule in sorted(world.app.url_map.iter_rules(), key=lambda r: r.rule):
        route = ROUTES.get(rule.endpoint)
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES | AFTER_A_FORM or route is None:
            continue
        if actor in route.allowed and (actor != PARENT or route.link or route.name == "PUBLIC"):
            urls.append((rule.endpoint, _url(world, rule, actor)))
    return urls


@pytest.mark.parametrize("actor", [PARENT, OFFICER, ADMIN])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_every_page_works_under_the_policy(live_server, session, make, new_page, actor, javascript):
    # The world signs its own test clients in; each request in an app context of its own.
    live_server.app.test_client_class = IsolatedClient
    world = RouteWorld(live_server.app, session, make)
    session.commit()
    page = new_page(java_script_enabled=javascript)
    if actor != PARENT:
        sign_in(page, {OFFICER: world.officer, ADMIN: world.admin}[actor].email)
    seen = 0
    for endpoint, url in _pages(world, actor):
        if endpoint.startswith("auth.") and actor != PARENT:
            continue  # sign-in and set-password pages are for people signed out
        answer = page.goto(url)
        assert answer.status < 400, (endpoint, url, answer.status)
        assert answer.headers["x-frame-options"] == "DENY"
        if javascript:
            classes = page.eval_on_selector("body", "e => e.className")
            assert "govuk-frontend-supported" in classes, (endpoint, classes)
            assert_accessible(page)
        seen += 1
    assert seen >= {PARENT: 12, OFFICER: 15, ADMIN: 20}[actor]


def test_the_content_security_policy_refuses_inline_script_and_a_refusal_fails_the_test(
    page, live_server
):
    """The home page as the app sends it, headers included, with an inline script and an
    inline style slipped in: Chromium runs neither, and the harness records the refusals
    (which would fail any other test at teardown)."""

    def tamper(route):
        response = route.fetch()
        body = response.text().replace(
            "</main>",
            '<p id="styled" style="color: rgb(255, 0, 0)">x</p>'
            "<script>document.title = 'injected';</script></main>",
        )
        route.fulfill(response=response, body=body)

    page.route("**/", tamper)
    answer = page.goto("/")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert page.title() != "injected"
    assert page.eval_on_selector("#styled", "e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    # GOV.UK Frontend's own scripts ran: they are files from this site.
    assert "govuk-frontend-supported" in page.eval_on_selector("body", "e => e.className")
    refused = [p for p in live_server.problems if p.startswith("CSP violation")]
    assert any("inline script" in p for p in refused), live_server.problems
    assert any("inline style" in p for p in refused), live_server.problems
    live_server.problems.clear()
