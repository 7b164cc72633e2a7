"""Logs: a request id on every line and on the error page; no token or email in any line.

The last two tests run real gunicorn with deploy/gunicorn.conf.py (as ``make run`` and the
production unit do), open real parents' links and read what gunicorn and the app wrote.
"""

from __future__ import annotations

import json
import logging
import re
import secrets

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from clinic import create_app
from clinic.extensions import db
from clinic.links import feedback_token, manage_token
from clinic.models import Booking
from clinic.ops import logs
from clinic.ops.redact import redact
from tests.ops.support import Parent, app_env, get, gunicorn

_REFERENCE = re.compile(r"quote reference <strong>([^<]+)</strong>")


def _sample_tokens() -> list[str]:
    """Tokens of every shape the service makes: signed links, timed links, random ones."""
    key = "k" * 40
    return [
        URLSafeSerializer(key, salt="parent-link:manage").dumps({"i": 12, "u": "a1b2c3d4e5f6"}),
        URLSafeSerializer(key, salt="feedback").dumps({"b": 7, "u": "0a1b2c3d4e5f"}),
        URLSafeTimedSerializer(key, salt="set-password").dumps({"u": 3, "f": "ab" * 8}),
        secrets.token_urlsafe(32),
        secrets.token_hex(16),
    ]


def test_every_route_that_carries_a_token_is_blanked(app):
    """Walks app.url_map: a route added or moved later is covered or this test fails."""
    rules = [r for r in app.url_map.iter_rules() if any("token" in a for a in r.arguments)]
    assert len(rules) >= 8  # manage, invite, move, cancel, waitlist x2, feedback, feed, password
    adapter = app.url_map.bind("clinics.example.org", url_scheme="https")
    for rule in rules:
        for token in _sample_tokens():
            values = {a: (token if "token" in a else 1) for a in rule.arguments}
            path = adapter.build(rule.endpoint, values, force_external=False)
            url = adapter.build(rule.endpoint, values, force_external=True)
            for line in (
                f'127.0.0.0 "GET {path} HTTP/1.1" 200',
                f'"POST {path}?next={path} HTTP/1.1" referrer "{url}"',
                f"Unhandled error on GET {path}",
            ):
                cleaned = redact(line)
                assert token not in cleaned, (rule.rule, cleaned)
                assert "[token]" in cleaned


def test_ordinary_paths_stay_readable(app):
    for path in [
        "/schools/st-brigids-catholic-primary/poster",
        "/booking/clinics/12/waitlist",
        "/booking/staff/4/move",
        "/staff/attendance/clinics/3/list.csv",
        "/static/govuk/govuk-frontend.min.js",
    ]:
        assert redact(f"GET {path}") == f"GET {path}"
    # A traceback names the source files, which sit at paths shaped like token routes.
    line = '  File "/srv/clinics/clinic/booking/views.py", line 306, in _confirm'
    assert redact(line) == line


def test_emails_are_blanked_anywhere():
    line = "SMTPRecipientsRefused: {'Parent.Name+x@Example.co.uk': (550, b'no')}"
    assert "Example.co.uk" not in redact(line)
    assert "[email]" in redact(line)


def test_error_page_reference_finds_the_log_lines(app, capsys):
    @app.get("/ops-test-boom/<token>")
    def boom(token):
        logging.getLogger("clinic.test").info("about to fail for parent@example.net")
        raise RuntimeError(f"failed for parent@example.net on {token}")

    token = _sample_tokens()[0]
    response = app.test_client().get(f"/ops-test-boom/{token}")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    reference = _REFERENCE.search(html).group(1)
    assert reference == response.headers["X-Request-ID"]
    err = capsys.readouterr().err
    mine = [line for line in err.splitlines() if f"[{reference}]" in line]
    assert len(mine) >= 2  # the view's line and the unhandled error
    assert "parent@example.net" not in err and token not in err
    assert "RuntimeError" in err  # the traceback is kept, with the values blanked


def test_not_found_and_expired_pages_carry_a_reference(client):
    page = client.get("/no-such-page")
    assert _REFERENCE.search(page.get_data(as_text=True)).group(1) == page.headers["X-Request-ID"]
    expired = client.post("/staff/sign-out")  # no CSRF token: the "page has expired" page
    assert expired.status_code == 400
    assert _REFERENCE.search(expired.get_data(as_text=True))


