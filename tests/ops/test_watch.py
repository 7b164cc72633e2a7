"""What an operator watches: /metrics, /readyz, and the record of each cron run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from clinic import create_app
from clinic.booking import service
from clinic.extensions import db
from clinic.models import OutboxMessage, utcnow
from clinic.ops.models import JobRun
from tests.ops.support import app_env, get, gunicorn


def _metrics(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- /metrics ----------------------------------------------------------------------------------


def test_metrics_only_for_the_named_addresses_or_token(database_url):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "METRICS_ALLOW_FROM": "10.1.2.0/24",
            "METRICS_TOKEN": "s3cret-scraper-token-0123456789",
        }
    )
    client = app.test_client()
    assert client.get("/metrics").status_code == 404  # from 127.0.0.1: not in the list
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong).status_code == 404
    right = {"Authorization": "Bearer s3cret-scraper-token-0123456789"}
    assert client.get("/metrics", headers=right).status_code == 200
    listed = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.99"})
    assert listed.status_code == 200


def test_metrics_count_requests_by_route_never_by_path(client):
    before = _metrics(client)
    token = "AbCdEfGhIjKlMnOpQrStUv0123.xyzXYZ0123456"
    assert client.get(f"/booking/{token}").status_code == 404
    assert client.get("/no-such-page").status_code == 404
    after = _metrics(client)
    route = {"route": "/booking/<token>", "method": "GET", "status": "404"}
    assert _value(after, "clinic_http_requests_total", **route) == (
        _value(before, "clinic_http_requests_total", **route) + 1
    )
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
    assert _value(after, "clinic_http_requests_total", **unmatched) >= 1
    text = client.get("/metrics").get_data(as_text=True)
    assert token not in text and "no-such-page" not in text
    assert (
        'clinic_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/booking/<token>"}'
        in text
    )


def test_metrics_count_bookings_made_and_refused(session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    slot_id = clinic.slots[0].id

    def made():
        return REGISTRY.get_sample_value("clinic_bookings_made_total")

    def full():
        labels = {"reason": "slot_full"}
        return REGISTRY.get_sample_value("clinic_bookings_refused_total", labels) or 0

    made_before, full_before = made(), full()
    details = {"parent_name": "A Parent", "email": "a@example.net", "child_years": ["Year 1"]}
    service.book_place(session, slot_id=slot_id, details=details, submission_id="s-1")
    assert made() == made_before  # not yet: it could still be rolled back
    session.commit()
    assert made() == made_before + 1
    other = {**details, "email": "b@example.net"}
    with pytest.raises(service.SlotFull):
        service.book_place(session, slot_id=slot_id, details=other, submission_id="s-2")
    session.rollback()
    assert full() == full_before + 1
    # The same form sent again finds its booking: neither made again nor refused.
    service.book_place(session, slot_id=slot_id, details=details, submission_id="s-1")
    session.commit()
    assert made() == made_before + 1 and full() == full_before + 1


def test_metrics_read_the_outbox_and_cron_runs_from_the_database(client, session):
    now = utcnow()
    for status, age in [("pending", 30), ("pending", 5), ("failed", 60), ("sent", 90)]:
        session.add(
            OutboxMessage(
                kind="test",
                recipient="x@example.net",
                subject="s",
                text_body="b",
                status=status,
                created_at=now - timedelta(minutes=age),
                next_attempt_at=now + timedelta(hours=1),
            )
        )
    session.add(JobRun(name="reminders send", last_succeeded_at=now - timedelta(minutes=3)))
    session.commit()
    samples = _metrics(client)
    assert _value(samples, "clinic_database_up") == 1
    assert _value(samples, "clinic_outbox_messages", status="pending") == 2
    assert _value(samples, "clinic_outbox_messages", status="failed") == 1
    assert 30 * 60 <= _value(samples, "clinic_outbox_oldest_unsent_age_seconds") < 32 * 60
    stamp = _value(samples, "clinic_job_last_success_timestamp_seconds", job="reminders send")
    assert abs(stamp - (now - timedelta(minutes=3)).timestamp()) < 1


def test_metrics_answer_with_the_database_away():
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
        }
    )
    samples = _metrics(app.test_client())
    assert _value(samples, "clinic_database_up") == 0


@pytest.mark.slow
def test_metrics_add_up_every_gunicorn_worker(app, database_url, tmp_path):
    """Multiprocess mode: 40 requests spread over 3 workers are all counted in one scrape."""
    db.session.commit()
    with gunicorn(tmp_path, app_env(tmp_path, database_url), workers=3, threads=1) as server:
        for _ in range(40):
            assert get(server.base_url + "/privacy")[0] == 200
        status, _, text = get(server.base_url + "/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    served = {"route": "/privacy", "method": "GET", "status": "200"}
    assert _value(samples, "clinic_http_requests_total", **served) == 40


# --- /readyz -------------------------------------------------------------------------------


def test_ready_when_the_database_and_outbox_are_well(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    assert response.json["schema"] == "ok"
    assert response.json["outbox"] == {"pending": 0, "oldest_pending_minutes": 0, "failed": 0}


def test_not_ready_when_mail_is_stuck(app, client, session):
    now = utcnow()
    session.add(
        OutboxMessage(
            kind="test",
            recipient="x@example.net",
            subject="s",
            text_body="b",
            status="pending",
            created_at=now - timedelta(hours=3),
            next_attempt_at=now + timedelta(hours=1),
        )
    )
    session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert "oldest email has waited" in response.json["problems"][0]
    app.config["READY_OUTBOX_MAX_AGE_MINUTES"] = 0  # the check can be left out
    assert client.get("/readyz").status_code == 200


def test_failed_messages_count_only_when_asked(app, client, session):
    session.add_all(
        OutboxMessage(
            kind="t", recipient="x@example.net", subject="s", text_body="b", status="failed"
        )
        for _ in range(3)
    )
    session.commit()
    assert client.get("/readyz").status_code == 200
    app.config["READY_OUTBOX_MAX_FAILED"] = 2
    response = client.get("/readyz")
    assert response.status_code == 503 and "3 emails have failed" in response.json["problems"][0]


def test_not_ready_when_the_schema_is_behind(client, schema_version):
    schema_version("0001")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["schema"] == "behind"


def test_still_ready_when_the_schema_is_ahead(client, schema_version):
    """Between a release's `db upgrade` and the restart, old servers keep serving."""
    schema_version("from_the_future")
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["schema"] == "ahead"


