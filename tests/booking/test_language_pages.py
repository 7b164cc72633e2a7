"""Parents' pages in their language (issue 17): ``?lang=`` chooses it and a cookie keeps it,
the browser's ``Accept-Language`` is followed otherwise, Arabic is drawn right to left,
staff-typed text keeps its own language (``lang="en"``), dates are Babel's, and staff
pages stay English whatever a parent's page chose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sign_in


def _days_to_december() -> int:
    """Days ahead to a day in December (at least two, so booking is still open)."""
    today = datetime.now(UTC).date()
    return next(n for n in range(2, 400) if (today + timedelta(days=n)).month == 12)


@pytest.fixture
def december_clinic(make, school, officer):
    return make.clinic(
        school, officer, days_ahead=_days_to_december(), title="Family online safety evening"
    )


def _html_tag(response) -> str:
    text = response.get_data(as_text=True)
    start = text.index("<html")
    return text[start : text.index(">", start) + 1]


def test_lang_in_the_address_draws_polish_and_a_cookie_keeps_it(client, school, december_clinic):
    response = client.get(f"/schools/{school.slug}?lang=pl")
    assert response.status_code == 200
    assert 'lang="pl"' in _html_tag(response)
    assert 'dir="ltr"' in _html_tag(response)
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "pl"

    # The next page, without ?lang=, follows the cookie: the booking form is Polish too.
    form = client.get(f"/book/{december_clinic.slots[0].id}")
    assert form.status_code == 200
    assert 'lang="pl"' in _html_tag(form)
    # The form's English labels still show while no Polish is in the catalogue, but the page
    # and its staff-typed clinic title say which language each part is in.
    assert '<span lang="en" dir="ltr">Family online safety evening</span>' in form.text


def test_polish_school_page_has_babel_dates_and_marks_staff_typed_text(
    client, school, december_clinic
):
    page = client.get(f"/schools/{school.slug}?lang=pl").text
    # Babel's Polish month in the genitive, as a date is written ("21 grudnia 2026").
    assert "grudnia" in page
    assert "December" not in page
    assert '<span lang="en" dir="ltr">Family online safety evening</span>' in page
    assert f'<span lang="en" dir="ltr">{school.name}</span>' in page


def test_english_page_does_not_wrap_staff_typed_text(client, school, december_clinic):
    page = client.get(f"/schools/{school.slug}").text
    assert 'lang="en"' in _html_tag(client.get(f"/schools/{school.slug}"))
    assert '<span lang="en"' not in page
    assert "Family online safety evening" in page
    assert "December" in page


def test_accept_language_arabic_is_right_to_left(client, school, december_clinic):
    headers = {"Accept-Language": "ar,en;q=0.5"}
    for url in (f"/schools/{school.slug}", f"/book/{december_clinic.slots[0].id}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        tag = _html_tag(response)
        assert 'lang="ar"' in tag and 'dir="rtl"' in tag, (url, tag)
        assert "dist/app.rtl.css" in response.text
        assert '<span lang="en" dir="ltr">Family online safety evening</span>' in response.text
    # Accept-Language chooses the page but leaves no cookie: only a link choice is kept.
    assert client.get_cookie("lang") is None


def test_the_cookie_wins_over_accept_language(client, school, december_clinic):
    client.get(f"/schools/{school.slug}?lang=pl")
    response = client.get(f"/schools/{school.slug}", headers={"Accept-Language": "ar"})
    assert 'lang="pl"' in _html_tag(response)


def test_staff_pages_stay_english(app, school, december_clinic, officer):
    client = sign_in(app.test_client(), officer)
    # A parent's choice in the same browser (a cookie), and the address and browser asking too.
    client.get(f"/schools/{school.slug}?lang=pl")
    assert client.get_cookie("lang").value == "pl"
    dashboard = client.get("/staff/clinics/?lang=ar", headers={"Accept-Language": "ar"})
    assert dashboard.status_code == 200
    tag = _html_tag(dashboard)
    assert 'lang="en"' in tag and 'dir="ltr"' in tag
    assert '<span lang="en"' not in dashboard.text
    # The staff page leaves the parent's cookie as it was.
    assert client.get_cookie("lang").value == "pl"

    # Staff booking for a parent is a staff page too, though it shares the parent's templates.
    staff_form = client.get(f"/staff/book/{december_clinic.slots[0].id}")
    assert staff_form.status_code == 200
    assert 'lang="en"' in _html_tag(staff_form)
    assert "Book for a parent or carer" in staff_form.text


def test_an_unknown_language_falls_back_to_english(client, school, december_clinic):
    response = client.get(f"/schools/{school.slug}?lang=xx", headers={"Accept-Language": "fr"})
    assert 'lang="en"' in _html_tag(response)
    assert client.get_cookie("lang") is None
