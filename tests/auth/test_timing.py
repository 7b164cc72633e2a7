"""Whether an address has an account cannot be told from how long the pages take (issue 20).

- Signing in with an unknown email checks the password against ``DUMMY_HASH``, a constant
  with the parameters of a real hash: nothing is made on first use (making it doubled the
  first unknown sign-in a worker saw).
- "Forgotten your password?" and "Email me a sign-in link" answer before they look the
  address up (``clinic.outbox.after_commit.after_the_answer``, which starts once the server
  closes the answer): an account's email was written and committed in the request, 30 ms
  against a stranger's 17.

Timings are medians of many requests taken in turns, with production's sending
(``OUTBOX_SEND_MODE=after_commit``), and the tolerance is wide: the machine is shared, and
the differences these tests stop were twice the time or near it.
"""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from clinic.auth.service import DUMMY_HASH, hash_password
from clinic.models import OutboxMessage
from clinic.outbox.after_commit import wait_for_the_background
from tests.helpers import csrf_token

# Medians of pairs stand a busy machine, but not the suite's other pytest-xdist worker
# timing its own requests beside these: `make test` runs them on their own, after the rest.
pytestmark = pytest.mark.serial

ROUNDS = 30


def _parameters(hashed: str) -> str:
    return hashed.split("$", 1)[0]  # "scrypt:32768:8:1"


def test_the_dummy_hash_costs_what_a_real_one_costs():
    assert isinstance(DUMMY_HASH, str)  # made once, by hand, never on first use
    assert _parameters(DUMMY_HASH) == _parameters(hash_password("a long new password"))
    assert not check_password_hash(DUMMY_HASH, "not-a-real-password")


def _within(first: list[float], second: list[float], what: str) -> None:
    """Taken in turns, the median of the pairs' differences is within a quarter of the
    median time (plus 2 ms for the clock): a burst of load elsewhere slows both of a pair."""
    usual = statistics.median(second)
    gap = statistics.median(a - b for a, b in zip(first, second, strict=True))
    print(f"{what}: {statistics.median(first) * 1000:.1f} ms, {usual * 1000:.1f} ms")
    assert abs(gap) <= 0.25 * usual + 0.002, (
        f"{what}: medians {statistics.median(first) * 1000:.1f} ms and {usual * 1000:.1f} ms, "
        f"pairs differ by {gap * 1000:.1f} ms"
    )


def _timed(client, url: str, data: dict) -> float:
    started = time.perf_counter()
    response = client.post(url, data=data)
    took = time.perf_counter() - started
    assert response.status_code in (200, 302), response.status_code
    response.close()  # as the server does once it has sent the answer
    wait_for_the_background()  # what the answer started is not timed, nor left to slow the next
    return took


@pytest.fixture
def timed_app(app):
    app.config["OUTBOX_SEND_MODE"] = "after_commit"  # production's
    for name in (
        "EMAIL_LINK_LIMIT_PER_EMAIL",
        "EMAIL_LINK_LIMIT_PER_ADDRESS",
        "SIGN_IN_LIMIT_PER_ACCOUNT",
        "SIGN_IN_LIMIT_PER_ADDRESS",
        "SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS",
    ):
        app.config[name] = "1000000 per hour"
    return app


@pytest.mark.parametrize("page", ["/staff/forgotten-password", "/staff/sign-in-link"])
def test_links_by_email_take_the_same_time_for_an_account_and_a_stranger(
    timed_app, officer_user, smtp, page
):
    client = timed_app.test_client()
    token = csrf_token(client.get(page))
    account, stranger = [], []
    _timed(client, page, {"csrf_token": token, "email": "warm-up@example.org"})
    for n in range(ROUNDS):
        account.append(_timed(client, page, {"csrf_token": token, "email": officer_user.email}))
        stranger.append(_timed(client, page, {"csrf_token": token, "email": f"x{n}@example.org"}))

    _within(account, stranger, page)
    # The account's emails were still written and sent, after the answers.
    assert len(smtp.to(officer_user.email)) == ROUNDS


def test_a_wrong_email_takes_as_long_as_a_wrong_password_from_the_first(timed_app, officer_user):
    client = timed_app.test_client()
    token = csrf_token(client.get("/staff/sign-in"))
    url = "/staff/sign-in"
    # A wrong password first, so the pages' templates are warm; then an unknown email, as
    # the first a new worker sees (the old dummy hash was made then, at a scrypt's cost).
    _timed(client, url, {"csrf_token": token, "email": officer_user.email, "password": "p"})
    first = _timed(client, url, {"csrf_token": token, "email": "x@example.org", "password": "p"})
    known, stranger = [], []
    for n in range(10):
        wrong = {"csrf_token": token, "email": officer_user.email, "password": f"wrong {n}"}
        known.append(_timed(client, url, wrong))
        unknown = {"csrf_token": token, "email": f"x{n}@example.org", "password": "p"}
        stranger.append(_timed(client, url, unknown))

    _within(known, stranger, "sign-in")
    assert first < 1.6 * statistics.median(known)


def test_the_link_is_looked_up_and_written_only_once_the_answer_is_closed(
    timed_app, session, officer_user, smtp
):
    """What a server does: it sends the answer, then closes it; only then does the work
    start, so nothing about the account can slow the answer."""
    client = timed_app.test_client()
    page = "/staff/forgotten-password"
    token = csrf_token(client.get(page))

    response = client.post(page, data={"csrf_token": token, "email": officer_user.email})

    assert response.status_code == 200 and "Check your email" in response.text
    wait_for_the_background(timeout=0.5)  # it is waiting for the close, not running
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0
    session.rollback()  # end this test's read (on SQLite a reader holds off the writer)
    response.close()
    wait_for_the_background()
    session.expire_all()
    assert session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert len(smtp.to(officer_user.email)) == 1
