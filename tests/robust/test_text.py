"""Text people type is made safe to keep (issue 12): one-line values lose line breaks and
control characters, multi-line values keep their line breaks only — in forms, in services
and in every write to a single-line column, whatever the path."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from clinic.models import Booking, Clinic, School
from clinic.schools import service as schools
from clinic.text import has_control, lines, one_line
from tests.booking.support import ANSWERS, book, fill_form
from tests.helpers import csrf_token, post_form

CONTROL = "".join(chr(c) for c in [*range(32), *range(127, 160)]) + "\u2028\u2029"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Oakfield\r\nPrimary", "Oakfield Primary"),
        ("Tab\there", "Tab here"),
        ("NUL\x00inside", "NUL inside"),
        ("line\u2028sep", "line sep"),
        ("end\n", "end"),
        ("  spaces kept  ", "  spaces kept  "),  # no control character: left as it is
        ("مدرسة\u200fالنور 👩‍👧", "مدرسة\u200fالنور 👩‍👧"),  # RTL mark and emoji joiner kept
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ],
)
def test_one_line(typed, kept):
    assert one_line(typed) == kept


def test_lines_keep_line_breaks_only():
    assert lines("a\r\nb\rc\u2029d\x00e\x1bf\tg") == "a\nb\nc\nde" + "f\tg"


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
@settings(max_examples=200, deadline=None)
def test_no_control_character_survives_one_line(value):
    cleaned = one_line(value)
    assert not has_control(cleaned)
    assert "\n" not in lines(value).replace("\n", "") and "\r" not in lines(value)
    assert one_line(cleaned) == cleaned  # once is enough


# --- the model layer: no path can store a line break in a single-line column ----------------


def test_orm_and_core_writes_are_cleaned(session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, title="Evening\r\nclinic", venue="Hall\r\nBack\x07")
    session.expire_all()
    assert session.get(Clinic, clinic.id).title == "Evening clinic"
    assert session.get(Clinic, clinic.id).venue == "Hall\nBack"

    session.execute(update(School).where(School.id == school.id).values(name="A\nB\x00C"))
    session.execute(
        insert(School).values(
            name="Nul\x00School",
            urn="999999",
            postcode="EX1\n1AA",
            slug="nul",
            contact_email="x",
            partnership_id=school.partnership_id,
        )
    )
    session.commit()
    names = session.scalars(select(School.name).order_by(School.id)).all()
    assert names == ["A B C", "Nul School"]
    assert session.scalar(select(School.postcode).where(School.slug == "nul")) == "EX1 1AA"
    # A query with a NUL is cleaned the same way (PostgreSQL would refuse it otherwise).
    assert session.scalar(select(School.id).where(School.name == "Nul\x00School")) is not None


@given(
    name=st.text(min_size=1, max_size=60),
    notes=st.text(max_size=200),
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_text_a_service_is_given_is_stored_safely(session, school, name, notes):
    """Service level, as a CLI command or a script would call it: unpaired surrogates, NUL
    and every control character (Hypothesis's default text) are stored without error."""
    school.name = name + "\ud83d"  # an unpaired surrogate: no HTTP form can carry one
    school.address = notes
    session.commit()
    session.expire_all()
    stored = session.get(School, school.id)
    assert not has_control(stored.name)
    assert all(ch == "\n" or ch == "\t" or not has_control(ch) for ch in stored.address)


# --- forms: what a person sees back is what is kept --------------------------------------------


def test_a_parents_answers_lose_line_breaks_but_not_their_meaning(
    client, session, make, school, officer_user
):
    clinic = make.clinic(school, officer_user)
    response = book(
        client,
        clinic.slots[0].id,
        parent_name="Ann\r\nParent\x00",
        other_topic="Fortnite\nBcc: x@example.org",
        access_needs="Step-free access\r\nPolish interpreter\x07",
    )

    assert response.status_code == 302
    booking = session.scalar(select(Booking))
    assert booking.parent_name == "Ann Parent"
    assert booking.other_topic == "Fortnite Bcc: x@example.org"
    assert booking.access_needs == "Step-free access\nPolish interpreter"


def test_an_email_address_with_a_line_break_is_refused_next_to_the_field(
    client, make, school, officer_user
):
    clinic = make.clinic(school, officer_user)
    response = fill_form(client, clinic.slots[0].id, email="a@example.net\r\nBcc: b@example.org")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Enter an email address in the correct format" in page


def test_a_crafted_staff_post_cannot_store_a_line_break(
    session, admin_client, school, make, officer_user
):
    url = f"/admin/schools/{school.id}/edit"
    data = {
        "name": "Oakfield\r\nPrimary",
        "urn": school.urn,
        "address": "1 School Lane\r\nBack gate",
        "town": "Example\nton",
        "postcode": "EX1 1AA",
        "contact_email": school.contact_email,
        "slug": school.slug,
    }
    response = post_form(admin_client, url, data)

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    stored = session.get(School, school.id)
    assert (stored.name, stored.town) == ("Oakfield Primary", "Example ton")
    assert stored.address == "1 School Lane\nBack gate"


def test_the_service_cleans_what_it_is_given_without_a_form(session, admin_user):
    school = schools.add_school(
        session,
        admin_user,
        name="Cli\r\nSchool",
        urn="123456",
        address="1 Road",
        town="Town",
        postcode="EX1 1AA",
        contact_email="office@example.org",
        slug="",
    )
    session.commit()
    session.expire_all()
    assert session.get(School, school.id).name == "Cli School"


def test_a_single_value_field_sent_twice_is_a_400(client, make, school, officer_user):
    clinic = make.clinic(school, officer_user)
    url = f"/book/{clinic.slots[0].id}"
    token = csrf_token(client.get(url))
    pairs = [("csrf_token", token), *ANSWERS.items(), ("parent_name", "Someone else")]
    data = []
    for name, value in pairs:
        data += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]

    response = client.post(
        url, data=urlencode(data), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
