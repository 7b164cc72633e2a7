"""In production the session cookie is ``__Host-`` prefixed (OWASP ASVS 3.4.4): Secure,
Path=/, no Domain, so no other host (a sibling subdomain) can set or overwrite it."""

import pytest

from clinic import create_app
from tests.conftest import PASSWORD
from tests.helpers import csrf_token

PRODUCTION = {
    "SECRET_KEY": "0123456789abcdef" * 4,
    "BASE_URL": "https://clinics.example.org",
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_ALLOW_MEMORY": True,
}


def _session_cookie_header(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if "session=" in h]
    return header


def test_production_signs_in_with_a_host_prefixed_cookie(
    monkeypatch, database_url, session, officer_user
):
    email = officer_user.email
    session.commit()  # the test's own transaction ends (on SQLite it holds the write lock)
    monkeypatch.setenv("CLINIC_CONFIG", "production")
    app = create_app(PRODUCTION | {"SQLALCHEMY_DATABASE_URI": database_url})
    client = app.test_client()
    page = client.get("/staff/sign-in", base_url="https://clinics.example.org")
    header = _session_cookie_header(page)
    assert header.startswith("__Host-session=")
    parts = [part.strip().lower() for part in header.split(";")]
    assert "secure" in parts and "path=/" in parts and "httponly" in parts
    assert not any(part.startswith("domain=") for part in parts)
    signed_in = client.post(
        "/staff/sign-in",
        base_url="https://clinics.example.org",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert signed_in.status_code == 302
    assert _session_cookie_header(signed_in).startswith("__Host-session=")
    # Production never skips the second factor: the officer sets one up first.
    assert signed_in.location.startswith("/staff/two-factor/set-up")
    set_up = client.get(signed_in.location, base_url="https://clinics.example.org")
    assert set_up.status_code == 200  # the prefixed cookie is the one read back


def test_development_and_tests_keep_the_plain_name(app):
    assert app.config["SESSION_COOKIE_NAME"] == "session"


def test_production_refuses_a_domain_on_the_prefixed_cookie(monkeypatch):
    monkeypatch.setenv("CLINIC_CONFIG", "production")
    with pytest.raises(RuntimeError) as refused:
        create_app(PRODUCTION | {"SESSION_COOKIE_DOMAIN": "example.org"})
    assert "__Host-" in str(refused.value)
