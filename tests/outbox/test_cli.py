"""`flask outbox send` and `flask outbox worker`."""

import os
import signal
import threading
import time

import pytest

from clinic import create_app

from .support import reload


def test_send_sends_what_is_due_and_prints_counts(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "off"
    queue(to="one@example.org")
    queue(to="two@example.org")
    session.commit()

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "Sent 2, will try again 0, failed 0." in result.output
    assert len(smtp.messages) == 2


def test_worker_once_does_one_round(app, session, smtp, queue):
    app.config["OUTBOX_SEND_MODE"] = "off"
    message = queue()
    session.commit()

    result = app.test_cli_runner().invoke(args=["outbox", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sent 1" in result.output
    assert "Outbox worker stopped." in result.output
    assert reload(session, message).status == "sent"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_worker_stops_cleanly_on_a_signal(app, session, smtp, signum):
    original = signal.getsignal(signum)

    def stop_when_listening():
        deadline = time.monotonic() + 10
        while signal.getsignal(signum) is original and time.monotonic() < deadline:
            time.sleep(0.01)
        if signal.getsignal(signum) is not original:  # never signal pytest itself
            os.kill(os.getpid(), signum)

    threading.Thread(target=stop_when_listening, daemon=True).start()
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["outbox", "worker", "--interval", "60"])

    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    assert "Outbox worker stopped." in result.output
    assert signal.getsignal(signum) is original  # handlers are put back


def test_worker_survives_a_round_that_fails(tmp_path, caplog):
    """With the database out of reach the round is logged, not fatal."""
    unreachable = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/db.sqlite3"}
    )
    with unreachable.app_context():
        result = unreachable.test_cli_runner().invoke(args=["outbox", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "Outbox worker stopped." in result.output
    assert "Outbox worker round failed" in caplog.text
