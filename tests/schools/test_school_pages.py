"""Adding, changing and finding schools through the admin pages."""

import pytest
from sqlalchemy import func, select

from clinic.models import AuditEvent, School
from tests.helpers import post_form

from .pages import error_links

GOOD = {
    "name": "Riverside Primary School",
    "urn": "123456",
    "address": "2 River Road",
    "town": "Brookford",
    "postcode": "sw1a 1aa",
    "contact_email": "office@riverside.example.org",
    "slug": "",
}


def school_count(session) -> int:
    return session.scalar(select(func.count()).select_from(School))


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_add_school(admin_client, session):
    response = post_form(admin_client, "/admin/schools/new", GOOD)

    assert response.status_code == 302
    school = session.scalar(select(School).where(School.urn == "123456"))
    assert response.headers["Location"].endswith(f"/admin/schools/{school.id}")
    assert school.postcode == "SW1A 1AA"
    assert school.slug == "riverside-primary-school"
    assert school.contact_email == "office@riverside.example.org"
    assert "school.create" in audit_actions(session)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Riverside Primary School has been added" in page
    assert "SW1A 1AA" in page


def test_blank_slug_is_numbered_when_another_school_has_the_name(admin_client, session, make):
    make.school(name="St Mary's Primary", slug="st-marys-primary")

    post_form(admin_client, "/admin/schools/new", GOOD | {"name": "St Mary’s Primary"})

    added = session.scalar(select(School).where(School.urn == "123456"))
    assert added.slug == "st-marys-primary-2"


def test_edit_school(admin_client, session, school):
    url = f"/admin/schools/{school.id}/edit"
    page = admin_client.get(url).get_data(as_text=True)
    assert school.urn in page  # the form starts with the current details

    response = post_form(
        admin_client,
        url,
        GOOD | {"name": "Oakfield Academy", "postcode": "ex2  4ab", "slug": "oakfield"},
    )

    assert response.status_code == 302
    session.expire_all()
    assert (school.name, school.postcode, school.slug) == (
        "Oakfield Academy",
        "EX2 4AB",
        "oakfield",
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "school.update"))
    assert event.details["changed"]["name"] == ["Oakfield Primary School", "Oakfield Academy"]
    assert event.school_id == school.id


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("urn", "12345", "URN must be 6 digits"),
        ("urn", "12345a", "URN must be 6 digits"),
        ("urn", "1234567", "URN must be 6 digits"),
        ("urn", "١٢٣٤٥٦", "URN must be 6 digits"),  # digits, but not 0-9
        ("urn", "", "Enter the school&#39;s URN"),
        ("postcode", "XX1 1XX", "Enter a real UK postcode"),
        ("postcode", "not a postcode", "Enter a real UK postcode"),
        ("contact_email", "office.example.org", "Enter an email address in the correct format"),
        ("contact_email", "office@", "Enter an email address in the correct format"),
        ("slug", "Riverside Primary", "lower-case letters, numbers and hyphens"),
        ("slug", "riverside--", "lower-case letters, numbers and hyphens"),
        ("name", "   ", "Enter the school&#39;s name"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(
    admin_client, session, field, value, message
):
    response = post_form(admin_client, "/admin/schools/new", GOOD | {field: value})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_links(page) == [field]  # the summary links to the field
    assert f'id="{field}-error"' in page  # and the message sits next to it
    assert message in page
    assert school_count(session) == 0
    assert audit_actions(session) == []


def test_duplicate_urn_is_a_message_not_an_error_page(admin_client, session, make):
    make.school(urn="123456")

    response = post_form(admin_client, "/admin/schools/new", GOOD)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="urn-error"' in page
    assert "A school with this URN is already on the service" in page
    assert school_count(session) == 1


def test_duplicate_slug_is_a_message_not_an_error_page(admin_client, session, make):
    make.school(slug="riverside")

    response = post_form(admin_client, "/admin/schools/new", GOOD | {"slug": "riverside"})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="slug-error"' in page
    assert "Another school already uses this web address name" in page
    assert school_count(session) == 1


def test_editing_to_another_schools_urn_changes_nothing(admin_client, session, school, make):
    other = make.school(name="Hillside Primary School", urn="654321")

    response = post_form(
        admin_client, f"/admin/schools/{school.id}/edit", GOOD | {"urn": other.urn}
    )

    assert response.status_code == 200
    assert "A school with this URN is already on the service" in response.get_data(as_text=True)
    session.expire_all()
    assert school.name == "Oakfield Primary School"
    assert audit_actions(session) == []


def test_saving_unchanged_details_keeps_the_slug_and_records_nothing(admin_client, session, school):
    fields = {f: getattr(school, f) for f in GOOD}

    response = post_form(admin_client, f"/admin/schools/{school.id}/edit", fields)

    assert response.status_code == 302
    assert audit_actions(session) == []


def test_search_by_name_town_postcode_and_urn(admin_client, make):
    make.school(name="Oakfield Primary", town="Exampleton", postcode="EX1 1AA", urn="111111")
    make.school(name="Hillside Infants", town="Brookford", postcode="BR2 9ZZ", urn="222222")

    def found(query: str) -> set[str]:
        page = admin_client.get("/admin/schools", query_string={"q": query})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return {name for name in ("Oakfield Primary", "Hillside Infants") if name in text}

    assert found("") == {"Oakfield Primary", "Hillside Infants"}
    assert found("oakf") == {"Oakfield Primary"}
    assert found("BROOKFORD") == {"Hillside Infants"}
    assert found("ex11aa") == {"Oakfield Primary"}
    assert found("br2 9") == {"Hillside Infants"}
    assert found("22222") == {"Hillside Infants"}
    assert found("nowhere") == set()
    assert found("%") == set()  # LIKE wildcards are searched for, not obeyed


def test_school_page_lists_its_staff_and_officers(admin_client, make, school, other_school):
    make.user(role="officer", name="Olive Officer", schools=[school])
    make.user(role="officer", name="Elsewhere Officer", schools=[other_school])
    make.user(role="school", name="Sam Secretary", school=school)

    page = admin_client.get(f"/admin/schools/{school.id}").get_data(as_text=True)

    assert "Olive Officer" in page
    assert "Sam Secretary" in page
    assert "Elsewhere Officer" not in page


@pytest.mark.parametrize("url", ["/admin/schools/999999", "/admin/schools/99999999999/edit"])
def test_unknown_school_is_not_found(admin_client, url):
    assert admin_client.get(url).status_code == 404
