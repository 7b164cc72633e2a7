"""The coordinator's "Partnership settings" page: every field checked with its message
beside it and in the error summary, nothing saved while any is wrong, audited with old
and new values (never the Notify key), the key write-only and encrypted at rest."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select, text

from clinic.models import AuditEvent, Partnership
from clinic.partnership import decrypt_secret, settings_for
from tests.conftest import sign_in
from tests.helpers import post_form
from tests.schools.pages import error_links

URL = "/admin/partnership"
KEY = "clinics_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"

GOOD = {
    "name": "North Shire Safeguarding Children Partnership",
    "data_controller": "North Shire Police",
    "lawful_basis": "public_task",
    "privacy_email": "dpo@north.example.org",
    "privacy_phone": "020 7946 0001",
    "accessibility_email": "access@north.example.org",
    "accessibility_phone": "+44 808 157 0192",
    "sender_name": "North Shire clinics",
    "reply_to": "team@north.example.org",
    "retention_days": "120",
    "languages": ["cy", "pl"],
    "notify_api_key": "",
}


def fresh(session, partnership_id: int) -> Partnership:
    session.expire_all()
    return session.get(Partnership, partnership_id)


def test_saving_every_setting(admin_client, admin_user, session):
    response = post_form(admin_client, URL, GOOD | {"notify_api_key": KEY})
    assert response.status_code == 302, error_messages(response.get_data(as_text=True))

    saved = fresh(session, admin_user.partnership_id)
    assert saved.name == GOOD["name"]
    assert saved.data_controller == "North Shire Police"
    assert saved.privacy_phone == "020 7946 0001"
    assert saved.accessibility_phone == "0808 157 0192"  # written the UK way
    assert saved.retention_days == 120
    assert saved.languages == "en cy pl"
    assert saved.notify_api_key and KEY not in saved.notify_api_key
    assert decrypt_secret(saved.notify_api_key) == KEY
    assert settings_for(saved).sender == "North Shire clinics <clinics@example.org>"

    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "partnership.update"))
    assert event.actor_id == admin_user.id
    assert event.partnership_id == saved.id
    assert event.details["name"] == {"old": "Default partnership", "new": GOOD["name"]}
    assert event.details["retention_days"] == {"old": None, "new": 120}
    assert event.details["notify_api_key"] == "set"
    assert KEY not in str(event.details) and "3d844edf" not in str(event.details)


def test_the_key_is_never_shown_back_and_can_be_replaced_or_removed(
    admin_client, admin_user, session
):
    post_form(admin_client, URL, GOOD | {"notify_api_key": KEY})
    page = admin_client.get(URL).get_data(as_text=True)
    assert KEY not in page and "3d844edf" not in page
    stored = fresh(session, admin_user.partnership_id).notify_api_key
    assert stored not in page
    assert "A Notify API key is set" in page

    # Saving other settings keeps the key.
    post_form(admin_client, URL, GOOD | {"sender_name": "Clinics"})
    assert fresh(session, admin_user.partnership_id).notify_api_key == stored

    post_form(admin_client, URL, GOOD | {"remove_notify_key": "y"})
    assert fresh(session, admin_user.partnership_id).notify_api_key == ""
    actions = session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "partnership.update")
    ).all()
    assert [d.get("notify_api_key") for d in actions] == ["set", None, "removed"]


BAD_FIELDS = [
    ("name", "", "Enter the partnership&#39;s name"),
    ("privacy_email", "not an address", "Enter an email address in the correct format"),
    ("accessibility_email", "a@b", "Enter an email address in the correct format"),
    ("reply_to", "team@", "Enter an email address in the correct format"),
    ("privacy_phone", "12345", "Enter a phone number"),
    ("accessibility_phone", "call us", "Enter a phone number"),
    ("sender_name", "Clinics <x@y.org>", "Sender name must not include"),
    ("retention_days", "ninety", "Days to keep details must be a whole number"),
    ("retention_days", "5", "Days to keep details must be between 30 and 730"),
    ("retention_days", "9999", "Days to keep details must be between 30 and 730"),
    ("lawful_basis", "because", "Select the lawful basis"),
    ("languages", ["cy", "xx"], "Select languages from the list"),
    ("notify_api_key", "not-a-key", "Enter a GOV.UK Notify API key"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS)
def test_each_wrong_field_is_named_and_nothing_is_saved(
    admin_client, admin_user, session, field, value, message
):
    response = post_form(admin_client, URL, GOOD | {field: value})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert error_links(page) == [field]
    assert f'id="{field}-error"' in page  # beside the field (GOV.UK error message)
    saved = fresh(session, admin_user.partnership_id)
    assert saved.name == "Default partnership" and saved.data_controller == ""
    assert not session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "partnership.update")
    )


def test_the_owners_limits_are_the_installations_settings(app, admin_client, admin_user, session):
    app.config.update(PARTNERSHIP_RETENTION_MIN_DAYS=200, PARTNERSHIP_RETENTION_MAX_DAYS=400)
    page = post_form(admin_client, URL, GOOD).get_data(as_text=True)
    assert "Days to keep details must be between 200 and 400" in page
    assert post_form(admin_client, URL, GOOD | {"retention_days": "365"}).status_code == 302
    assert fresh(session, admin_user.partnership_id).retention_days == 365


def test_blank_settings_fall_back_to_the_installations(app, admin_client, admin_user, session):
    blank = {key: "" for key in GOOD} | {"name": "Default partnership", "languages": []}
    assert post_form(admin_client, URL, blank).status_code == 302
    saved = fresh(session, admin_user.partnership_id)
    assert saved.languages == "" and saved.retention_days is None
    settings = settings_for(saved)
    assert settings.data_controller == app.config["DATA_CONTROLLER"]
    assert settings.languages == app.config["LANGUAGES"]


def test_only_coordinators_and_only_their_own(app, make, session, officer_user, school_user):
    other = make.partnership("South Vale Partnership")
    theirs = make.user("admin", partnership=other, email="south@example.org")
    client = sign_in(app.test_client(), theirs)
    post_form(client, URL, GOOD | {"name": "South Vale renamed"})
    session.expire_all()
    assert session.get(Partnership, other.id).name == "South Vale renamed"
    assert make.default_partnership().name == "Default partnership"

    for user in (officer_user, school_user):
        assert sign_in(app.test_client(), user).get(URL).status_code == 404
    owner = make.user("owner", email="owner@example.org")
    assert sign_in(app.test_client(), owner).get(URL).status_code == 404
    assert app.test_client().get(URL).status_code in (302, 404)


def test_linked_from_the_coordinators_menu(admin_client):
    page = unescape(admin_client.get("/admin/schools").get_data(as_text=True))
    assert f'href="{URL}"' in page and "Partnership settings" in page


def test_raw_column_holds_no_key(admin_client, admin_user, session):
    post_form(admin_client, URL, GOOD | {"notify_api_key": KEY})
    raw = session.execute(
        text("SELECT notify_api_key FROM partnership WHERE id = :id"),
        {"id": admin_user.partnership_id},
    ).scalar_one()
    assert raw.startswith("gAAAA") and KEY not in raw


def error_messages(page: str) -> list[str]:
    import re

    return re.findall(r'govuk-error-message">\s*<span[^>]*>[^<]*</span>\s*([^<]*)<', page)
