"""An email to the person when their password changes (OWASP ASVS 2.2.3, 2.5.5), through
the outbox and the real SMTP server; not for the first password set from an invitation."""

import re

import pytest

from clinic.auth import service
from clinic.auth.notify import CHANGES, notify_account_change
from tests.helpers import post_form

NEW = "tulip Harbour 97 kettle"


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_changed_password_is_told_by_email(app, session, officer_user, smtp):
    post_form(app.test_client(), "/staff/forgotten-password", {"email": officer_user.email})
    [reset] = smtp.to(officer_user.email)
    link = re.search(r"http://localhost(/staff/set-password/\S+)", _text(reset))[1]
    smtp.clear()
    assert post_form(app.test_client(), link, {"password": NEW, "confirm": NEW}).status_code == 302
    [notice] = smtp.to(officer_user.email)
    assert notice["Subject"].startswith("Your password was changed")
    body = _text(notice)
    assert f"Hello {officer_user.name}" in body
    assert "The password of your account was changed. This happened on" in body
    assert "http://localhost/staff/forgotten-password" in body  # if it was not them
    assert NEW not in body


def test_the_first_password_from_an_invitation_sends_no_notice(app, session, make, smtp):
    user = make.user(role="officer", password_hash=None)
    link = f"/staff/set-password/{service.password_token(user)}"
    assert post_form(app.test_client(), link, {"password": NEW, "confirm": NEW}).status_code == 302
    assert not smtp.to(user.email)


@pytest.mark.parametrize("what", sorted(CHANGES))
def test_every_change_has_its_email(app, session, officer_user, smtp, what):
    notify_account_change(session, officer_user, what)
    session.commit()
    [notice] = smtp.to(officer_user.email)
    assert CHANGES[what][1] in _text(notice).replace("\n", " ")


def test_a_changed_email_address_can_tell_the_old_one(app, session, officer_user, smtp):
    notify_account_change(session, officer_user, "email", to="old.address@example.org")
    session.commit()
    assert smtp.to("old.address@example.org") and not smtp.to(officer_user.email)


def test_an_unknown_change_is_a_mistake(app, session, officer_user):
    with pytest.raises(ValueError):
        notify_account_change(session, officer_user, "favourite colour")
