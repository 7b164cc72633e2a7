"""WCAG 1.4.10 reflow: no page scrolls sideways at 320 CSS pixels wide.

One test walks every GET route of ``app.url_map`` that answers with a page (a new route
without a sample value fails it), signed out and as each kind of staff, on records with
the longest words people type: email addresses, school names, web addresses. A second
drives the pages that only appear after a form (the check page, the confirmation, the
waiting list's "Check your email"). Each page that is wider than the screen is photographed under
test-results/reflow/ and named with the elements that stick out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from clinic.auth.mfa_models import Passkey
from clinic.auth.service import password_token, sign_in_token
from clinic.links import feedback_token, manage_token, waitlist_token
from clinic.localtime import local_today
from clinic.models import GuidanceLink, OutboxMessage, Partnership, WalkIn
from clinic.waitlist import service as waitlist
from tests.browser.helpers import NOT_PAGES, RESULTS, screenshot, sign_in
from tests.core.test_route_walk import ROUTES

pytestmark = pytest.mark.browser

NARROW = {"viewport": {"width": 320, "height": 640}}

# Long unbroken words, as people really have them.
LONG_EMAIL = "alexandra.montgomery-featherstonehaugh.family@household-mail.example.net"
LONG_SCHOOL = "St Bartholomew-the-Great Church of England Voluntary Aided Primary School"
LONG_URL = "https://www.example.org/parents/parental-controls/step-by-step-guide-for-families"

OVERFLOW = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 0.5) {
      let inside = el.parentElement, clipped = false;
      while (inside && inside !== document.body) {
        const style = getComputedStyle(inside);
        if (style.overflowX !== 'visible') { clipped = true; break; }
        inside = inside.parentElement;
      }
      const classes = typeof el.className === 'string' ? el.className.trim() : '';
      const name = el.tagName.toLowerCase();
      if (!clipped) wide.push(classes ? name + '.' + classes.split(/\\s+/).join('.') : name);
    }
  }
  return {scroll: root.scrollWidth, client: width, wide: [...new Set(wide)].slice(0, 6)};
}"""


def too_wide(page: Page) -> str | None:
    """None when the page fits its window; else what sticks out (and a screenshot)."""
    found = page.evaluate(OVERFLOW)
    if found["scroll"] <= found["client"]:
        return None
    folder = RESULTS / "reflow"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", page.url.split("//", 1)[-1].split("/", 1)[-1])[:80]
    page.screenshot(path=str(folder / f"{name or 'home'}.png"), full_page=True)
    return f"{page.url}: {found['scroll']} px wide at {found['client']} px; {found['wide']}"


def _todays_clinic(make, session, school, officer):
    day = local_today()
    clinic = make.clinic(school, officer, slots=2, capacity=3, venue="The hall, by reception.")
    start = datetime(day.year, day.month, day.day, 0, 5, tzinfo=UTC)
    clinic.date = day
    for n, slot in enumerate(clinic.slots):
        slot.starts_at = start + timedelta(minutes=15 * n)
        slot.ends_at = slot.starts_at + timedelta(minutes=15)
    clinic.booking_opens_at = start - timedelta(days=30)
    clinic.booking_closes_at = start - timedelta(hours=1)
    session.commit()
    return clinic


