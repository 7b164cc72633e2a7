"""Sensitive actions ask for the password again when it was last typed more than
REAUTH_MINUTES ago (OWASP ASVS 3.7.1): staff and roles, the subject-access export and the
erasure; back to where the user was; throttled like sign-in.

The clock is moved by editing the session row's ``confirmed_at``, never by sleeping."""

from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select, update

from clinic.auth import service
from clinic.auth.models import StaffSession
from clinic.models import AuditEvent, User, utcnow
from tests.conftest import PASSWORD, sign_in
from tests.helpers import csrf_token, post_form

CONFIRM = "/staff/confirm-password"


def _age_confirmation(session, user, minutes: int | None) -> None:
    """Say the password was last typed ``minutes`` ago in every session of ``user``
    (None: never, as after a one-time sign-in link)."""
    when = None if minutes is None else utcnow() - timedelta(minutes=minutes)
    session.execute(
        update(StaffSession).where(StaffSession.user_id == user.id).values(confirmed_at=when)
    )
    session.commit()


def _next_of(response) -> str:
    assert response.status_code == 302, response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.path == CONFIRM
    return parse_qs(location.query)["next"][0]


def _confirm(client, next_url: str, password: str = PASSWORD):
    url = f"{CONFIRM}?next={quote(next_url, safe='')}"
    return post_form(client, url, {"password": password})


# The sensitive pages a GET opens: each is asked for, and opens again after confirming.
SENSITIVE_PAGES = ["/admin/staff/invite", "/admin/privacy", "/admin/staff/{officer}/role"]


@pytest.mark.parametrize("page", SENSITIVE_PAGES)
def test_a_stale_password_is_asked_before_a_sensitive_page(
    app, session, admin_user, admin_client, officer_user, page
):
    url = page.format(officer=officer_user.id)
    assert admin_client.get(url).status_code == 200  # typed at sign-in, a moment ago
    _age_confirmation(session, admin_user, 14)
    assert admin_client.get(url).status_code == 200
    _age_confirmation(session, admin_user, 16)
    asked = admin_client.get(url)
    assert _next_of(asked) == url
    form = admin_client.get(asked.headers["Location"])
    assert form.status_code == 200
    assert "Confirm your password" in form.get_data(as_text=True)
    back = _confirm(admin_client, url)
    assert back.status_code == 302 and back.headers["Location"] == url
    assert admin_client.get(url).status_code == 200  # and not asked again


def test_a_refused_post_changes_nothing_and_comes_back_to_its_page(
    app, session, admin_user, admin_client, officer_user
):
    staff_page = f"/admin/staff/{officer_user.id}"
    page = admin_client.get(staff_page)
    _age_confirmation(session, admin_user, 60)
    refused = admin_client.post(
        f"/admin/staff/{officer_user.id}/deactivate", data={"csrf_token": csrf_token(page)}
    )
    assert _next_of(refused) == staff_page
    session.expire_all()
    assert session.get(User, officer_user.id).active  # nothing done
    assert _confirm(admin_client, staff_page).headers["Location"] == staff_page
    done = post_form(
        admin_client, f"/admin/staff/{officer_user.id}/deactivate", {}, page_url=staff_page
    )
    assert done.status_code == 302
    session.expire_all()
    assert not session.get(User, officer_user.id).active


def test_the_export_and_the_erasure_ask_again_too(app, session, admin_user, admin_client):
    page = admin_client.get("/admin/privacy")
    token = csrf_token(page)
    _age_confirmation(session, admin_user, 60)
    for action in ("download.json", "erase"):
        refused = admin_client.post(
            f"/admin/privacy/{action}", data={"csrf_token": token, "email": "a@example.net"}
        )
        assert _next_of(refused) == "/admin/privacy"
    assert not session.scalars(select(AuditEvent).where(AuditEvent.action.like("privacy%"))).all()


def test_a_sign_in_link_is_not_the_password(app, session, officer_user, admin_user):
    client = app.test_client()
    link = f"/staff/sign-in-link/{service.sign_in_token(admin_user)}"
    assert post_form(client, link, {}).status_code == 302
    assert client.get("/admin/staff").status_code == 200  # signed in
    assert _next_of(client.get("/admin/staff/invite")) == "/admin/staff/invite"