def test_a_trusted_proxy_id_is_used_when_it_looks_like_one(database_url, tmp_path):
    trusting = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "TRUST_REQUEST_ID_HEADER": True}
    )
    client = trusting.test_client()
    good = "0f9c2b7e4a1d4c3b9e8f7a6b5c4d3e2f"
    assert client.get("/healthz", headers={"X-Request-ID": good}).headers["X-Request-ID"] == good
    for bad in ["short", "x" * 200, "id with spaces", "<script>", "a\u00e9bcdefghij"]:
        answer = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert answer != bad and logs.valid_request_id(answer)


def test_an_untrusted_id_is_replaced(client):
    good = "0f9c2b7e4a1d4c3b9e8f7a6b5c4d3e2f"
    assert client.get("/healthz", headers={"X-Request-ID": good}).headers["X-Request-ID"] != good


def test_json_lines_in_production_format(database_url, capsys):
    json_app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "json"})
    try:

        @json_app.get("/ops-test-log")
        def log_something():
            logging.getLogger("clinic.test").warning("looked at /booking/%s", "AbCdEfGhIjKlMnOpQr")
            return "ok"

        response = json_app.test_client().get("/ops-test-log")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
        mine = [line for line in lines if line.get("logger") == "clinic.test"]
        assert mine, lines
        line = mine[0]
        assert line["level"] == "WARNING"
        assert line["request_id"] == response.headers["X-Request-ID"]
        assert line["route"] == "/ops-test-log"
        assert line["message"] == "looked at /booking/[token]"
        assert "timestamp" in line
    finally:
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})  # back to readable lines


# --- real gunicorn ---------------------------------------------------------------------------


@pytest.fixture
def parent_links(app, make, school, officer_user):
    """A parent's real manage and feedback links (signed with the server's secret)."""
    clinic = make.clinic(school, officer_user, slots=2, capacity=3)
    booking = make.booking(
        clinic.slots[0], email="real.parent@example.net", parent_name="Robin Realname"
    )
    attended = make.booking(clinic.slots[1], email="came@example.net", status="attended")
    ids = booking.id, attended.id, booking.slot_id
    db.session.commit()  # no transaction left open: on SQLite it would hold the write lock
    return ids


def _links_for(key: str, booking_id: int, attended_id: int, database_url) -> list[str]:
    signer = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": key})
    with signer.app_context():
        try:
            return [
                manage_token(db.session.get(Booking, booking_id)),
                feedback_token(db.session.get(Booking, attended_id)),
            ]
        finally:
            db.session.remove()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["production", "development"])
def test_gunicorn_logs_hold_no_token_or_personal_data(
    mode, app, database_url, parent_links, tmp_path
):
    key = secrets.token_hex(32)
    booking_id, attended_id, slot_id = parent_links
    manage, feedback = _links_for(key, booking_id, attended_id, database_url)
    extra = {"SECRET_KEY": key}
    if mode == "production":
        extra |= {
            "CLINIC_CONFIG": "production",
            "BASE_URL": "https://clinics.example.org",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ALLOW_MEMORY": "1",  # one gunicorn worker's counters are enough here
        }
    env = app_env(tmp_path, database_url, **extra)
    with gunicorn(tmp_path, env) as server:
        base = server.base_url
        referrer = {"Referer": f"{base}/booking/{manage}"}
        assert get(f"{base}/booking/{manage}")[0] == 200
        assert get(f"{base}/booking/{manage}/invite.ics", referrer)[0] == 200
        assert get(f"{base}/booking/{manage}/cancel?from=/booking/{manage}")[0] == 200
        assert get(f"{base}/feedback/{feedback}")[0] == 200
        assert get(f"{base}/booking/{manage}/delete")[0] == 200  # "delete my details"
        assert get(f"{base}/booking/{manage}x")[0] == 404  # a mistyped link is logged too
        if mode == "development":  # (secure cookies need https in production)
            assert Parent(base, "new.parent@example.net").book(slot_id)
    text = server.logs()
    for secret in (manage, feedback, manage[:40], "real.parent@example.net", "Robin Realname"):
        assert secret not in text, f"{secret!r} found in the {mode} logs"
    assert "new.parent@example.net" not in text
    access = server.out.read_text()
    assert access.count("/booking/[token]") >= 4 and "/feedback/[token]" in access
    if mode == "production":
        for line in access.splitlines():
            entry = json.loads(line)
            assert re.fullmatch(r"[0-9a-f]{16}", entry["request_id"]), entry
        for line in server.err.read_text().splitlines():
            if line.startswith("{"):
                json.loads(line)
    else:
        assert re.search(r"\[[0-9a-f]{16}\] \"GET /booking/\[token\] HTTP/1.1\" 200", access)
