"""The privacy notice says what the settings do: how long each thing is kept, who holds
it, and how to use each right; the forms that take personal data link to it."""

from __future__ import annotations

import re

from clinic.links import feedback_token


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_notice_shows_the_configured_times_and_every_right(app, client):
    app.config.update(
        PRIVACY_KEEP_DAYS=61,
        PRIVACY_KEEP_SENT_EMAIL_DAYS=17,
        BACKUP_KEEP=14,
        BOOKING_DRAFT_HOURS=3,
        DATA_CONTROLLER="Exampleshire Police",
        PRIVACY_CONTACT_EMAIL="dpo@exampleshire.example",
    )
    text = _text(client.get("/privacy"))
    assert "61 days after the clinic" in text
    assert "17 days after we sent them" in text
    assert "last 14 daily backups" in text and "within 14 days" in text
    assert "at most 3 hours" in text
    assert "Exampleshire Police" in text and "dpo@exampleshire.example" in text
    for right in ("(access)", "(erasure)", "(rectification)", "Information Commissioner"):
        assert right in text
    assert f"Version {app.config['CONSENT_VERSION']}" in text
    assert "short time" not in text


def test_forms_that_take_personal_data_link_to_the_notice(
    app, client, make, school, officer_user, session
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    booking = make.booking(clinic.slots[0], status="attended")
    full = make.clinic(school, officer_user, slots=1, capacity=1)
    make.booking(full.slots[0])
    pages = [
        f"/book/{make.clinic(school, officer_user).slots[0].id}",
        f"/booking/clinics/{full.id}/waitlist",
        f"/feedback/{feedback_token(booking)}",
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        main = page.get_data(as_text=True).split("<footer")[0]
        assert 'href="/privacy"' in main, path
        assert f"{app.config['PRIVACY_KEEP_DAYS']} days after the clinic" in _text(page), path