def test_a_wrong_password_is_said_next_to_the_field(app, session, admin_user, admin_client):
    _age_confirmation(session, admin_user, None)
    wrong = _confirm(admin_client, "/admin/staff/invite", "not my password at all")
    assert wrong.status_code == 200
    html = wrong.get_data(as_text=True)
    assert "The password is not right" in html and "There is a problem" in html
    assert _next_of(admin_client.get("/admin/staff/invite"))  # still asked


def test_the_way_back_is_never_another_site(app, session, admin_user, admin_client):
    _age_confirmation(session, admin_user, None)
    for evil in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "/\t/evil"):
        _age_confirmation(session, admin_user, None)
        done = _confirm(admin_client, evil)
        assert done.status_code == 302
        where = urlsplit(done.headers["Location"])
        # Refused (the account page), or — for the tab, which every address value has
        # turned into a space before any view reads it (clinic.inputs) — a path on this
        # site: never a host, never a path a browser reads as one (//, /\).
        assert not where.netloc and not where.scheme, evil
        assert where.path == "/staff/account" or where.path == "/%20/evil", evil


def test_wrong_passwords_are_throttled_and_sign_the_session_out(
    app, session, admin_user, admin_client
):
    app.config["REAUTH_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    _age_confirmation(session, admin_user, None)
    for _ in range(3):
        assert _confirm(admin_client, "/admin/staff", "wrong guess number").status_code == 200
    stopped = _confirm(admin_client, "/admin/staff", PASSWORD)
    assert stopped.status_code == 429
    assert "signed out" in stopped.get_data(as_text=True)
    assert admin_client.get("/staff/account").status_code == 302  # to sign-in
    session.expire_all()
    [row] = session.scalars(select(StaffSession).where(StaffSession.user_id == admin_user.id))
    assert row.end_reason == "reauth_failed"
    sign_in(app.test_client(), admin_user)  # the person can still sign in properly


def test_the_confirm_page_is_for_signed_in_staff_only(client):
    response = client.get(CONFIRM)
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_sign_in_never_sends_to_another_site_either(app, officer_user):
    client = app.test_client()
    page = client.get("/staff/sign-in")
    evil = quote("/\\evil.example", safe="")
    done = client.post(
        f"/staff/sign-in?next={evil}",
        data={"email": officer_user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert done.status_code == 302 and "evil" not in done.headers["Location"]


def test_with_a_second_factor_the_password_alone_is_not_enough(
    app, session, admin_user, admin_client, officer_user
):
    """ASVS 3.7.1 asks for the password and the code: a user with a second factor gives
    both; a wrong or missing code refuses, and the code given is used up."""
    from tests.auth.test_mfa import code, give_factor

    secret, _ = give_factor(session, admin_user)
    url = "/admin/staff/invite"
    _age_confirmation(session, admin_user, 60)
    form = admin_client.get(f"{CONFIRM}?next={quote(url, safe='')}")
    assert form.status_code == 200
    assert 'name="code"' in form.get_data(as_text=True)

    for typed in ({}, {"code": "000000"}):
        refused = post_form(
            admin_client, f"{CONFIRM}?next={quote(url, safe='')}", {"password": PASSWORD, **typed}
        )
        assert refused.status_code == 200
        assert "The password or the code is not right" in refused.get_data(as_text=True)
        assert _next_of(admin_client.get(url)) == url  # still asked

    given = code(secret)
    accepted = post_form(
        admin_client, f"{CONFIRM}?next={quote(url, safe='')}", {"password": PASSWORD, "code": given}
    )
    assert accepted.status_code == 302 and accepted.headers["Location"] == url
    assert admin_client.get(url).status_code == 200
    _age_confirmation(session, admin_user, 60)
    # The very code given, not "the code of now": a 30-second step may turn in between.
    replayed = post_form(
        admin_client, f"{CONFIRM}?next={quote(url, safe='')}", {"password": PASSWORD, "code": given}
    )
    assert replayed.status_code == 200  # the same code cannot be used twice
