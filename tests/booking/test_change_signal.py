"""The change signal (``clinic.changes``): a school page unchanged since it was drawn is
served without reading the database, and is never served stale — whoever commits the
change (this process, another connection, another process), while the signal is down,
and when only time has passed."""

import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from clinic import changes, create_app
from clinic.extensions import db
from tests.booking.test_page_cache import places
from tests.conftest import IsolatedClient, _base_config
from tests.helpers import sql_sent


def _write_elsewhere(app, statement: str, *, heard: bool = True, **values) -> None:
    """Commit ``statement`` through a connection of its own, outside this process's
    sessions (so only the database can tell the app): another worker, another server."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database)
        conn.execute(statement, values)
        conn.commit()
        conn.close()
        return
    listener = changes.signal(app)
    wait = heard and getattr(listener, "connected", False)
    before = getattr(listener, "notifications", 0)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement), values)
    engine.dispose()
    # PostgreSQL signals the listening backend before COMMIT returns, but that backend
    # writes the notification to its socket when the scheduler lets it: microseconds
    # here, milliseconds on a loaded CI machine.  Wait (bounded) until it has arrived,
    # so the assertions below test what the page does once the change is known, not
    # how quickly the machine schedules two processes.
    deadline = time.monotonic() + 10
    while wait and listener.notifications == before and time.monotonic() < deadline:
        time.sleep(0.005)


def _reads(client, slug: str) -> int:
    with sql_sent() as sent:
        assert client.get(f"/schools/{slug}").status_code == 200
    return len(sent)


def test_an_unchanged_page_reads_nothing_and_a_change_elsewhere_shows_at_once(
    app, client, school, clinic
):
    assert changes.signal(app).wait_connected(10)
    slot_id, slug = clinic.slots[1].id, school.slug
    assert places(client, school) == ["2", "2", "2", "2"]
    assert _reads(client, slug) == 0

    for booked, shown in ((1, "1"), (0, "2"), (1, "1")):
        _write_elsewhere(app, "UPDATE slot SET booked = :n WHERE id = :id", n=booked, id=slot_id)
        assert places(client, school)[1] == shown
        assert _reads(client, slug) == 0  # and kept again, unchanged


def test_a_commit_through_this_process_counts_at_once(app, client, session, school, clinic):
    assert changes.signal(app).wait_connected(10)
    assert places(client, school) == ["2", "2", "2", "2"]
    clinic.slots[0].capacity = 3
    session.commit()
    assert places(client, school) == ["3", "2", "2", "2"]


def test_a_commit_that_wrote_nothing_leaves_the_page_kept(app, client, session, school, clinic):
    assert changes.signal(app).wait_connected(10)
    slug = school.slug
    places(client, school)
    session.commit()
    assert _reads(client, slug) == 0


def test_time_passing_alone_changes_the_page(app, client, session, school, clinic):
    """No commit: the booking window opens as the clock passes the time the page shows."""
    assert changes.signal(app).wait_connected(10)
    # Four seconds ahead: room for the two requests below on a loaded CI machine.
    opens_at = datetime.now(UTC) + timedelta(seconds=4)
    clinic.booking_opens_at = opens_at
    session.commit()
    slug = school.slug
    assert "Booking opens on" in client.get(f"/schools/{slug}").text
    assert _reads(client, slug) == 0
    time.sleep(max(0.0, (opens_at - datetime.now(UTC)).total_seconds()) + 0.1)
    assert "Booking opens on" not in client.get(f"/schools/{slug}").text


@pytest.fixture
def unreachable_listener(make, database_url, smtp, tmp_path):
    """An app whose listener can never connect (PostgreSQL only): the database at a port
    where nothing answers."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the listener is PostgreSQL's")
    nowhere = sa.make_url(database_url).set(port=1).render_as_string(hide_password=False)
    app = create_app(
        {**_base_config(database_url, smtp.port, tmp_path), "CHANGE_SIGNAL_DATABASE_URL": nowhere}
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        changes.stop(app)
        db.session.remove()
        db.engine.dispose()


def test_while_the_listener_is_not_connected_every_request_reads_the_key(
    unreachable_listener, make
):
    app = unreachable_listener
    school = make.school()
    clinic = make.clinic(school, make.user(role="officer", schools=[school]), slots=2, capacity=2)
    slot_id, slug = clinic.slots[0].id, school.slug
    client = app.test_client()
    before = places(client, school)
    assert not changes.signal(app).wait_connected(0.5)

    assert _reads(client, slug) == 1  # the key, as before the signal
    _write_elsewhere(app, "UPDATE slot SET booked = booked + 1 WHERE id = :id", id=slot_id)
    assert before == ["2", "2"]
    assert places(client, school) == ["1", "2"]


def test_a_lost_listener_connection_is_never_trusted_and_comes_back(
    app, client, school, clinic, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("the listener is PostgreSQL's")
    listener = changes.signal(app)
    assert listener.wait_connected(10)
    slot_id, slug = clinic.slots[0].id, school.slug
    places(client, school)
    assert _reads(client, slug) == 0

    # The database ends the listener's session (a restart, a failover, an idle timeout).
    _write_elsewhere(
        app,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name",
        name=changes.APPLICATION_NAME,
        heard=False,
    )
    _write_elsewhere(app, "UPDATE slot SET booked = 1 WHERE id = :id", id=slot_id)
    assert places(client, school)[0] == "1"

    # It reconnects on its own (with backoff), and pages are kept again.
    deadline = time.monotonic() + 10
    while _reads(client, slug) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.connected and _reads(client, slug) == 0
    _write_elsewhere(app, "UPDATE slot SET booked = 0 WHERE id = :id", id=slot_id)
    assert places(client, school)[0] == "2"


def test_sqlite_watches_data_version_on_a_connection_that_never_writes(
    app, session, database_url, school
):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's signal")
    session.commit()
    signal = changes.signal(app)
    before = signal.token()
    assert signal.token() == before
    _write_elsewhere(app, "UPDATE school SET town = 'Exeter'")
    assert signal.token() != before


def test_a_new_process_makes_its_own_signal(app, monkeypatch):
    """After a fork (gunicorn's workers, with or without preload_app) the parent's
    listener or connection is left alone and the worker makes its own."""
    parent = changes.signal(app)
    monkeypatch.setattr(changes.os, "getpid", lambda: -1)
    child = changes.signal(app)
    assert child is not parent and child is changes.signal(app)
    assert parent in changes._INHERITED
    child.stop()
    changes._INHERITED.remove(parent)
    parent.stop()  # this test's "parent" is this process: stop it here


def test_the_finder_runs_its_search_only_after_a_change(app, client, school, clinic):
    assert changes.signal(app).wait_connected(10)
    name = school.name
    word = name.split()[0]
    assert name in client.get(f"/schools?q={word}").text
    with sql_sent() as sent:
        assert name in client.get(f"/schools?q={word}").text
    assert sent == []

    _write_elsewhere(app, "UPDATE school SET name = :name", name=f"{word} Renamed Academy")
    assert f"{word} Renamed Academy" in client.get(f"/schools?q={word}").text
