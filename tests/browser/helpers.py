"""Small helpers for browser tests."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

RESULTS = Path(__file__).resolve().parents[2] / "test-results"  # gitignored

# GET routes that answer with something other than an HTML page: files, feeds, JSON.
NOT_PAGES = frozenset(
    {
        "static",
        "core.healthz",
        "ops.readyz",
        "ops_metrics.metrics",
        "manage.invite",
        "schedule.calendar_feed",
        "attendance.clinic_csv",
        "attendance.clinic_pdf",
        "figures.csv",
    }
)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-results/<name>.png and return its path."""
    path = RESULTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill in and send the staff sign-in form on the current page."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign a staff member in through the real form and wait until it has worked."""
    page.goto("/staff/sign-in")
    fill_sign_in(page, email, password)
    expect(page).not_to_have_url(re.compile(r"/staff/sign-in(\?.*)?$"))
