"""Staff sessions end on the server: a copied cookie stops working when its owner signs
out, is deactivated or changes password; idle and absolute limits; a new id at sign-in.

The clock is moved by editing the session's row (and the cookie's signed stamp), never
by sleeping."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.auth import service
from clinic.auth.models import StaffSession
from clinic.auth.views import SEEN, SESSION_ID
from clinic.models import User, utcnow
from tests.conftest import PASSWORD, sign_in
from tests.helpers import post_form

ACCOUNT = "/staff/account"


def _copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    return thief


def _signed_in(client) -> bool:
    return client.get(ACCOUNT).status_code == 200


def _rows(session, user):
    session.expire_all()
    query = select(StaffSession).where(StaffSession.user_id == user.id)
    return session.scalars(query.order_by(StaffSession.id)).all()


def test_a_copied_cookie_stops_working_after_sign_out(app, session, officer_user):
    client = sign_in(app.test_client(), officer_user)
    thief = _copy(app, client)
    assert _signed_in(thief)
    response = post_form(client, "/staff/sign-out", {})
    assert response.status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(thief)
    [row] = _rows(session, officer_user)
    assert row.ended_at is not None and row.end_reason == "signed_out"


def test_signing_out_ends_only_that_session(app, officer_user):
    laptop = sign_in(app.test_client(), officer_user)
    phone = sign_in(app.test_client(), officer_user)
    post_form(laptop, "/staff/sign-out", {})
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_a_copied_cookie_stops_working_after_deactivation(app, session, officer_user, admin_client):
    client = sign_in(app.test_client(), officer_user)
    thief = _copy(app, client)
    page = f"/admin/staff/{officer_user.id}"
    response = post_form(
        admin_client, f"/admin/staff/{officer_user.id}/deactivate", {}, page_url=page
    )
    assert response.status_code == 302
    assert not _signed_in(client) and not _signed_in(thief)
    # Reactivating does not bring the old sessions back.
    post_form(admin_client, f"/admin/staff/{officer_user.id}/reactivate", {}, page_url=page)
    assert session.get(User, officer_user.id).active
    assert not _signed_in(thief)
    assert {row.end_reason for row in _rows(session, officer_user)} == {"deactivated"}
    assert _signed_in(admin_client)


def test_a_copied_cookie_stops_working_after_a_password_change(app, session, officer_user):
    client = sign_in(app.test_client(), officer_user)
    other_device = sign_in(app.test_client(), officer_user)
    thief = _copy(app, client)
    token = service.password_token(officer_user)
    new = "a brand new pass phrase"
    response = post_form(client, f"/staff/set-password/{token}", {"password": new, "confirm": new})
    assert response.status_code == 302
    assert not _signed_in(client) and not _signed_in(thief) and not _signed_in(other_device)
    assert sign_in(app.test_client(), officer_user, new)


def _age(session, user, *, created=timedelta(0), seen=timedelta(0)):
    for row in _rows(session, user):
        row.created_at -= created
        row.last_seen_at -= seen
    session.commit()


def _age_cookie(client, by: timedelta):
    with client.session_transaction() as cookie:
        cookie[SEEN] -= int(by.total_seconds())


def test_idle_sessions_end(app, session, officer_user):
    client = sign_in(app.test_client(), officer_user)
    _age(session, officer_user, created=timedelta(minutes=29), seen=timedelta(minutes=29))
    _age_cookie(client, timedelta(minutes=29))
    assert _signed_in(client)  # 29 minutes idle: still in (and last seen is now again)
    _age(session, officer_user, created=timedelta(minutes=31), seen=timedelta(minutes=31))
    _age_cookie(client, timedelta(minutes=31))
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after 30 minutes without activity" in page
    assert not _signed_in(client)


def test_idle_limit_is_configurable(app, session, officer_user):
    app.config["STAFF_SESSION_IDLE_MINUTES"] = 5
    client = sign_in(app.test_client(), officer_user)
    _age(session, officer_user, seen=timedelta(minutes=6))
    _age_cookie(client, timedelta(minutes=6))
    assert not _signed_in(client)


def test_a_busy_session_still_ends_after_twelve_hours(app, session, officer_user):
    client = sign_in(app.test_client(), officer_user)
    _age(session, officer_user, created=timedelta(hours=11, minutes=59))
    assert _signed_in(client)
    _age(session, officer_user, created=timedelta(minutes=2))
    app.config["STAFF_SESSION_MAX_HOURS"] = 24
    assert _signed_in(client)  # the lifetime is a setting
    app.config["STAFF_SESSION_MAX_HOURS"] = 12
    response = client.get(ACCOUNT)
    assert response.status_code == 302
    assert "12 hours after signing in" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_a_get_moves_only_the_cookie_and_a_post_moves_the_row(
    app, session, admin_user, officer_user
):
    client = sign_in(app.test_client(), admin_user)
    _age(session, admin_user, seen=timedelta(minutes=10))
    _age_cookie(client, timedelta(minutes=10))
    [before] = _rows(session, admin_user)
    seen_before = before.last_seen_at
    assert _signed_in(client)
    [row] = _rows(session, admin_user)
    assert row.last_seen_at == seen_before  # a GET wrote nothing
    with client.session_transaction() as cookie:
        assert utcnow().timestamp() - cookie[SEEN] < 5  # but this copy was seen now
    # A POST that commits moves the row too (the update joins its transaction).
    page = f"/admin/staff/{officer_user.id}"
    post_form(client, f"/admin/staff/{officer_user.id}/reactivate", {}, page_url=page)
    [row] = _rows(session, admin_user)
    assert utcnow() - row.last_seen_at < timedelta(seconds=5)


def test_a_new_session_id_at_sign_in(app, session, officer_user):
    client = app.test_client()
    client.get("/staff/sign-in")
    with client.session_transaction() as cookie:
        cookie[SESSION_ID] = "planted-by-someone-else"
        cookie["_user_id"] = str(officer_user.id)
        cookie["booking_answers"] = "left from before"
    assert not _signed_in(client)  # a planted id signs nobody in
    sign_in(client, officer_user)
    with client.session_transaction() as cookie:
        assert cookie[SESSION_ID] != "planted-by-someone-else"
        assert "booking_answers" not in cookie
        first = cookie[SESSION_ID]
    post_form(client, "/staff/sign-out", {})
    sign_in(client, officer_user, PASSWORD)
    with client.session_transaction() as cookie:
        assert cookie[SESSION_ID] != first
    # Only a hash of the id is stored.
    assert all(first not in (row.token_hash,) for row in _rows(session, officer_user))


@pytest.mark.parametrize("value", [None, 12, ["x"]])
def test_a_cookie_without_a_good_session_id_signs_nobody_in(app, officer_user, value):
    client = sign_in(app.test_client(), officer_user)
    with client.session_transaction() as cookie:
        if value is None:
            del cookie[SESSION_ID]
        else:
            cookie[SESSION_ID] = value
    assert not _signed_in(client)


def test_old_session_rows_go_at_the_next_sign_in(app, session, officer_user, admin_user):
    sign_in(app.test_client(), officer_user)
    sign_in(app.test_client(), officer_user)
    sign_in(app.test_client(), admin_user)
    old, recent = _rows(session, officer_user)
    old_id = old.id
    old.created_at -= timedelta(days=31)
    recent.created_at -= timedelta(days=29)
    session.commit()
    for row in _rows(session, admin_user):
        row.created_at -= timedelta(days=31)  # another user's rows wait for their sign-in
    session.commit()
    sign_in(app.test_client(), officer_user)
    rows = _rows(session, officer_user)
    assert len(rows) == 2 and old_id not in {row.id for row in rows}
    assert len(_rows(session, admin_user)) == 1
