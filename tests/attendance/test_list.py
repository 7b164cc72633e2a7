"""The attendance list page: who may see it, what it shows, and how it prints."""

import re

import pytest

from tests.helpers import csrf_token

PAGES = ["", "/list.csv", "/sheet-pdf", "/check-in", "/close", "/walk-ins/new"]


def url(clinic, suffix=""):
    return f"/staff/attendance/clinics/{clinic.id}{suffix}"


def text_of(response) -> str:
    """The page's text with tags and runs of white space removed."""
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize("suffix", PAGES)
@pytest.mark.parametrize("who", ["officer_client", "school_client", "admin_client"])
def test_the_clinics_officer_school_staff_and_admins_may_open_it(
    request, todays_clinic, make, who, suffix
):
    make.booking(todays_clinic.slots[0], parent_name="Alex Parent")
    client = request.getfixturevalue(who)

    response = client.get(url(todays_clinic, suffix))

    assert response.status_code == 200, response.status_code


@pytest.mark.parametrize("suffix", PAGES)
@pytest.mark.parametrize("who", ["other_officer_client", "other_school_client"])
def test_staff_of_other_schools_get_not_found(request, todays_clinic, make, who, suffix):
    make.booking(todays_clinic.slots[0], parent_name="Alex Parent")
    client = request.getfixturevalue(who)

    response = client.get(url(todays_clinic, suffix))

    assert response.status_code == 404
    assert "Alex Parent" not in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, clinic):
    response = client.get(url(clinic))

    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]


def test_an_unknown_clinic_is_not_found(officer_client):
    assert officer_client.get("/staff/attendance/clinics/999999").status_code == 404
    assert officer_client.get("/staff/attendance/clinics/99999999999").status_code == 404


def test_the_list_groups_bookings_by_slot_in_time_order(officer_client, clinic, make):
    first, second, third = clinic.slots
    make.booking(
        third,
        parent_name="Zara Late",
        phone="+447700900982",
        child_years=["Year 6"],
        topics=["tiktok", "other"],
        other_topic="Fortnite",
        access_needs="Needs a Polish interpreter",
    )
    make.booking(first, parent_name="Yusuf Early", child_years=["Reception", "Year 2"])
    make.booking(first, parent_name="Amira Early", topics=["iphone-ipad", "discord"])
    make.booking(second, parent_name="Cancelled Carer", status="cancelled")

    page = text_of(officer_client.get(url(clinic)))

    # Slots in time order; names A to Z within a slot.
    assert page.index("3pm to 3:15pm") < page.index("Amira Early") < page.index("Yusuf Early")
    assert page.index("Yusuf Early") < page.index("3:15pm to 3:30pm")
    assert page.index("3:15pm to 3:30pm") < page.index("Cancelled Carer")
    assert page.index("3:30pm to 3:45pm") < page.index("Zara Late")
    assert "07700 900982" in page  # stored as +44…, shown as people write it
    assert "Reception, Year 2" in page
    assert "iPhone or iPad, Discord" in page
    assert "TikTok, Something else: Fortnite" in page
    assert "Needs a Polish interpreter" in page
    assert "2 of 2 places booked" in page  # the first slot
    assert "0 of 2 places booked" in page  # the cancellation gave its place back
    assert "Cancelled" in page


def test_the_list_shows_the_totals(officer_client, todays_clinic, make, session):
    slot = todays_clinic.slots[0]
    make.booking(slot, status="attended")
    make.booking(slot, status="no_show")
    make.booking(todays_clinic.slots[1])
    make.booking(todays_clinic.slots[1], status="cancelled")
    from clinic.models import WalkIn

    session.add(WalkIn(clinic_id=todays_clinic.id, parent_name="Walked In", child_years=["Year 1"]))
    session.commit()

    page = text_of(officer_client.get(url(todays_clinic)))

    totals = page[page.index("Numbers") :]
    for label, number in [
        ("Places", 4),
        ("Booked", 3),
        ("Attended", 1),
        ("No-shows", 1),
        ("Not marked yet", 1),
        ("Cancelled", 1),
        ("Walk-ins", 1),
    ]:
        assert f"{label} {number}" in totals
    assert "Walked In" in page


def test_the_page_prints_as_a_sign_in_sheet(officer_client, clinic, make):
    make.booking(clinic.slots[0], parent_name="Alex Parent")

    html = officer_client.get(url(clinic)).get_data(as_text=True)

    # The print styles are a static file the page links for print (the CSP allows no
    # inline <style>); the PDF is laid out with the same file.
    link = re.search(r'<link rel="stylesheet" media="print" href="([^"]+)">', html)
    assert link, "the page links no print stylesheet"
    print_css = officer_client.get(link.group(1)).get_data(as_text=True)
    assert "size: A4" in print_css
    assert "break-inside: avoid" in print_css
    assert "display: table-header-group" in print_css
    assert ".govuk-header" in print_css and ".app-no-print" in print_css
    # The sign-in sheet's heading, signature column and blank rows are there for paper.
    assert "Sign-in sheet: Oakfield Primary School" in html
    assert html.count('class="govuk-table__row app-print-only app-sheet-blank"') == 3 * 3
    assert html.count(">Signature</th>") == 3


def test_the_page_offers_the_downloads_and_the_send_button(officer_client, clinic):
    response = officer_client.get(url(clinic))
    html = response.get_data(as_text=True)

    assert f'action="{url(clinic, "/sheet-pdf")}"' in html  # the PDF is made on request
    assert f'href="{url(clinic, "/list.csv")}"' in html
    assert f'action="{url(clinic, "/send")}"' in html
    assert "Send to school now" in html
    assert csrf_token(response)
