"""``settings_for``: a partnership's own values, or the installation's where it set none;
the Notify key encrypted at rest and still readable after SECRET_KEY is rotated."""

from __future__ import annotations

from sqlalchemy import text

from clinic.partnership import (
    decrypt_secret,
    encrypt_secret,
    settings_for,
)

KEY = "clinics_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"


def test_a_partnership_that_set_nothing_uses_the_installations_settings(app, make):
    config = app.config
    default = make.default_partnership()
    for settings in (settings_for(None), settings_for(default)):
        assert settings.name == config["SERVICE_NAME"]
        assert settings.data_controller == config["DATA_CONTROLLER"]
        assert settings.lawful_basis == config["LAWFUL_BASIS"]
        assert settings.privacy_email == config["PRIVACY_CONTACT_EMAIL"]
        assert settings.accessibility_email == config["PRIVACY_CONTACT_EMAIL"]
        assert settings.accessibility_phone == config["ACCESSIBILITY_CONTACT_PHONE"]
        assert settings.sender == config["MAIL_DEFAULT_SENDER"]
        assert settings.reply_to is None
        assert settings.retention_days == config["PRIVACY_KEEP_DAYS"]
        assert settings.languages == config["LANGUAGES"]
        assert settings.notify_api_key is None


def test_its_own_values_win(app, make):
    partnership = make.partnership(
        "North Shire Safeguarding Children Partnership",
        data_controller="North Shire Police",
        lawful_basis="consent",
        privacy_email="dpo@north.example.org",
        privacy_phone="020 7946 0001",
        accessibility_phone="020 7946 0002",
        sender_name="North Shire clinics",
        reply_to="team@north.example.org",
        retention_days=60,
        languages="pl en cy xx",
        notify_api_key=encrypt_secret(KEY),
    )
    settings = settings_for(partnership)
    assert settings.name == "North Shire Safeguarding Children Partnership"
    assert settings.data_controller == "North Shire Police"
    assert settings.lawful_basis == "consent"
    assert settings.privacy_email == "dpo@north.example.org"
    assert settings.privacy_phone == "020 7946 0001"
    # No accessibility email of its own: its privacy contact, not the installation's.
    assert settings.accessibility_email == "dpo@north.example.org"
    assert settings.accessibility_phone == "020 7946 0002"
    # The display name is its own; the address stays the installation's (SPF, DKIM).
    assert settings.sender == "North Shire clinics <clinics@example.org>"
    assert settings.reply_to == "team@north.example.org"
    assert settings.retention_days == 60
    # English always, then shipped languages only, in the order they ship.
    assert settings.languages == ["en", "cy", "pl"]
    assert settings.notify_api_key == KEY


def test_the_notify_key_is_encrypted_in_the_database(app, session, make):
    partnership = make.partnership(notify_api_key=encrypt_secret(KEY))
    raw = session.execute(
        text("SELECT notify_api_key FROM partnership WHERE id = :id"), {"id": partnership.id}
    ).scalar_one()
    assert raw and KEY not in raw
    assert "3d844edf" not in raw  # not even the secret's first part
    assert decrypt_secret(raw) == KEY
    assert encrypt_secret(KEY) != raw  # Fernet: a fresh IV every time


def test_a_rotated_secret_key_still_reads_old_values(app):
    stored = encrypt_secret(KEY)
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a-new-secret-key-that-is-long-enough-0123456789"
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert decrypt_secret(stored) == ""  # unreadable without the old key: falls back
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert decrypt_secret(stored) == KEY


def test_an_unreadable_key_falls_back_to_the_installations(app, make):
    app.config["NOTIFY_API_KEY"] = "installation-key"
    partnership = make.partnership(notify_api_key="not-a-fernet-token")
    assert settings_for(partnership).notify_api_key == "installation-key"
