"""/admin/audit: coordinators see who did what to which record and when, filtered and a
page at a time; nobody else finds the page, and nothing on it changes anything."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic import audit
from clinic.models import AuditEvent


@pytest.fixture
def events(session, admin_user, officer_user, school):
    """Events over three days, by several actors."""
    base = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    made = []
    for n in range(60):
        actor = admin_user if n % 2 else officer_user
        action = "clinic.publish" if n % 3 else "booking.cancel"
        event = audit.record(session, actor, action, school, reason=f"note {n}")
        event.at = base + timedelta(hours=n)
        event.object_type, event.object_id = (
            ("booking", 1000 + n)
            if n % 3 == 0
            else (
                "clinic",
                500 + n,
            )
        )
        made.append(event)
    audit.record(session, "parent", "booking.cancel_by_parent", school)
    session.commit()
    return made


def _rows(page) -> int:
    return page.get_data(as_text=True).count('<tr class="govuk-table__row">') - 1


def test_the_log_is_paginated_newest_first(admin_client, events):
    first = admin_client.get("/admin/audit")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "61 events, page 1 of 2" in html
    assert _rows(first) == 50
    assert html.index("booking.cancel_by_parent") < html.index("note 59") < html.index("note 58")
    second = admin_client.get("/admin/audit?page=2")
    assert _rows(second) == 11 and "note 0<" in second.get_data(as_text=True)
    assert admin_client.get("/admin/audit?page=99").status_code == 200  # the last page
    assert admin_client.get("/admin/audit?page=x").status_code == 200


def test_filters(admin_client, events, officer_user):
    def count(query):
        page = admin_client.get("/admin/audit?" + query)
        assert page.status_code == 200
        return _rows(page)

    assert count("actor=OFFICER@") == 30
    assert count("actor=parent") == 1
    assert count("action=booking.cancel") == 20
    assert count("object_type=booking&object_id=1003") == 1
    # Dates are the clinic's calendar days (Europe/London, GMT in November), both included.
    assert count("start=2026-11-11&end=2026-11-11") == 24
    assert count("start=2026-11-12") == 24 + 1  # with the parent's (today's) event
    assert count("actor=officer&action=clinic.publish&start=2026-11-10&end=2026-11-10") == 4
    # Bad values are shown next to their field; the log still answers.
    bad = admin_client.get("/admin/audit?start=31/11/2026&object_id=99999999999999&end=x")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Enter a date like 2026-11-30" in html and "Enter a record number" in html
    backwards = admin_client.get("/admin/audit?start=2026-11-12&end=2026-11-10")
    assert "must be the same as or after" in backwards.get_data(as_text=True)


@pytest.mark.parametrize("asked", ["9" * 400, "0", "-5", "1.5", "²", "1e400", "\u0661" * 30])
def test_a_record_number_no_record_can_have_is_a_message_not_a_500(admin_client, events, asked):
    page = admin_client.get("/admin/audit", query_string={"object_id": asked})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Enter a record number from 1 upwards, in figures" in html
    assert _rows(page) == 50  # the filter with an error is left out: the first page of all


def test_filters_are_kept_across_pages(admin_client, events):
    html = admin_client.get("/admin/audit?actor=a&page=1").get_data(as_text=True)
    assert "/admin/audit?actor=a&amp;page=2" in html


def test_only_coordinators_find_it(app, officer_client, school_client, events):
    assert officer_client.get("/admin/audit").status_code == 404
    assert school_client.get("/admin/audit").status_code == 404
    anonymous = app.test_client().get("/admin/audit")
    assert anonymous.status_code == 302 and "/staff/sign-in" in anonymous.headers["Location"]


def test_nothing_can_be_changed(admin_client, session, events):
    before = session.query(AuditEvent).count()
    for method in ("post", "put", "delete", "patch"):
        assert getattr(admin_client, method)("/admin/audit").status_code in (400, 405)
    assert session.query(AuditEvent).count() == before


def test_values_are_escaped(admin_client, session, admin_user, school):
    audit.record(session, admin_user, "school.update", school, name="<script>alert(1)</script>")
    session.commit()
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
