"""The no-show rate of families who answered "Still coming?" with yes, against those who
were asked and did not answer, over past clinics (attendance marked at check-in)."""

import csv
import io
from datetime import UTC, date, datetime

from clinic.figures import service as figures
from tests.followup.support import anonymise_everything, book, clinic_dated

TODAY = date(2025, 5, 1)
ASKED = datetime(2025, 3, 7, 10, 0, tzinfo=UTC)


def test_the_rates_of_those_who_said_yes_and_those_who_did_not_answer(
    session, make, school, officer_user, officer_client
):
    past = clinic_dated(session, school, officer_user, date(2025, 3, 10), slots=1, capacity=12)
    yes = {"still_coming_asked_at": ASKED, "still_coming_answer": "yes"}
    silent = {"still_coming_asked_at": ASKED}
    # Said yes: 3 came, 1 did not (25%).  Asked, no answer: 1 came, 2 did not (67%).
    for status in ("attended", "attended", "attended", "no_show"):
        book(make, past, status, **yes)
    for status in ("attended", "no_show", "no_show"):
        book(make, past, status, **silent)
    # Not counted in either: gave their place back, not asked, or not marked.
    book(make, past, "cancelled", still_coming_asked_at=ASKED, still_coming_answer="no")
    book(make, past, "no_show")
    book(make, past, "confirmed", **yes)
    # A clinic still to come is not counted at all.
    future = clinic_dated(session, school, officer_user, date(2025, 6, 1), slots=1, capacity=2)
    book(make, future, "no_show", **silent)
    session.commit()

    result = figures.figures(session, officer_user, today=TODAY)

    total = result.total
    assert (total.said_yes_attended, total.said_yes_no_shows) == (3, 1)
    assert (total.no_answer_attended, total.no_answer_no_shows) == (1, 2)
    assert total.no_show_rate_said_yes == 0.25
    assert round(total.no_show_rate_no_answer, 3) == 0.667
    assert total.no_shows == 4  # everyone marked, asked or not

    # The answers are not personal details: the rates survive anonymisation.
    anonymise_everything(session)
    session.expire_all()
    after = figures.figures(session, officer_user, today=TODAY).total
    assert (after.no_show_rate_said_yes, after.no_show_rate_no_answer) == (
        total.no_show_rate_said_yes,
        total.no_show_rate_no_answer,
    )


def test_the_page_and_the_csv_show_the_rates(session, make, school, officer_user, officer_client):
    past = clinic_dated(session, school, officer_user, date(2025, 3, 10), slots=1, capacity=4)
    book(make, past, "attended", still_coming_asked_at=ASKED, still_coming_answer="yes")
    book(make, past, "no_show", still_coming_asked_at=ASKED)
    session.commit()

    html = officer_client.get("/staff/figures").get_data(as_text=True)
    response = officer_client.get("/staff/figures.csv")

    said_yes = html.split("No-shows, families who said they were coming", 1)[1]
    assert "0 (0% of those marked)" in said_yes.split("</dd>", 1)[0]
    silent = html.split("No-shows, families asked who did not answer", 1)[1]
    assert "1 (100% of those marked)" in silent.split("</dd>", 1)[0]
    (row,) = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    assert row["No-show rate, said they were coming (%)"] == "0.0"
    assert row["No-show rate, did not answer (%)"] == "100.0"


def test_no_rate_when_nobody_was_asked(session, make, school, officer_user, officer_client):
    past = clinic_dated(session, school, officer_user, date(2025, 3, 10), slots=1, capacity=4)
    book(make, past, "no_show")
    session.commit()

    total = figures.figures(session, officer_user, today=TODAY).total
    html = officer_client.get("/staff/figures").get_data(as_text=True)

    assert total.no_show_rate_said_yes is None and total.no_show_rate_no_answer is None
    assert "Not asked, or nobody marked" in html
