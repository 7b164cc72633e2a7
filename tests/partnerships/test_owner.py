"""The service owner: lists partnerships (counts only, never a family's details) and adds
one with its first coordinator, who gets the usual invitation; the same from the command
line; the owner's account from ``flask users create --role owner``."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from clinic.booking.service import book_place
from clinic.models import AuditEvent, Partnership, User
from tests.booking.support import details
from tests.conftest import sign_in
from tests.helpers import post_form
from tests.schools.pages import error_links

NEW = {
    "name": "North Shire Safeguarding Children Partnership",
    "slug": "",
    "coordinator_name": "Nadia North",
    "coordinator_email": "Nadia@North.example.org",
}


@pytest.fixture
def owner(make):
    return make.user("owner", email="owner@example.org", name="Olu Owner")


@pytest.fixture
def owner_client(app, owner):
    return sign_in(app.test_client(), owner)


def test_the_list_counts_schools_and_staff_and_shows_no_family(
    owner_client, session, make, school, officer_user
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=2, title="Roblox evening")
    book_place(
        session,
        slot_id=clinic.slots[0].id,
        details=details(parent_name="Petra Parentname", email="petra@example.net"),
        submission_id="s1",
    )
    session.commit()
    other = make.partnership("South Vale Partnership")
    make.school("Southside Primary", partnership=other, urn="654321", slug="southside")

    page = unescape(owner_client.get("/owner/partnerships").get_data(as_text=True))

    assert "Default partnership" in page and "South Vale Partnership" in page
    assert "Petra" not in page and "petra@example.net" not in page
    assert clinic.title not in page and school.name not in page
    rows = page[page.index("<tbody") :]
    assert rows.count('govuk-table__row"') == 2


def test_the_owner_lands_on_partnerships_and_sees_no_staff_pages(owner_client):
    page = owner_client.get("/owner/partnerships").get_data(as_text=True)
    assert "Add a partnership" in page
    for url in ("/admin/schools", "/admin/staff", "/admin/partnership"):
        assert owner_client.get(url).status_code == 404


@pytest.mark.parametrize("role", ["admin", "officer", "school"])
def test_only_the_owner(app, make, school, role):
    user = make.user(role, school=school if role == "school" else None, email=f"{role}@x.org")
    client = sign_in(app.test_client(), user)
    assert client.get("/owner/partnerships").status_code == 404
    assert client.get("/owner/partnerships/new").status_code == 404


def test_adding_a_partnership_invites_its_coordinator(owner_client, owner, session, smtp):
    response = post_form(owner_client, "/owner/partnerships/new", NEW)
    assert response.status_code == 302

    partnership = session.scalar(
        select(Partnership).where(
            Partnership.slug == "north-shire-safeguarding-children-partnership"
        )
    )
    assert partnership.name == NEW["name"]
    coordinator = session.scalar(select(User).where(User.email == "nadia@north.example.org"))
    assert coordinator.role == "admin" and coordinator.partnership_id == partnership.id
    assert coordinator.password_hash is None
    (invite,) = smtp.to("nadia@north.example.org")
    body = invite.get_body(("plain",)).get_content()
    assert "/staff/set-password/" in body
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"partnership.create", "user.create", "user.invite"} <= actions
    page = owner_client.get("/owner/partnerships").get_data(as_text=True)
    assert "has been added" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the partnership"),
        ({"name": "default partnership"}, "name", "There is already a partnership"),
        ({"slug": "Bad Slug"}, "slug", "lower-case letters"),
        ({"slug": "default"}, "slug", "There is already a partnership"),
        ({"coordinator_name": ""}, "coordinator_name", "Enter the coordinator"),
        ({"coordinator_email": "nope"}, "coordinator_email", "correct format"),
    ],
)
def test_a_wrong_answer_saves_nothing(owner_client, session, changes, field, message):
    response = post_form(owner_client, "/owner/partnerships/new", NEW | changes)
    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert message in page and error_links(page) == [field]
    assert session.scalar(select(func.count()).select_from(Partnership)) == 1
    assert not session.scalar(select(User.id).where(User.email == "nadia@north.example.org"))


def test_a_coordinator_email_already_in_use_saves_nothing(owner_client, session, admin_user):
    response = post_form(
        owner_client, "/owner/partnerships/new", NEW | {"coordinator_email": admin_user.email}
    )
    page = unescape(response.get_data(as_text=True))
    assert "There is already an account with this email address" in page
    assert error_links(page) == ["coordinator_email"]
    assert session.scalar(select(func.count()).select_from(Partnership)) == 1


def test_the_command(app, session, smtp):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "partnerships",
            "create",
            "South Vale Partnership",
            "--coordinator-email",
            "sam@south.example.org",
            "--coordinator-name",
            "Sam South",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "south-vale-partnership" in result.output
    coordinator = session.scalar(select(User).where(User.email == "sam@south.example.org"))
    assert coordinator.partnership.name == "South Vale Partnership"
    assert smtp.to("sam@south.example.org")

    again = runner.invoke(
        args=[
            "partnerships",
            "create",
            "South Vale Partnership",
            "--coordinator-email",
            "other@south.example.org",
            "--coordinator-name",
            "Other",
        ]
    )
    assert again.exit_code != 0 and "There is already a partnership" in again.output
    listed = runner.invoke(args=["partnerships", "list"])
    assert "south-vale-partnership\tSouth Vale Partnership\t0 schools\t1 staff" in listed.output


def test_users_create_makes_an_owner(app, session):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "owner@example.org",
            "--name",
            "Olu Owner",
            "--role",
            "owner",
            "--link",
        ]
    )
    assert result.exit_code == 0, result.output
    owner = session.scalar(select(User).where(User.email == "owner@example.org"))
    assert owner.role == "owner" and owner.partnership_id is None
