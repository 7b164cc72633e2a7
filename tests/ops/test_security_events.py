"""Named security events (OWASP ASVS 7.2): a log line each, with the request id and no
personal data, and a /metrics counter; from the real pages that raise them."""

from __future__ import annotations

import json
import logging

import pytest

from clinic import create_app
from clinic.security_events import EVENTS, security_event
from tests.conftest import PASSWORD, sign_in
from tests.helpers import csrf_token, post_form
from tests.ops.test_watch import _metrics, _value


def _count(client, event: str) -> float:
    return _value(_metrics(client), "clinic_security_events_total", event=event)


def _events(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "clinic.security"]


def test_every_event_is_a_counter_from_zero(client):
    samples = _metrics(client)
    for event in EVENTS:
        assert ("clinic_security_events_total", (("event", event),)) in samples


def test_sign_in_failed_and_succeeded(app, client, officer_user, caplog):
    caplog.set_level(logging.INFO, "clinic.security")
    failed, succeeded = _count(client, "sign_in_failed"), _count(client, "sign_in_succeeded")
    wrong = post_form(
        app.test_client(), "/staff/sign-in", {"email": officer_user.email, "password": "no!"}
    )
    assert wrong.status_code == 200
    sign_in(app.test_client(), officer_user)
    assert _count(client, "sign_in_failed") == failed + 1
    assert _count(client, "sign_in_succeeded") == succeeded + 1
    [bad, good] = _events(caplog)
    assert bad.security_event == "sign_in_failed" and bad.levelname == "WARNING"
    assert good.security_event == "sign_in_succeeded" and good.event_user_id == officer_user.id
    assert good.event_route == "/staff/sign-in"
    text = caplog.text
    assert officer_user.email not in text and officer_user.name not in text
    assert "127.0.0.1" not in text


def test_lock_out_and_rate_limited(app, client, officer_user, caplog):
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "2 per hour"
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"] = "50 per hour"
    before = _count(client, "lock_out"), _count(client, "rate_limited")
    for _ in range(3):
        answer = post_form(
            app.test_client(), "/staff/sign-in", {"email": officer_user.email, "password": "x"}
        )
    assert answer.status_code == 429
    assert _count(client, "lock_out") == before[0] + 1
    assert _count(client, "rate_limited") == before[1] + 1
    assert officer_user.email not in caplog.text


def test_scope_refused(app, client, school_client, other_school, make, officer_user, caplog):
    caplog.set_level(logging.INFO, "clinic.security")
    before = _count(client, "scope_refused")
    assert school_client.get("/admin/staff").status_code == 404  # a coordinator's page
    clinic = make.clinic(other_school, officer_user)
    assert school_client.get(f"/staff/clinics/{clinic.id}").status_code == 404  # not theirs
    assert _count(client, "scope_refused") == before + 2
    reasons = [r.event_reason for r in _events(caplog) if r.security_event == "scope_refused"]
    assert reasons == ["role", "school"]


def test_csrf_refused(app, client, officer_client, caplog):
    before = _count(client, "csrf_refused")
    refused = officer_client.post("/staff/sign-out", data={})  # no token (csrf.protect)
    assert refused.status_code == 400
    form = app.test_client().post("/staff/sign-in", data={"email": "a@b.cd", "password": "x"})
    assert form.status_code == 200  # the form's own check
    assert _count(client, "csrf_refused") == before + 2


def test_the_json_line_has_the_request_id_and_the_event(database_url, capsys, officer_user):
    json_app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "json"})
    try:
        client = json_app.test_client()
        page = client.get("/staff/sign-in")
        capsys.readouterr()
        answer = client.post(
            "/staff/sign-in",
            data={"email": "someone@example.net", "password": "x", "csrf_token": csrf_token(page)},
        )
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
        [line] = [line for line in lines if line.get("logger") == "clinic.security"]
        assert line["security_event"] == "sign_in_failed"
        assert line["request_id"] == answer.headers["X-Request-ID"]
        assert line["route"] == "/staff/sign-in"
        assert "someone@example.net" not in json.dumps(lines)
    finally:
        create_app({"SQLALCHEMY_DATABASE_URI": database_url})  # back to readable lines


@pytest.mark.parametrize(
    "fields",
    [{"email": "a@b.cd"}, {"reason": "a@b.cd"}, {"reason": "two words"}, {"user_id": 1.5}],
)
def test_nothing_personal_can_be_passed(app, fields):
    with pytest.raises(ValueError):
        security_event("sign_in_failed", **fields)


def test_the_hooks_for_the_second_factor_are_named(app, client):
    before = _count(client, "second_factor_failed"), _count(client, "recovery_code_used")
    security_event("second_factor_failed", user_id=1)
    security_event("recovery_code_used", user_id=1)
    after = _count(client, "second_factor_failed"), _count(client, "recovery_code_used")
    assert after == (before[0] + 1, before[1] + 1)
    with pytest.raises(ValueError):
        security_event("no_such_event")


def test_a_password_is_never_logged(app, officer_user, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(app.test_client(), officer_user)
    assert PASSWORD not in caplog.text
