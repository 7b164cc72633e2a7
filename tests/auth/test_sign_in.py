"""Staff sign-in: one answer for a wrong email or password, throttled, no password in logs."""

import logging
import re

from clinic.auth import service
from clinic.models import User
from tests.conftest import PASSWORD, sign_in
from tests.helpers import csrf_token, post_form


def _attempt(client, email, password):
    return post_form(client, "/staff/sign-in", {"email": email, "password": password})


def test_sign_in_and_out(client, admin_user):
    sign_in(client, admin_user)
    assert client.get("/staff/account").status_code == 200
    # Opening the sign-out link changes nothing (a GET never does); the button does.
    page = client.get("/staff/sign-out")
    assert client.get("/staff/account").status_code == 200
    response = post_form(client, "/staff/sign-out", {}, page_url="/staff/sign-out")
    assert response.status_code == 302
    assert client.get("/staff/account").status_code == 302
    assert page.status_code == 200


def test_wrong_email_and_wrong_password_say_the_same(client, admin_user):
    wrong_password = _attempt(client, admin_user.email, "nope nope nope").get_data(as_text=True)
    wrong_email = _attempt(client, "nobody@example.org", "nope nope nope").get_data(as_text=True)
    message = "Enter a correct email address and password"
    assert message in wrong_password and message in wrong_email
    strip = lambda html: html.replace(admin_user.email, "").replace("nobody@example.org", "")  # noqa: E731
    assert strip(wrong_password).count(message) == strip(wrong_email).count(message)


def test_email_is_case_insensitive(client, admin_user):
    response = _attempt(client, admin_user.email.upper(), PASSWORD)
    assert response.status_code == 302


def test_inactive_user_cannot_sign_in_and_is_signed_out(app, session, admin_user):
    client = sign_in(app.test_client(), admin_user)
    user = session.get(User, admin_user.id)
    user.active = False
    session.commit()
    assert client.get("/staff/account").status_code == 302  # sent to sign in
    response = _attempt(app.test_client(), admin_user.email, PASSWORD)
    assert "Enter a correct email address and password" in response.get_data(as_text=True)


