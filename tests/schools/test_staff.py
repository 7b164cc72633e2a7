"""Staff accounts: inviting, set-password links, roles, deactivation, officers' schools."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from clinic.auth.service import AccountError
from clinic.models import AuditEvent, OutboxMessage, User
from clinic.schools import service
from tests.conftest import PASSWORD, sign_in
from tests.helpers import csrf_token, post_form

from .mail import link_in, wait_for_mail
from .pages import error_links

NEW_PASSWORD = "a brand new pass phrase"


def user_by_email(session, email: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def set_password_through(client, link: str):
    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(
        path,
        data={"csrf_token": csrf_token(page), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )


def test_invite_emails_a_link_that_sets_a_password_once(app, admin_client, session, smtp, school):
    response = post_form(
        admin_client,
        "/admin/staff/invite",
        {"name": "Nia Newcomer", "email": "Nia@Example.org", "role": "school", "school": school.id},
    )

    assert response.status_code == 302
    user = user_by_email(session, "nia@example.org")
    assert (user.role, user.school_id, user.password_hash) == ("school", school.id, None)
    assert {"user.create", "user.invite"} <= set(audit_actions(session))

    [message] = wait_for_mail(smtp, "nia@example.org")
    assert "Set your password" in message["Subject"]
    link = link_in(message)
    assert link.startswith("http://localhost/staff/set-password/")
    assert f'href="{link}"' in message.get_body(preferencelist=("html",)).get_content()

    visitor = app.test_client()
    assert set_password_through(visitor, link).status_code == 302
    sign_in(app.test_client(), user, NEW_PASSWORD)

    again = visitor.get(urlsplit(link).path)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_invited_officer_covers_the_schools_ticked(
    admin_client, session, smtp, school, other_school
):
    post_form(
        admin_client,
        "/admin/staff/invite",
        {
            "name": "Olu Officer",
            "email": "olu@example.org",
            "role": "officer",
            "schools": [school.id, other_school.id],
            "school": other_school.id,  # only for school staff: ignored
        },
    )

    user = user_by_email(session, "olu@example.org")
    assert {s.id for s in user.schools} == {school.id, other_school.id}
    assert user.school_id is None
    wait_for_mail(smtp, "olu@example.org")


def test_invite_without_the_hidden_school_question(admin_client, session, smtp):
    """Browsers may leave out the school select when it is hidden; that means no school."""
    response = post_form(
        admin_client,
        "/admin/staff/invite",
        {"name": "Ade Admin", "email": "ade@example.org", "role": "admin"},
    )

    assert response.status_code == 302
    assert user_by_email(session, "ade@example.org").role == "admin"
    wait_for_mail(smtp, "ade@example.org")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"email": ""}, "email", "Enter the person&#39;s email address"),
        ({"name": ""}, "name", "Enter the person&#39;s full name"),
        ({"role": ""}, "role", "Select a role"),
        ({"role": "superuser"}, "role", "Select a role"),
        ({"role": "school", "school": ""}, "school", "Choose the school this person works at"),
        ({"role": "school", "school": "999999"}, "school", "Choose a school from the list"),
        ({"email": "ADMIN@example.org"}, "email", "There is already an account with this email"),
    ],
)
def test_bad_invites_change_nothing(admin_client, session, school, data, field, message):
    before = session.scalar(select(func.count()).select_from(User))
    form = {"name": "Nia Newcomer", "email": "nia@example.org", "role": "officer"} | data

    response = post_form(admin_client, "/admin/staff/invite", form)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_links(page) == [field]
    assert f'id="{field}-error"' in page
    assert message in page
    assert session.scalar(select(func.count()).select_from(User)) == before
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_race_for_the_same_email_ends_as_a_field_message(session, admin_user, monkeypatch):
    """Another admin can invite the same address between create_user's check and its insert."""

    def create_without_checking(session, *, email, name, role, **kwargs):
        session.add(User(email=email, name=name, role=role, active=True))
        session.flush()

    monkeypatch.setattr(service, "create_user", create_without_checking)

    with pytest.raises(AccountError) as error:
        service.invite_staff(
            session, admin_user, email=admin_user.email, name="Twin", role="officer"
        )

    assert error.value.field == "email"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_send_a_new_link(app, admin_client, session, smtp, make):
    person = make.user(role="officer", email="forgetful@example.org", password_hash=None)

    response = post_form(
        admin_client,
        f"/admin/staff/{person.id}/send-link",
        {},
        page_url=f"/admin/staff/{person.id}",
    )

    assert response.status_code == 302
    [message] = wait_for_mail(smtp, "forgetful@example.org")
    assert "new link" in message["Subject"]
    assert set_password_through(app.test_client(), link_in(message)).status_code == 302
    assert "user.send_password_link" in audit_actions(session)