def test_not_ready_without_the_database():
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


# --- cron runs ---------------------------------------------------------------------------


def test_each_cron_command_records_its_runs(app, session):
    runner = app.test_cli_runner()
    for args in (
        ["reminders", "send"],
        ["waitlist", "expire-offers"],
        ["attendance", "send-lists"],
        ["followup", "send"],
        ["outbox", "send"],
    ):
        started = utcnow()
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        session.expire_all()
        run = session.get(JobRun, " ".join(args))
        assert run is not None, args
        assert run.last_started_at >= started and run.last_succeeded_at >= run.last_started_at
        assert run.last_failed_at is None and run.last_run_id.startswith("job-")
        session.commit()  # no transaction left open: on SQLite it would hold the write lock


def test_a_failing_cron_command_is_recorded_without_personal_data(app, session, monkeypatch):
    from clinic.booking import reminders

    def broken(session, **kwargs):
        raise RuntimeError("could not send to parent@example.net via /booking/AbCdEfGhIjKlMnOpQrSt")

    monkeypatch.setattr(reminders, "send_reminders", broken)
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code != 0
    session.expire_all()
    run = session.get(JobRun, "reminders send")
    assert run.last_failed_at is not None and run.last_succeeded_at is None
    assert run.last_error.startswith("RuntimeError: could not send to [email]")
    assert "AbCdEf" not in run.last_error
