"""Error pages, limits and the health check: a friendly page with the right status, never a 500."""

import pytest

from clinic import create_app


@pytest.mark.parametrize("path", ["/no-such-page", "/staff/set-password/", "/admin/nothing"])
def test_unknown_route_is_a_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/staff/sign-in")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "not possible" in response.get_data(as_text=True)


def test_oversized_body_is_413(client):
    response = client.post("/staff/sign-in", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_post_without_csrf_is_refused_with_a_page(admin_client):
    response = admin_client.post("/staff/sign-out")
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)
    assert admin_client.get("/staff/account").status_code == 200  # still signed in


def test_form_with_stale_csrf_comes_back_with_answers(client):
    response = client.post(
        "/staff/sign-in", data={"email": "me@example.org", "password": "x", "csrf_token": "stale"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "send the form again" in html
    assert 'value="me@example.org"' in html


def test_bad_set_password_token_is_friendly(client):
    response = client.get("/staff/set-password/not-a-token")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_pages_for_everyone(client):
    for path in ["/", "/privacy", "/accessibility", "/staff/sign-in"]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "Skip to main content" in html
        assert "Privacy notice" in html and "Accessibility statement" in html
        assert "Crown copyright" not in html and "govuk-logo" not in html


def test_health_reports_database_down(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_unexpected_error_is_a_friendly_500(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "problem with the service" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="Set SECRET_KEY"):
        create_app("production")