def test_no_link_for_a_deactivated_account(session, make, admin_user):
    person = make.user(active=False)
    with pytest.raises(AccountError):
        service.send_password_link(session, admin_user, person)


def test_staff_list_shows_role_schools_and_status(admin_client, make, school):
    make.user(role="officer", name="Olive Officer", schools=[school])
    make.user(role="school", name="Sam Secretary", school=school, active=False)

    page = admin_client.get("/admin/staff").get_data(as_text=True)

    assert "Olive Officer" in page and "Safer Schools officer" in page
    assert "Sam Secretary" in page and "Deactivated" in page
    assert school.name in page


def test_change_role_through_the_page(admin_client, session, officer_user, school, other_school):
    url = f"/admin/staff/{officer_user.id}/role"

    response = post_form(admin_client, url, {"role": "school", "school": other_school.id})

    assert response.status_code == 302
    user = user_by_email(session, officer_user.email)
    assert (user.role, user.school_id, user.schools) == ("school", other_school.id, [])
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.change_role"))
    assert event.details["from_role"] == "officer"
    assert event.details["to_role"] == "school"


def test_change_role_to_school_staff_needs_a_school(admin_client, session, officer_user):
    url = f"/admin/staff/{officer_user.id}/role"

    response = post_form(admin_client, url, {"role": "school", "school": ""})

    assert response.status_code == 200
    assert "Choose the school this person works at" in response.get_data(as_text=True)
    assert user_by_email(session, officer_user.email).role == "officer"


def test_school_staff_made_coordinator_lose_their_school(session, admin_user, school_user):
    service.change_role(session, admin_user, school_user, "admin", None)
    session.commit()

    assert (school_user.role, school_user.school_id) == ("admin", None)


def test_nobody_changes_their_own_role(admin_client, session, admin_user):
    response = post_form(admin_client, f"/admin/staff/{admin_user.id}/role", {"role": "officer"})

    assert "You cannot change your own role" in response.get_data(as_text=True)
    assert user_by_email(session, admin_user.email).role == "admin"


def test_deactivating_stops_sign_in_and_ends_the_session(
    app, admin_client, officer_client, session, officer_user
):
    assert officer_client.get("/staff/account").status_code == 200
    page_url = f"/admin/staff/{officer_user.id}"

    response = post_form(
        admin_client, f"/admin/staff/{officer_user.id}/deactivate", {}, page_url=page_url
    )

    assert response.status_code == 302
    assert user_by_email(session, officer_user.email).active is False
    assert officer_client.get("/staff/account").status_code == 302  # sent to sign in
    attempt = post_form(
        app.test_client(),
        "/staff/sign-in",
        {"email": officer_user.email, "password": PASSWORD},
    )
    assert attempt.status_code == 200
    assert "Enter a correct email address and password" in attempt.get_data(as_text=True)

    post_form(admin_client, f"/admin/staff/{officer_user.id}/reactivate", {}, page_url=page_url)
    sign_in(app.test_client(), officer_user)
    assert audit_actions(session)[-2:] == ["user.deactivate", "user.reactivate"]


def test_a_coordinator_cannot_deactivate_themself(admin_client, session, admin_user):
    page_url = f"/admin/staff/{admin_user.id}"
    assert "Deactivate account" not in admin_client.get(page_url).get_data(as_text=True)

    response = post_form(
        admin_client,
        f"/admin/staff/{admin_user.id}/deactivate",
        {},
        page_url=page_url,
        follow_redirects=True,
    )

    assert "You cannot deactivate your own account" in response.get_data(as_text=True)
    assert user_by_email(session, admin_user.email).active is True


def test_officer_schools_are_ticked_on_their_page(
    admin_client, session, officer_user, school, other_school
):
    url = f"/admin/staff/{officer_user.id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert other_school.name in page  # every school is offered

    response = post_form(
        admin_client, f"{url}/schools", {"schools": [other_school.id]}, page_url=url
    )

    assert response.status_code == 302
    assert [s.id for s in user_by_email(session, officer_user.email).schools] == [other_school.id]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.assign_schools"))
    assert (event.details["added"], event.details["removed"]) == ([other_school.id], [school.id])

    post_form(admin_client, f"{url}/schools", {}, page_url=url)
    assert user_by_email(session, officer_user.email).schools == []


def test_only_officers_are_assigned_schools(session, admin_user, school_user, school):
    with pytest.raises(AccountError) as error:
        service.set_officer_schools(session, admin_user, school_user, [school])
    assert error.value.field == "schools"
