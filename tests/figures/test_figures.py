"""The figures: exact counts on a small hand-built set of clinics, scope, filters, CSV,
anonymisation, and a number of queries that does not grow with the clinics."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.figures import service as figures
from clinic.text import spreadsheet_cell
from tests.followup.support import (
    anonymise_everything,
    book,
    clinic_dated,
    feedback,
    walk_in,
)
from tests.helpers import sql_sent

TODAY = date(2025, 5, 1)  # the service is told the day; the pages use the real one
REAL_TODAY = datetime.now(ZoneInfo("Europe/London")).date()
MARCH, APRIL, MAY = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)


class World:
    """Two schools of the officer's (Oakfield, Brookside) and one of another officer's."""


@pytest.fixture
def world(session, make, school, other_school, officer_user):
    w = World()
    w.oakfield, w.hillside = school, other_school
    w.brookside = make.school(name="Brookside Primary School")
    officer_user.schools.append(w.brookside)
    w.officer = officer_user
    w.other_officer = make.user(role="officer", schools=[other_school])
    session.commit()

    def clinic(where, day, **options):
        return clinic_dated(session, where, w.officer, day, **options)

    # Oakfield, March: two clinics (6 + 2 places).
    a1 = clinic(school, date(2025, 3, 10), slots=2, capacity=3)
    came1 = book(make, a1, "attended", ["roblox", "tiktok"], parent_name="Alex Example")
    came2 = book(make, a1, "attended", ["roblox"], slot=1)
    book(make, a1, "no_show", ["iphone-ipad"])
    book(make, a1, "cancelled", ["discord"])
    book(make, a1, "confirmed", ["roblox"], slot=1)
    walk_in(session, a1, ["consoles", "roblox"])
    feedback(session, came1, 5, "Brilliant, thank you")
    feedback(session, came2, 4)
    a2 = clinic(school, date(2025, 3, 24), capacity=2)
    book(make, a2, "attended", ["youtube"])

    # Oakfield, April: one clinic (4 places).
    a3 = clinic(school, date(2025, 4, 7), capacity=4)
    came3 = book(make, a3, "attended", ["tiktok"])
    book(make, a3, "attended", ["tiktok", "roblox"])
    feedback(session, came3, 3, "More time please")

    # Oakfield, May: run on TODAY and closed, so it counts on the day.
    a4 = clinic(school, TODAY, capacity=1, closed=True)
    book(make, a4, "attended", ["whatsapp"])

    # Left out: not closed and not yet past, in the future, cancelled, draft.
    book(make, clinic(school, REAL_TODAY), "attended", ["snapchat"])
    book(make, clinic(school, REAL_TODAY + timedelta(days=30)), "confirmed", ["instagram"])
    cancelled = clinic(school, date(2025, 3, 17), status="cancelled")
    book(make, cancelled, "cancelled", ["android"])
    draft = clinic(school, date(2025, 3, 18), status="draft")
    walk_in(session, draft, ["android"])

    # Brookside, March: one clinic (4 places) with two walk-ins.
    b1 = clinic(w.brookside, date(2025, 3, 12), slots=2, capacity=2)
    book(make, b1, "attended", ["android"])
    book(make, b1, "no_show", [])
    walk_in(session, b1, ["android"])
    walk_in(session, b1, [])

    # Hillside (another officer's school), March.
    c1 = clinic_dated(session, other_school, w.other_officer, date(2025, 3, 11), capacity=5)
    feedback(session, book(make, c1, "attended", ["discord"]), 1, "Hillside comment")
    return w


def summary(row: figures.Row) -> tuple:
    return (
        row.school_name,
        row.month,
        row.clinics,
        row.places,
        row.booked,
        row.attended,
        row.no_shows,
        row.cancellations,
        row.walk_ins,
        row.feedback,
        row.useful_total,
        dict(row.topics),
    )


OFFICER_ROWS = [
    ("Brookside Primary School", MARCH, 1, 4, 2, 1, 1, 0, 2, 0, 0, {"android": 2}),
    (
        "Oakfield Primary School",
        MARCH,
        2,
        8,
        5,
        3,
        1,
        1,
        1,
        2,
        9,
        {"roblox": 4, "tiktok": 1, "iphone-ipad": 1, "youtube": 1, "consoles": 1},
    ),
    ("Oakfield Primary School", APRIL, 1, 4, 2, 2, 0, 0, 0, 1, 3, {"tiktok": 2, "roblox": 1}),
    ("Oakfield Primary School", MAY, 1, 1, 1, 1, 0, 0, 0, 0, 0, {"whatsapp": 1}),
]
HILLSIDE_ROW = ("Hillside Primary School", MARCH, 1, 5, 1, 1, 0, 0, 0, 1, 1, {"discord": 1})


def officer_figures(session, world, **filters) -> figures.Figures:
    return figures.figures(session, world.officer, today=TODAY, **filters)


def test_an_officer_sees_their_schools_by_school_and_month(session, world):
    result = officer_figures(session, world)

    assert [summary(row) for row in result.rows] == OFFICER_ROWS
    total = result.total
    assert (total.clinics, total.places, total.booked, total.attended) == (5, 17, 10, 7)
    assert (total.no_shows, total.cancellations, total.walk_ins) == (2, 1, 3)
    assert (total.feedback, total.mean_useful) == (3, 4.0)
    assert total.fill_rate == pytest.approx(10 / 17)
    assert total.households == 13
    most_asked = figures.most_common(total.topics)[:2]
    assert [(figures.topic_label(t), n) for t, n in most_asked] == [("Roblox", 5), ("TikTok", 3)]


def test_by_month_and_by_school_add_up(session, world):
    result = officer_figures(session, world)

    by_month = [(r.month, r.clinics, r.booked, r.walk_ins) for r in result.by_month]
    assert by_month == [(MARCH, 3, 7, 3), (APRIL, 1, 2, 0), (MAY, 1, 1, 0)]
    by_school = [(r.school_name, r.clinics, r.places, r.feedback) for r in result.by_school]
    assert by_school == [
        ("Brookside Primary School", 1, 4, 0),
        ("Oakfield Primary School", 4, 13, 3),
    ]


def test_comments_are_shown_without_names_newest_first(session, world):
    result = officer_figures(session, world)

    assert [(c.text, c.school_name, c.useful) for c in result.comments] == [
        ("More time please", "Oakfield Primary School", 3),
        ("Brilliant, thank you", "Oakfield Primary School", 5),
    ]


def test_an_admin_sees_every_school(session, world, admin_user):
    result = figures.figures(session, admin_user, today=TODAY)

    rows = [summary(row) for row in result.rows]
    assert rows == [OFFICER_ROWS[0], HILLSIDE_ROW, *OFFICER_ROWS[1:]]
    assert "Hillside comment" in [c.text for c in result.comments]


def test_another_officers_schools_are_not_counted(session, world):
    result = figures.figures(session, world.other_officer, today=TODAY)

    assert [summary(row) for row in result.rows] == [HILLSIDE_ROW]


def test_school_staff_see_nothing_through_the_service(session, world, school_user):
    """The page is not theirs (404); even so the service keeps to their one school."""
    result = figures.figures(session, school_user, today=TODAY)
    assert {row.school_name for row in result.rows} == {"Oakfield Primary School"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"school": "brookside"}, OFFICER_ROWS[:1]),
        ({"start": APRIL}, OFFICER_ROWS[2:]),
        ({"end": MARCH}, OFFICER_ROWS[:2]),
        ({"start": APRIL, "end": APRIL}, OFFICER_ROWS[2:3]),
        ({"school": "oakfield", "start": MAY}, OFFICER_ROWS[3:]),
    ],
)
def test_filters(session, world, filters, expected):
    if "school" in filters:
        filters["school_id"] = getattr(world, filters.pop("school")).id

    result = officer_figures(session, world, **filters)

    assert [summary(row) for row in result.rows] == expected


def test_the_figures_survive_anonymisation(session, world):
    before = officer_figures(session, world)

    anonymise_everything(session)
    session.expire_all()
    after = officer_figures(session, world)

    assert [summary(row) for row in after.rows] == [summary(row) for row in before.rows]
    assert summary(after.total) == summary(before.total)
    assert after.comments == before.comments


def add_more_clinics(session, make, world, count: int) -> None:
    """Many more clinics over both schools and several months, each with every kind of record."""
    for n in range(count):
        where = world.oakfield if n % 2 else world.brookside
        clinic = clinic_dated(session, where, world.officer, date(2024, 1 + n % 12, 1 + n), slots=2)
        came = book(make, clinic, "attended", ["tiktok", "youtube"])
        book(make, clinic, "cancelled", ["roblox"], slot=1)
        walk_in(session, clinic, ["discord"])
        feedback(session, came, 1 + n % 5, f"Comment {n}")


def test_the_number_of_queries_does_not_grow_with_the_clinics(session, make, world, officer_client):
    def measure():
        session.commit()
        with sql_sent() as service_queries:
            officer_figures(session, world)
        session.commit()
        with sql_sent() as page_queries:
            assert officer_client.get("/staff/figures").status_code == 200
        with sql_sent() as csv_queries:
            assert officer_client.get("/staff/figures.csv").status_code == 200
        return len(service_queries), len(page_queries), len(csv_queries)

    few = measure()
    add_more_clinics(session, make, world, 20)
    many = measure()

    assert few == many
    with sql_sent() as statements:
        officer_figures(session, world)
    # One GROUP BY query for each kind of record, and one for the comments.
    assert len([sql for sql in statements if "FROM clinic" in sql or "FROM feedback" in sql]) == 6


def test_the_queries_read_no_personal_details(session, world):
    with sql_sent() as statements:
        officer_figures(session, world)
    sql = " ".join(statements).lower()
    for table in ("booking", "walk_in"):
        for personal in ("parent_name", "email", "phone", "access_needs", "other_topic"):
            assert f"{table}.{personal}" not in sql


# --- the page and the CSV -------------------------------------------------------------------


def rows_of_csv(response) -> list[dict]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_has_one_line_per_school_and_month(officer_client, world):
    response = officer_client.get("/staff/figures.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    lines = rows_of_csv(response)
    assert [(line["School"], line["Month"]) for line in lines] == [
        ("Brookside Primary School", "2025-03"),
        ("Oakfield Primary School", "2025-03"),
        ("Oakfield Primary School", "2025-04"),
        ("Oakfield Primary School", "2025-05"),
    ]
    march = lines[1]
    assert march["URN"] == world.oakfield.urn
    assert march["Clinics run"] == "2"
    assert march["Places offered"] == "8"
    assert march["Booked"] == "5"
    assert march["Fill rate (%)"] == "62.5"
    assert march["Attended"] == "3"
    assert march["No-shows"] == "1"
    assert march["Cancellations"] == "1"
    assert march["Walk-ins"] == "1"
    assert march["Feedback answers"] == "2"
    assert march["Average usefulness (1 to 5)"] == "4.50"
    assert march["Asked about: Roblox"] == "4"
    assert march["Asked about: Discord"] == "0"
    assert lines[0]["Average usefulness (1 to 5)"] == ""


def test_the_csv_keeps_the_filters(officer_client, world):
    response = officer_client.get(f"/staff/figures.csv?school={world.brookside.id}")
    assert [line["School"] for line in rows_of_csv(response)] == ["Brookside Primary School"]


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("https://x.example","Click")', "+1+2", "-3", "@SUM(A1)"]
)
def test_the_csv_is_safe_from_formula_injection(officer_client, session, world, name):
    world.brookside.name = name
    session.commit()

    lines = rows_of_csv(officer_client.get("/staff/figures.csv"))

    assert lines[0]["School"] == "'" + name


def test_the_page_shows_the_figures(officer_client, world):
    page = officer_client.get("/staff/figures").get_data(as_text=True)

    assert '<h1 class="govuk-heading-l">Figures</h1>' in page
    for text in ("Brookside Primary School", "Oakfield Primary School", "March 2025", "Roblox"):
        assert text in page
    assert "Hillside" not in page
    assert "Brilliant, thank you" in page
    assert "Alex Example" not in page  # parents' names never appear
    assert "/staff/figures.csv" in page


def test_the_page_filters_by_school(officer_client, world):
    page = officer_client.get(f"/staff/figures?school={world.brookside.id}").get_data(as_text=True)
    assert "Oakfield Primary School</th>" not in page
    assert "Brookside Primary School</th>" in page


def test_another_officers_school_is_not_found(officer_client, world):
    for url in ("/staff/figures", "/staff/figures.csv"):
        assert officer_client.get(f"{url}?school={world.hillside.id}").status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("start=2025-13", "start", "Choose a month from the list"),
        ("end=someday", "end", "Choose a month from the list"),
        ("school=abc", "school", "Choose a school from the list"),
        ("start=2025-04&end=2025-03", "end", "must be the same as or after"),
    ],
)
def test_bad_choices_are_explained(officer_client, world, query, field, message):
    response = officer_client.get(f"/staff/figures?{query}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    assert message in page
    assert "Download these figures" not in page
    csv_response = officer_client.get(f"/staff/figures.csv?{query}")
    assert csv_response.status_code == 302
    assert f"/staff/figures?{query}" in csv_response.headers["Location"]


def test_an_admin_can_pick_any_school(admin_client, world):
    page = admin_client.get(f"/staff/figures?school={world.hillside.id}").get_data(as_text=True)
    assert "Hillside comment" in page


def test_school_staff_do_not_get_the_figures(school_client, world):
    assert school_client.get("/staff/figures").status_code == 404
    assert school_client.get("/staff/figures.csv").status_code == 404


def test_visitors_are_asked_to_sign_in(client):
    for url in ("/staff/figures", "/staff/figures.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/sign-in" in response.headers["Location"]


def test_with_no_clinics_the_page_says_so(officer_client):
    page = officer_client.get("/staff/figures").get_data(as_text=True)
    assert "No clinics have happened for these choices yet." in page


def test_a_csv_cell_is_only_changed_when_it_looks_like_a_formula():
    assert spreadsheet_cell("Oakfield") == "Oakfield"
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell(-3) == -3  # numbers stay numbers