@pytest.fixture
def world(make, session):
    """One record of each kind a page shows, with long words in them."""
    school = make.school(name=LONG_SCHOOL, contact_email="office." + LONG_EMAIL)
    admin = make.user(role="admin", email="admin@example.org", name="Ada Admin")
    officer = make.user(
        role="officer",
        email="officer." + LONG_EMAIL,
        name="Pat Officer-Featherstonehaugh",
        schools=[school],
    )
    school_user = make.user(role="school", email="office@example.org", school=school)
    colleague = make.user(role="officer", schools=[school], name="Col League")
    clinic = make.clinic(
        school, officer, slots=4, capacity=3, venue="Room 12, up the stairs by reception."
    )
    booking = make.booking(clinic.slots[1], email=LONG_EMAIL, parent_name="Alexandra Montgomery")
    full = make.clinic(school, officer, slots=1, capacity=1, days_ahead=21)
    make.booking(full.slots[0], email="second." + LONG_EMAIL)
    entry = waitlist.join(
        session,
        full,
        {
            "parent_name": "Wendy Waiting",
            "email": "waiting." + LONG_EMAIL,
            "phone": None,
            "child_years": ["Year 3"],
            "topics": ["roblox"],
            "other_topic": None,
            "access_needs": None,
        },
    )
    session.commit()
    today = _todays_clinic(make, session, school, officer)
    attended = make.booking(today.slots[0], status="attended", email="third." + LONG_EMAIL)
    make.booking(today.slots[1], email="fourth." + LONG_EMAIL)
    walk_in = WalkIn(clinic_id=today.id, parent_name="Walter In", topics=["roblox"])
    link = GuidanceLink(
        topic="discord",
        title="Discord Family Centre",
        url=LONG_URL,
        partnership_id=session.scalar(select(Partnership.id).order_by(Partnership.id).limit(1)),
    )
    failed = OutboxMessage(
        kind="booking_confirmed",
        recipient=LONG_EMAIL,
        subject="Your place is booked for Wednesday 16 December 2026, 3pm",
        text_body="Hello",
        status="failed",
        attempts=8,
        next_attempt_at=datetime.now(UTC),
        partnership_id=session.scalar(select(Partnership.id).order_by(Partnership.id).limit(1)),
    )
    passkey = Passkey(
        user_id=officer.id, credential_id="cGFzc2tleQ", public_key=b"-", name="Laptop"
    )
    session.add_all([walk_in, link, failed, passkey])
    session.commit()
    officer.calendar_token = "FeedToken0123456789abcdefABCDEF"
    session.commit()
    return {
        "clinic_id": clinic.id,
        "slot_id": clinic.slots[0].id,
        "booking_id": booking.id,
        "school_id": school.id,
        "slug": school.slug,
        "user_id": officer.id,
        "link_id": link.id,
        "topic": "home-broadband",
        "message_id": failed.id,
        "walk_in_id": walk_in.id,
        "passkey_id": passkey.id,
        # a genuine link of each kind (the kinds of tests/core/test_route_walk.py's ROUTES)
        "token": {
            "manage": manage_token(booking),
            "waitlist": waitlist_token(entry),
            "feedback": feedback_token(attended),
            "password": password_token(colleague),
            "sign-in": sign_in_token(colleague),
        },
        # the pages about a clinic's day use today's clinic, the waiting list the full one
        "attendance": {"clinic_id": today.id, "booking_id": attended.id},
        "waitlist": {"clinic_id": full.id},
        "users": {"admin": admin, "officer": officer, "school": school_user},
    }


def _pages(app, world) -> list[str]:
    adapter = app.url_map.bind("localhost")
    paths = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        blueprint = rule.endpoint.split(".", 1)[0]
        values = {}
        for argument in rule.arguments:
            special = world.get(blueprint, {})
            if argument == "token":
                values[argument] = world["token"][ROUTES[rule.endpoint].link]
            elif argument in special:
                values[argument] = special[argument]
            elif argument in world:
                values[argument] = world[argument]
            else:
                pytest.fail(f"add a sample value for {argument!r} ({rule.endpoint})")
        paths.append(adapter.build(rule.endpoint, values))
    return paths


def test_every_page_fits_320_pixels_signed_out_and_as_staff(new_page, live_server, world):
    paths = _pages(live_server.app, world)
    # The widest pages before the fix, photographed as the officer sees them (test-results/).
    photographed = {
        f"/staff/attendance/clinics/{world['attendance']['clinic_id']}": "reflow-list-320",
        f"/staff/clinics/{world['clinic_id']}": "reflow-clinic-320",
        f"/booking/staff/clinics/{world['waitlist']['clinic_id']}/waitlist": (
            "reflow-waitlist-staff-320"
        ),
    }
    assert len(paths) > 40
    problems = []
    for actor in ("signed out", "admin", "officer", "school"):
        page = new_page(**NARROW)
        if actor != "signed out":
            sign_in(page, world["users"][actor].email)
        for path in paths:
            page.goto(path)
            if (problem := too_wide(page)) is not None:
                problems.append(f"{actor}: {problem}")
            if actor == "officer" and path in photographed:
                screenshot(page, photographed[path])
            if actor == "admin" and path == "/admin/guidance":
                screenshot(page, "reflow-guidance-320")
    assert not problems, "\n".join(problems)


def test_pages_after_a_form_fit_320_pixels(new_page, live_server, world):
    page = new_page(**NARROW)
    problems = []

    def check():
        if (problem := too_wide(page)) is not None:
            problems.append(problem)

    # The waiting list of the full clinic, joined with a long address: "Check your email".
    page.goto(f"/booking/clinics/{world['waitlist']['clinic_id']}/waitlist")
    _fill(page, "list." + LONG_EMAIL)
    page.get_by_role("button", name=re.compile("waiting list", re.I)).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check()
    screenshot(page, "reflow-waitlist-joined-320")

    # A booking: the form with its errors, the check page, the confirmation, Back.
    page.goto(f"/book/{world['slot_id']}")
    page.get_by_role("button", name="Continue").click()
    # The form comes back with its errors (a new page: measuring before it has loaded
    # found no body once).
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check()
    _fill(page, "booking." + LONG_EMAIL)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    check()
    screenshot(page, "reflow-booking-check-320")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    check()
    page.go_back()
    check()
    assert not problems, "\n".join(problems)


def _fill(page: Page, email: str) -> None:
    page.get_by_label("full name").fill("Alexandra Montgomery-Featherstonehaugh")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Year 4").check()
    page.get_by_label("Discord").check()
    page.get_by_label("I have read the privacy notice").check()
