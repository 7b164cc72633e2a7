"""Security headers (clinic/headers.py) on every kind of answer.

A page, the error pages (404, 429, 500, 503, a CSRF refusal), a static file, a JSON
answer and each download (CSV, PDF, .ics) carry the same headers; HSTS is sent in
production over HTTPS only. The templates hold no inline script or style, and
templates/layout.html is GOV.UK Frontend's page template with only its inline snippet
replaced. (The browser tests fail on any CSP violation Chromium reports:
tests/browser/conftest.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import govuk_frontend_jinja
import pytest

from clinic import create_app
from clinic.headers import CONTENT_SECURITY_POLICY
from clinic.links import manage_token
from tests.attendance.test_sheet_pdf import made_pdf
from tests.conftest import ROOT
from tests.helpers import post_form

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def assert_secure_headers(response, what: str = ""):
    label = what or response.request.path
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (label, name, response.headers.get(name))
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    assert directives.get("frame-ancestors") == "'none'", (label, csp)
    assert directives.get("script-src") == "'self'", (label, csp)
    assert directives.get("style-src") == "'self'", (label, csp)
    assert directives.get("object-src") == "'none'", (label, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (label, csp)
    assert "Strict-Transport-Security" not in response.headers, label  # not outside production


def test_a_page_a_static_file_and_json(client):
    assert_secure_headers(client.get("/"))
    assert_secure_headers(client.get("/staff/sign-in"))
    static = client.get("/static/js/app.js")
    assert static.status_code == 200
    assert_secure_headers(static)
    health = client.get("/healthz")
    assert health.is_json
    assert_secure_headers(health)


def test_error_pages(app, client, admin_user):
    @app.get("/test-only-fails")
    def fails():
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert_secure_headers(missing)
    broken = client.get("/test-only-fails")
    assert broken.status_code == 500
    assert_secure_headers(broken)
    expired = client.post("/staff/sign-out")
    assert expired.status_code == 400  # no CSRF token: the "page has expired" page
    assert_secure_headers(expired)
    not_a_form = client.post("/staff/sign-in", json={"email": "a@example.org"})
    assert not_a_form.status_code == 415
    assert_secure_headers(not_a_form)

    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "1 per 15 minutes"
    for _ in range(2):
        limited = post_form(
            app.test_client(), "/staff/sign-in", {"email": admin_user.email, "password": "no"}
        )
    assert limited.status_code == 429
    assert_secure_headers(limited)


def test_the_database_away_page(tmp_path):
    """The friendly 503 (drawn without the database) carries the headers too."""
    app = create_app(
        {
            # Nothing listens on port 1: every connection is refused at once.
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none",
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
        }
    )
    answer = app.test_client().get("/schools/oakfield")
    assert answer.status_code == 503
    assert "Retry-After" in answer.headers
    assert_secure_headers(answer)


def test_downloads(app, make, school, officer_user, officer_client, client, session):
    clinic = make.clinic(school, officer_user, slots=1)
    booking = make.booking(clinic.slots[0])
    session.commit()
    csv = officer_client.get(f"/staff/attendance/clinics/{clinic.id}/list.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert_secure_headers(csv)
    pdf = made_pdf(officer_client, session, clinic)  # asked for, made by the worker
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert_secure_headers(pdf)
    invite = client.get(f"/booking/{manage_token(booking)}/invite.ics")
    assert invite.status_code == 200 and invite.data.startswith(b"BEGIN:VCALENDAR")
    assert_secure_headers(invite, "the parent's invite.ics")
    feed = officer_client.get("/staff/clinics/calendar-feed")
    assert_secure_headers(feed, "the officer's calendar feed")


@pytest.mark.parametrize("over_https", [True, False])
def test_hsts_only_in_production_over_https(monkeypatch, tmp_path, over_https):
    monkeypatch.setenv("CLINIC_CONFIG", "production")
    app = create_app(
        {
            "SECRET_KEY": "a-long-random-value-for-this-test-only-0123456789",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
            "BASE_URL": "https://clinics.example.org",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ALLOW_MEMORY": True,  # per-process limits on purpose (one test app)
        }
    )
    base = "https://clinics.example.org" if over_https else "http://clinics.example.org"
    answer = app.test_client().get("/accessibility", base_url=base)
    assert answer.status_code == 200
    hsts = answer.headers.get("Strict-Transport-Security")
    if over_https:
        assert hsts == "max-age=31536000; includeSubDomains"
    else:
        assert hsts is None  # a browser ignores HSTS over plain HTTP anyway
    assert answer.headers["X-Frame-Options"] == "DENY"
    # The cookie settings are config.py's: production's stay secure.
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_staff_pages_are_not_kept_by_the_browser(officer_client, client, make, school):
    clinics = officer_client.get("/staff/clinics/")
    assert clinics.status_code == 200
    assert clinics.headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in client.get("/").headers  # a public page may be kept
    static = officer_client.get("/static/js/app.js")
    assert "no-store" not in static.headers["Cache-Control"]  # files keep their own rule


def test_development_cookies_still_work_over_plain_http(client, admin_user):
    """Nothing forces SESSION_COOKIE_SECURE on (Flask-Talisman would); over
    http://127.0.0.1 (make run) the session cookie would then never come back and nobody
    could sign in."""
    assert client.application.config["SESSION_COOKIE_SECURE"] is False
    page = client.get("/staff/sign-in")
    assert "Secure" not in page.headers.get("Set-Cookie", "")


# --- templates ---------------------------------------------------------------------------

TEMPLATES = ROOT / "templates"
# Not pages a browser is sent: emails (their styles must be inline) and the PDF's HTML.
# privacy/export.html (privacy branch) is the subject-access copy, downloaded as an
# attachment and read from disk, where no CSP applies.
NOT_PAGES = ("email/", "attendance/sheet_pdf.html", "privacy/export.html")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_no_template_holds_inline_script_style_or_event_handlers():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        if name.startswith(NOT_PAGES):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_STYLE):
            found += [f"{name}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not found, "the CSP refuses these; move them to clinic/static/:\n" + "\n".join(found)


def test_layout_is_govuk_frontends_template_with_the_snippet_as_a_file():
    package = Path(govuk_frontend_jinja.__file__).parent / "templates" / "template.html"
    original = package.read_text(encoding="utf-8")
    ours = (TEMPLATES / "layout.html").read_text(encoding="utf-8")
    ours = ours.split("-#}\n", 1)[1]  # the comment that says why the copy exists
    snippet = re.search(r"    <script[^\n]*js-enabled[^\n]*</script>\n", original)
    assert snippet, "GOV.UK Frontend's template changed its body-class snippet: update layout.html"
    as_file = (
        "    <script src=\"{{ url_for('static', filename='js/govuk-supported.js') }}\"></script>\n"
    )
    html_tag = "<html lang=\"{{ htmlLang | default('en', true) }}\" "
    assert html_tag in original, "GOV.UK Frontend's template changed its <html> tag"
    with_dir = html_tag + "dir=\"{{ htmlDir | default('ltr', true) }}\" "
    assert ours == original.replace(snippet.group(0), as_file).replace(html_tag, with_dir), (
        "templates/layout.html differs from govuk_frontend_jinja's template.html by more than "
        "the body-class snippet and <html dir>: copy the package's template again and make "
        "those two changes"
    )
    js = (ROOT / "clinic" / "static" / "js" / "govuk-supported.js").read_text()
    assert "govuk-frontend-supported" in js and "js-enabled" in js


def test_the_policy_names_no_other_site():
    for directive, sources in CONTENT_SECURITY_POLICY.items():
        values = [sources] if isinstance(sources, str) else sources
        assert all(v in ("'self'", "'none'", "data:") for v in values), directive


def test_kept_headers_are_the_same_everywhere_and_a_view_may_set_its_own(app, client):
    """``clinic.headers`` works the headers out once; a view that sets its own with
    ``@own_headers(...)`` gets those, and the next page the site's again."""
    from clinic.headers import own_headers

    @app.get("/test-only-framed")
    @own_headers(frame_options="SAMEORIGIN", content_security_policy={"default-src": "'self'"})
    def framed():
        return "framed"

    pages = [client.get(path) for path in ("/", "/staff/sign-in", "/no-such-page", "/")]
    first = {k: v for k, v in pages[0].headers if k in EXPECTED or "Security" in k}
    for page in pages[1:]:
        assert {k: v for k, v in page.headers if k in first} == first
    own = client.get("/test-only-framed")
    assert own.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert own.headers["Content-Security-Policy"] == "default-src 'self'"
    again = client.get("/")
    assert again.headers["X-Frame-Options"] == "DENY"
    assert again.headers["Content-Security-Policy"] == first["Content-Security-Policy"]
