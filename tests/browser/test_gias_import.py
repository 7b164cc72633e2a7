"""A coordinator imports their county from the GIAS extract in Chromium, with and without
JavaScript: the file chosen, the preview checked (axe), the button pressed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from clinic.models import School
from tests.browser.axe import assert_accessible
from tests.browser.helpers import sign_in
from tests.schools.gias_file import extract, row

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_coordinator_imports_their_schools(new_page, make, session, tmp_path, javascript):
    admin = make.user(role="admin", email="coordinator@example.org")
    make.school("St Mary's Primary", urn="113001", address="Church Lane", town="Exeter",
                postcode="EX1 2AB")  # fmt: skip
    path = tmp_path / "edubasealldata20261207.csv"
    path.write_bytes(
        extract(
            [
                row(
                    "113001",
                    "St Mary’s C of E Primary School",
                    street="Church Lane",
                    town="Exeter",
                    postcode="EX1 2AB",
                ),
                row("113002", "Coláiste Éanna", town="Crediton", postcode="EX17 1AA"),
                row("113003", "Old Mill Primary School", status="Closed"),
            ]  # fmt: skip
        )
    )
    page = new_page(java_script_enabled=javascript)
    sign_in(page, admin.email)

    page.goto("/admin/schools")
    page.get_by_role("button", name="Import schools from GIAS").click()
    page.get_by_label("GIAS establishment file").set_input_files(str(path))
    page.get_by_label("Local authorities").fill("Devon")
    page.get_by_role("button", name="Preview the import").click()

    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_role("heading", name="Will be added: 1")).to_be_visible()
    expect(page.get_by_role("heading", name="Will be changed: 1")).to_be_visible()
    expect(page.get_by_role("heading", name="Skipped: 1")).to_be_visible()
    if javascript:
        assert_accessible(page)
    assert session.scalar(select(School).where(School.urn == "113002")) is None
    session.rollback()  # the test's transaction holds SQLite's write lock; end it

    page.get_by_role("button", name="Import these schools").click()

    expect(page.get_by_text("1 school added and 1 changed from GIAS.")).to_be_visible()
    session.expire_all()
    added = session.scalar(select(School).where(School.urn == "113002"))
    assert (added.name, added.contact_email) == ("Coláiste Éanna", "")
