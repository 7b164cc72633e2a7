"""Passwords: long enough, not a common one (zxcvbn's list), not easy to guess; and a
"Forgotten your password?" page that answers the same whether or not the address has an
account, emailing a set-password link that works once and expires."""

import re

import pytest

from clinic.auth import service
from clinic.auth.service import AccountError, check_password_rules
from clinic.models import User
from tests.conftest import PASSWORD, sign_in
from tests.helpers import post_form


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "12 characters or more"),
        ("1qaz2wsx3edc", "most common passwords"),
        ("Password1234", "most common passwords"),
        ("qwertyuiop12", "most common passwords"),
        ("iloveyou 123", "most common passwords"),
        ("aaaaaaaaaaaa", "easy to guess"),
        ("pat.officer2026", "easy to guess"),
    ],
)
def test_weak_passwords_are_refused_next_to_the_field(app, make, password, message):
    user = make.user(role="officer", email="pat.officer@example.org", name="Pat Officer")
    with pytest.raises(AccountError) as refused:
        check_password_rules(password, user)
    assert message in refused.value.message and refused.value.field == "password"


@pytest.mark.parametrize("password", [PASSWORD, "a long new password", "tulip Harbour 97 kettle"])
def test_good_passwords_pass(app, password):
    check_password_rules(password)


def test_the_set_password_page_shows_why(app, make, client):
    user = make.user(role="officer", password_hash=None)
    url = f"/staff/set-password/{service.password_token(user)}"
    page = post_form(client, url, {"password": "password1234", "confirm": "password1234"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "govuk-error-message" in html and "most common passwords" in html
    assert "Use 12 characters or more" in html  # the hint follows PASSWORD_MIN_LENGTH


def _reset_link(smtp, address):
    [email] = smtp.to(address)
    body = email.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/staff/set-password/\S+)", body)[1]


def test_forgotten_password_answers_the_same_and_emails_a_single_use_link(
    app, session, officer_user, smtp
):
    sign_in_page = app.test_client().get("/staff/sign-in").get_data(as_text=True)
    assert (
        "/staff/forgotten-password" in sign_in_page and "Forgotten your password?" in sign_in_page
    )

    known = post_form(app.test_client(), "/staff/forgotten-password", {"email": officer_user.email})
    unknown = post_form(
        app.test_client(), "/staff/forgotten-password", {"email": "nobody@example.org"}
    )
    assert known.status_code == unknown.status_code == 200
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "")  # noqa: E731
    assert strip(known, officer_user.email) == strip(unknown, "nobody@example.org")
    assert "Check your email" in known.get_data(as_text=True)
    assert not smtp.to("nobody@example.org")

    link = _reset_link(smtp, officer_user.email)
    new = "tulip Harbour 97 kettle"
    client = app.test_client()
    assert client.get(link).status_code == 200
    done = post_form(client, link, {"password": new, "confirm": new})
    assert done.status_code == 302
    assert client.get(link).status_code == 410  # once only
    sign_in(app.test_client(), session.get(User, officer_user.id), new)


def test_a_reset_link_expires_sooner_than_an_invitation(app, officer_user, smtp):
    post_form(app.test_client(), "/staff/forgotten-password", {"email": officer_user.email})
    link = _reset_link(smtp, officer_user.email)
    invitation = f"/staff/set-password/{service.password_token(officer_user)}"
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    expired = app.test_client().get(link)
    assert expired.status_code == 410 and "Get a new link" in expired.get_data(as_text=True)
    assert app.test_client().get(invitation).status_code == 200


def test_a_deactivated_account_gets_no_link(app, session, make, smtp):
    user = make.user(role="officer", active=False)
    post_form(app.test_client(), "/staff/forgotten-password", {"email": user.email})
    assert not smtp.to(user.email)


def test_asking_for_links_is_limited_per_address_typed(app, officer_user, smtp):
    app.config["EMAIL_LINK_LIMIT_PER_EMAIL"] = "2 per hour"
    for _ in range(2):
        ok = post_form(
            app.test_client(), "/staff/forgotten-password", {"email": officer_user.email}
        )
        assert ok.status_code == 200
    refused = post_form(
        app.test_client(), "/staff/forgotten-password", {"email": officer_user.email}
    )
    assert refused.status_code == 429
    assert len(smtp.to(officer_user.email)) == 2
