"""Rotating SECRET_KEY with the old key in SECRET_KEY_FALLBACKS keeps parents' links
already sent (and staff set-password links and sessions) working; without it they fail."""

from clinic.auth import service
from clinic.links import booking_for_token, manage_token
from tests.conftest import sign_in

OLD, NEW = "old-key-" + "a" * 32, "new-key-" + "b" * 32


def _rotate(app, *, keep_old: bool):
    app.config["SECRET_KEY"] = NEW
    app.config["SECRET_KEY_FALLBACKS"] = [OLD] if keep_old else []


def test_a_parent_link_made_under_the_old_key(app, make, school, officer_user, client):
    clinic = make.clinic(school, officer_user)
    booking = make.booking(clinic.slots[0])
    app.config["SECRET_KEY"] = OLD
    token = manage_token(booking)
    assert client.get(f"/booking/{token}").status_code == 200

    _rotate(app, keep_old=True)
    assert client.get(f"/booking/{token}").status_code == 200
    # New links are signed with the new key: they work once the old key is dropped.
    fresh = manage_token(booking)
    assert fresh != token

    _rotate(app, keep_old=False)
    assert client.get(f"/booking/{token}").status_code == 404
    assert client.get(f"/booking/{fresh}").status_code == 200
    assert booking_for_token(make.session, fresh).id == booking.id


def test_a_set_password_link_and_a_staff_session(app, make, officer_user):
    app.config["SECRET_KEY"] = OLD
    user = make.user(role="officer", password_hash=None)
    link = f"/staff/set-password/{service.password_token(user)}"
    staff = sign_in(app.test_client(), officer_user)

    _rotate(app, keep_old=True)
    assert app.test_client().get(link).status_code == 200
    assert staff.get("/staff/account").status_code == 200

    _rotate(app, keep_old=False)
    assert app.test_client().get(link).status_code == 410
    assert staff.get("/staff/account").status_code == 302