def _from(app, address):
    """A browser at ``address`` (as ProxyFix would give it)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_wrong_passwords_from_elsewhere_do_not_lock_the_officer_out(app, officer_user):
    """Five wrong passwords used to lock an account for 15 minutes, so anyone who knew an
    officer's email could keep them out. Now the guesser's place is slowed, not the account."""
    for _ in range(5):
        assert _attempt(_from(app, "203.0.113.9"), officer_user.email, "wrong").status_code == 200
    assert _attempt(_from(app, "203.0.113.9"), officer_user.email, PASSWORD).status_code == 429
    # The officer, from their own place, signs in at once.
    assert _attempt(_from(app, "198.51.100.7"), officer_user.email, PASSWORD).status_code == 302


def test_sign_in_throttled_per_account_and_address(app, admin_user):
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "3 per 15 minutes"
    for _ in range(3):
        # From different browsers at the same place.
        assert _attempt(app.test_client(), admin_user.email, "wrong wrong").status_code == 200
    response = _attempt(app.test_client(), admin_user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_an_account_tried_from_many_places_offers_its_owner_a_sign_in_link(
    app, session, officer_user, smtp
):
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "4 per hour"
    for n in range(4):
        assert _attempt(_from(app, f"203.0.113.{n}"), officer_user.email, "x").status_code == 200
    officer = _from(app, "198.51.100.7")
    response = _attempt(officer, officer_user.email, PASSWORD)
    assert response.status_code == 429  # the password is not even checked now
    page = response.get_data(as_text=True)
    assert "Too many attempts to sign in" in page and "Email me a sign-in link" in page
    # The same page for an address that has no account (it tells nobody who has one).
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "0 per hour"
    nobody = _attempt(_from(app, "198.51.100.8"), "nobody@example.org", "x")
    assert nobody.status_code == 429 and "Email me a sign-in link" in nobody.get_data(as_text=True)
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "4 per hour"

    sent = officer.post(
        "/staff/sign-in-link",
        data={"email": officer_user.email, "csrf_token": csrf_token(response)},
    )
    assert "Check your email" in sent.get_data(as_text=True)
    [email] = smtp.to(officer_user.email)
    link = re.search(
        r"http://localhost(/staff/sign-in-link/\S+)", email.get_body(("plain",)).get_content()
    )[1]
    opened = officer.get(link)  # opening it (as a mail scanner would) changes nothing
    assert opened.status_code == 200 and "Sign in as" in opened.get_data(as_text=True)
    assert officer.get("/staff/account").status_code == 302
    signed_in = post_form(officer, link, {})
    assert signed_in.status_code == 302
    assert officer.get("/staff/account").status_code == 200
    # It works once.
    assert app.test_client().get(link).status_code == 410


def test_a_sign_in_link_expires(app, officer_user):
    token = service.sign_in_token(officer_user)
    app.config["SIGN_IN_LINK_MAX_AGE"] = -1
    response = app.test_client().get(f"/staff/sign-in-link/{token}")
    assert response.status_code == 410
    assert "Get a new sign-in link" in response.get_data(as_text=True)


def test_sign_in_links_only_go_to_accounts_and_say_the_same(app, officer_user, smtp):
    known = post_form(app.test_client(), "/staff/sign-in-link", {"email": officer_user.email})
    unknown = post_form(app.test_client(), "/staff/sign-in-link", {"email": "nobody@example.org"})
    strip = lambda r, e: r.get_data(as_text=True).replace(e, "")  # noqa: E731
    assert strip(known, officer_user.email) == strip(unknown, "nobody@example.org")
    assert len(smtp.to(officer_user.email)) == 1 and not smtp.to("nobody@example.org")


def test_successful_sign_ins_are_not_counted(app, admin_user):
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "2 per 15 minutes"
    for _ in range(4):
        client = app.test_client()
        assert _attempt(client, admin_user.email, PASSWORD).status_code == 302


def test_no_password_in_logs(app, client, admin_user, caplog):
    caplog.set_level(logging.DEBUG)
    _attempt(client, admin_user.email, "a-wrong-secret-123")
    _attempt(client, admin_user.email, PASSWORD)
    assert "a-wrong-secret-123" not in caplog.text
    assert PASSWORD not in caplog.text


def test_next_only_goes_to_this_site(client, admin_user):
    page = client.get("/staff/sign-in")
    from tests.helpers import csrf_token

    for target, expected in [
        ("/staff/account", "/staff/account"),
        ("https://evil.example/", "/admin/schools"),
        ("//evil.example/", "/admin/schools"),
    ]:
        fresh = client.application.test_client()
        page = fresh.get("/staff/sign-in")
        response = fresh.post(
            f"/staff/sign-in?next={target}",
            data={"email": admin_user.email, "password": PASSWORD, "csrf_token": csrf_token(page)},
        )
        assert response.headers["Location"].endswith(expected), target


def test_set_password_link_works_once(app, session, make, client):
    user = make.user(role="officer", password_hash=None)
    token = service.password_token(user)
    url = f"/staff/set-password/{token}"
    short = post_form(client, url, {"password": "short", "confirm": "short"})
    assert "12 characters or more" in short.get_data(as_text=True)
    mismatch = post_form(client, url, {"password": "a long new password", "confirm": "other"})
    assert "do not match" in mismatch.get_data(as_text=True)
    ok = post_form(
        client, url, {"password": "a long new password", "confirm": "a long new password"}
    )
    assert ok.status_code == 302
    assert client.get(url).status_code == 410
    assert "already been used" in client.get(url).get_data(as_text=True)
    assert service.authenticate(session, user.email, "a long new password") is not None


def test_expired_set_password_link(app, make, client):
    user = make.user(role="officer", password_hash=None)
    token = service.password_token(user)
    app.config["PASSWORD_TOKEN_MAX_AGE"] = -1
    assert client.get(f"/staff/set-password/{token}").status_code == 410


def test_users_create_cli(app, session, school):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "New@Example.org",
            "--name",
            "New Person",
            "--role",
            "school",
            "--school",
            school.slug,
        ],
        input="a good long password\na good long password\n",
    )
    assert result.exit_code == 0, result.output
    user = session.query(User).filter_by(email="new@example.org").one()
    assert user.school_id == school.id and user.role == "school"
    assert "a good long password" not in result.output

    linked = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "o@example.org",
            "--name",
            "O",
            "--role",
            "officer",
            "--school",
            school.slug,
            "--link",
        ]
    )
    assert linked.exit_code == 0, linked.output
    assert "/staff/set-password/" in linked.output

    bad = runner.invoke(
        args=["users", "create", "--email", "x@example.org", "--name", "X", "--role", "school"],
        input="a good long password\n" * 2,
    )
    assert bad.exit_code != 0 and "Choose the school" in bad.output
