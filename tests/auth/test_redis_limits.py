"""Rate limits can live in Redis, where every app process (gunicorn worker) sees them."""

import os
from urllib.parse import urlsplit

import pytest
import redis

from clinic import create_app
from tests.conftest import IN_CI
from tests.helpers import post_form

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _this_workers_database(url: str, worker_id: str) -> str:
    """Database 15 is the tests' own; under pytest-xdist each worker counts in its own
    database below it (gw0 15, gw1 14, …), so one worker's flush never empties another's
    counters mid-test."""
    if worker_id == "master":  # not under xdist
        return url
    parts = urlsplit(url)
    number = int(parts.path.lstrip("/") or 0) - int(worker_id.removeprefix("gw"))
    if number < 0:
        pytest.fail(f"{worker_id}: more pytest-xdist workers than Redis databases below {url}")
    return parts._replace(path=f"/{number}").geturl()


@pytest.fixture
def redis_url(worker_id):
    url = _this_workers_database(REDIS_URL, worker_id)
    try:
        # Start each test with no counters.
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.exceptions.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    return url


def test_sign_in_limit_is_counted_in_redis(database_url, smtp, tmp_path, redis_url):
    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "SIGN_IN_LIMIT_PER_ADDRESS": "3 per 15 minutes",
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
    }
    app = create_app(settings)
    for _ in range(3):
        response = post_form(
            app.test_client(), "/staff/sign-in", {"email": "a@example.org", "password": "nope"}
        )
        assert response.status_code == 200
    # The counters are in Redis (so another process would see them), not in this process.
    assert redis.Redis.from_url(redis_url).keys("LIMITS:*")
    refused = post_form(
        app.test_client(), "/staff/sign-in", {"email": "b@example.org", "password": "no"}
    )
    assert refused.status_code == 429


def test_no_address_sits_in_clear_in_the_limits_store(
    database_url, smtp, tmp_path, redis_url, session, make, school, officer_user
):
    """Every limit keyed on an email address (staff sign-in, links by email, a parent's
    booking and waiting-list place) or a network address is an HMAC of it under
    SECRET_KEY: the keys in Redis hold neither, and a guess cannot be checked without the
    key."""
    from clinic.extensions import limit_key
    from tests.booking.support import book

    slot_id = make.clinic(school, officer_user, slots=1, capacity=2).slots[0].id
    session.commit()  # the test's own transaction ends (on SQLite it holds the write lock)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "MAIL_PORT": smtp.port,
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
        }
    )
    staff, parent = "staff.member@example.org", "alex.example@example.net"
    post_form(app.test_client(), "/staff/sign-in", {"email": staff, "password": "nope"})
    post_form(app.test_client(), "/staff/forgotten-password", {"email": staff})
    post_form(app.test_client(), "/staff/sign-in-link", {"email": staff})
    assert book(app.test_client(), slot_id, email=parent).status_code == 302
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("*")]
    assert len(keys) >= 6, keys
    for key in keys:
        assert "@" not in key and "example" not in key, key
        assert "127.0.0.1" not in key and "localhost" not in key, key
    with app.test_request_context():
        hashed = limit_key("parent-email", parent).split(":")[1]
    assert any(hashed in key for key in keys)  # the parent's limit is counted, under its hash
