"""The clinics dashboard: whose clinics, in what order, with which figures and filters."""

import re

import pytest

from clinic import paging
from clinic.filters import format_date
from clinic.localtime import local_today
from clinic.schedule import service
from tests.helpers import sql_sent

from .test_cancel import waiting
from .test_feed import moved_back

DASHBOARD = "/staff/clinics/"


def rows(html: str) -> list[str]:
    """Each clinic row's text, in page order, whitespace squeezed."""
    found = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)
    cells = [row for row in found if "govuk-table__cell" in row]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in cells]


@pytest.fixture
def clinics(make, school, other_school, officer_user, session):
    """At the officer's school: a published clinic with bookings and a waiting list, a draft,
    a cancelled one and a past one; plus a clinic at a school the officer does not cover."""
    published = make.clinic(school, officer_user, days_ahead=10, title="Published one")
    make.booking(published.slots[0])
    make.booking(published.slots[1])
    waiting(session, published, "Wes Waiting")
    waiting(session, published, "Olu Offered", "offered")
    waiting(session, published, "Cy Claimed", "claimed")
    draft = make.clinic(school, officer_user, days_ahead=5, status="draft", title="Draft one")
    cancelled = make.clinic(school, officer_user, days_ahead=12, title="Cancelled one")
    service.cancel_clinic(session, officer_user, cancelled, "Unwell", expected_version=1)
    session.commit()
    past = moved_back(session, make.clinic(school, officer_user, days_ahead=1, title="Past one"), 8)
    elsewhere_officer = make.user(role="officer", schools=[other_school])
    elsewhere = make.clinic(other_school, elsewhere_officer, days_ahead=6, title="Elsewhere one")
    return {
        "published": published,
        "draft": draft,
        "cancelled": cancelled,
        "past": past,
        "elsewhere": elsewhere,
    }


def test_officer_sees_their_schools_clinics_soonest_first_then_past(officer_client, clinics):
    html = officer_client.get(DASHBOARD).get_data(as_text=True)
    found = rows(html)
    assert [row.split(" on ")[0] for row in found] == [
        "Draft one",
        "Published one",
        "Cancelled one",
        "Past one",
    ]
    draft, published, cancelled, past = found
    assert "Draft" in draft and "0 of 4" in draft and "Check and publish" in draft
    assert "Published" in published and "2 of 4" in published
    assert published.split("2 of 4")[1].split()[0] == "2"  # waiting list: waiting + offered
    assert "Cancelled" in cancelled and "0 of 4" in cancelled
    assert "Past" in past and "Check who came" in past
    assert html.index("Coming up") < html.index("Draft one") < html.index("Past clinics")
    assert "Elsewhere one" not in html
    assert "Create a clinic" in html and "Calendar feed" in html


def test_dates_are_headings(officer_client, clinics):
    html = officer_client.get(DASHBOARD).get_data(as_text=True)
    day = format_date(clinics["draft"].date)
    heading = f'<h3 class="govuk-heading-s govuk-!-margin-bottom-0">{day}</h3>'
    assert heading in html


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", ["Draft one"]),
        ("published", ["Published one"]),
        ("cancelled", ["Cancelled one"]),
        ("past", ["Past one"]),
        ("nonsense", ["Draft one", "Published one", "Cancelled one", "Past one"]),
    ],
)
def test_filter_by_status(officer_client, clinics, status, expected):
    html = officer_client.get(f"{DASHBOARD}?status={status}").get_data(as_text=True)
    assert [row.split(" on ")[0] for row in rows(html)] == expected


def test_filter_by_school(admin_client, clinics, other_school):
    html = admin_client.get(f"{DASHBOARD}?school={other_school.id}").get_data(as_text=True)
    assert [row.split(" on ")[0] for row in rows(html)] == ["Elsewhere one"]
    assert "Clear filters" in html


def test_admin_sees_every_clinic_and_who_runs_it(admin_client, clinics):
    html = admin_client.get(DASHBOARD).get_data(as_text=True)
    assert len(rows(html)) == 5
    assert "Run by Pat Officer" in html
    assert "Create a clinic" not in html


