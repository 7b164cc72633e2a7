"""School rules, called directly."""

import pytest
from sqlalchemy import func, select

from clinic.models import School
from clinic.schools import service

DETAILS = {
    "name": "Riverside Primary School",
    "urn": "123456",
    "address": "2 River Road",
    "town": "Brookford",
    "postcode": "BR1 2AB",
    "contact_email": "office@riverside.example.org",
}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("sw1a 1aa", "SW1A 1AA"),
        ("SW1A1AA", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("m1 1ae", "M1 1AE"),
        ("b33 8th", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("dn55 1pt", "DN55 1PT"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("w1a 0ax", "W1A 0AX"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_postcodes_are_stored_in_upper_case_with_one_space(typed, stored):
    assert service.normalise_postcode(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "SW1A", "1AA SW1A", "SW1A 1A", "QW1 1AA", "SW1A 1AAA", "SW1A-1AA", "ZZ99 9ZZZ"]
)
def test_bad_postcodes_are_refused(typed):
    with pytest.raises(service.SchoolError) as error:
        service.normalise_postcode(typed)
    assert error.value.field == "postcode"


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Oakfield Primary School", "oakfield-primary-school"),
        ("St Mary's C of E (Aided) Primary", "st-marys-c-of-e-aided-primary"),
        ("  Zoë’s   Infants!  ", "zoes-infants"),
        ("x" * 100, "x" * 80),
    ],
)
def test_slugs_are_made_from_the_name(name, slug):
    assert service.make_slug(name) == slug


def test_a_name_with_nothing_to_make_a_slug_from_asks_for_one(session):
    with pytest.raises(service.SchoolError) as error:
        service.add_school(session, "test", **DETAILS | {"name": "!!!"})
    assert error.value.field == "slug"


@pytest.mark.parametrize("field", ["urn", "slug"])
def test_a_race_for_the_same_urn_or_slug_ends_as_a_field_message(session, make, monkeypatch, field):
    """Another admin can add the same URN or slug between the check and the insert; the
    database's unique constraint then refuses, and the caller sees a message, not a 500."""
    make.school(urn="123456", slug="riverside")
    monkeypatch.setattr(service, "_check_unique", lambda *args, **kwargs: None)
    clash = (
        {"urn": "123456", "slug": "other"}
        if field == "urn"
        else {"urn": "999999", "slug": "riverside"}
    )

    with pytest.raises(service.SchoolError) as error:
        service.add_school(session, "test", **DETAILS | clash)

    assert error.value.field == field
    session.rollback()
    assert session.scalar(select(func.count()).select_from(School)) == 1


def test_a_race_on_edit_leaves_the_school_as_it_was(session, make, monkeypatch):
    make.school(urn="123456")
    school = make.school(urn="222222", name="Hillside")
    monkeypatch.setattr(service, "_check_unique", lambda *args, **kwargs: None)

    with pytest.raises(service.SchoolError):
        service.update_school(session, "test", school, **DETAILS)

    assert school.name == "Hillside"  # the savepoint rolled the object back too
    session.rollback()
    assert session.get(School, school.id).urn == "222222"


def test_unknown_fields_are_a_programming_error(session):
    with pytest.raises(TypeError):
        service.add_school(session, "test", **DETAILS, colour="blue")