def test_a_long_list_comes_a_page_at_a_time_in_the_same_order(admin_client, clinics, monkeypatch):
    """A coordinator's partnership runs hundreds of clinics a year: the dashboard shows a
    page of them (here 2, in service 50), in the order of the whole list, with links to the
    other pages that keep the filters."""
    whole = [row.split(" on ")[0] for row in rows(admin_client.get(DASHBOARD).text)]
    assert len(whole) == 5
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    seen = []
    for number in (1, 2, 3):
        html = admin_client.get(f"{DASHBOARD}?page={number}").text
        assert f"5 clinics, page {number} of 3." in html
        assert 'class="govuk-pagination' in html
        seen += [row.split(" on ")[0] for row in rows(html)]
        if number < 3:
            assert f'href="{DASHBOARD}?page={number + 1}"' in html
    assert seen == whole
    # Coming up is said once, on the page where it starts; the past heading where it is.
    assert "Coming up" not in admin_client.get(f"{DASHBOARD}?page=3").text
    assert "Past clinics" in admin_client.get(f"{DASHBOARD}?page=3").text
    # An old link past the end shows the last page; a typed "?page=x" the first.
    assert rows(admin_client.get(f"{DASHBOARD}?page=99").text) == rows(
        admin_client.get(f"{DASHBOARD}?page=3").text
    )
    assert "page 1 of 3" in admin_client.get(f"{DASHBOARD}?page=x").text
    # The filters ride along in the page links.
    filtered = admin_client.get(f"{DASHBOARD}?status=past&page=1").text
    assert "page 1 of" not in filtered and "govuk-pagination" not in filtered  # one page
    assert [row.split(" on ")[0] for row in rows(filtered)] == ["Past one"]
    in_school = admin_client.get(f"{DASHBOARD}?school={clinics['draft'].school_id}").text
    assert f'href="{DASHBOARD}?school={clinics["draft"].school_id}&amp;page=2"' in in_school


def test_school_staff_see_their_school_read_only(school_client, clinics):
    html = school_client.get(DASHBOARD).get_data(as_text=True)
    assert len(rows(html)) == 4 and "Elsewhere one" not in html
    assert "Create a clinic" not in html and "Calendar feed" not in html
    page = school_client.get(f"/staff/clinics/{clinics['published'].id}").get_data(as_text=True)
    assert "Published one" in page
    for button in ("Change", "Add a slot", "Cancel the clinic", "Copy to another date"):
        assert button not in page


def test_the_dashboard_query_count_does_not_grow_with_clinics(
    app, officer_client, make, school, officer_user
):
    def count_queries() -> int:
        with sql_sent() as statements:
            assert officer_client.get(DASHBOARD).status_code == 200
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    for days in (3, 4):
        make.clinic(school, officer_user, days_ahead=days)
    few = count_queries()
    for days in range(5, 15):
        clinic = make.clinic(school, officer_user, days_ahead=days)
        make.booking(clinic.slots[0])
    assert count_queries() == few
    assert few <= 6


def test_next_actions(make, school, officer_user, session):
    today = local_today()
    clinic = make.clinic(school, officer_user, slots=1)
    row = service.ClinicRow(clinic, "published", 1, 1, 1, 0, None, None)
    assert service.next_action(row, today) == "Full"
    row.waiting = 2
    assert service.next_action(row, today) == "Full: think about another date"
    row.booked = 0
    assert service.next_action(row, today) == "Tell parents about it"
    assert service.next_action(row, clinic.date) == "Run the clinic today"
    row.slots = 0
    assert service.next_action(row, today) == "Add slots"


def test_only_those_who_may_publish_are_told_to(school_client, admin_client, clinics):
    """School staff cannot publish a draft (the publish route: the school's officers and
    admins), so their next step says who does it; officers and admins are told to."""

    def draft_row(client) -> str:
        html = client.get(DASHBOARD).get_data(as_text=True)
        return next(row for row in rows(html) if "Draft one" in row)

    draft = draft_row(school_client)
    assert "Check and publish" not in draft and "Waiting for the officer to publish it" in draft
    assert "Check and publish" in draft_row(admin_client)


def test_next_actions_for_those_who_may_not_publish(make, school, officer_user):
    today = local_today()
    clinic = make.clinic(school, officer_user, slots=1, status="draft")
    row = service.ClinicRow(clinic, "draft", 1, 1, 0, 0, None, None)
    waiting = service.next_action(row, today, may_publish=False)
    assert waiting == "Waiting for the officer to publish it"
    row.slots = 0
    assert service.next_action(row, today, may_publish=False) == (
        "Waiting for the officer to add times"
    )
