"""The statements a force signs off (issue 20): the accessibility statement has every part
the Public Sector Bodies Accessibility Regulations 2018 and the GDS model ask for, with the
partnership's own facts from settings; the privacy notice states the lawful basis the
controller chose (``LAWFUL_BASIS``), public task by default."""

from __future__ import annotations

import re
from html import unescape

import pytest

from clinic import create_app


def _text(response) -> str:
    """The page's words, tags dropped and spaces joined, as a reader hears them."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    main = html[html.index("<main") :]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


# --- the accessibility statement ---------------------------------------------------------------

SECTIONS = {
    "how-accessible": "How accessible this service is",
    "other-formats": "What to do if you cannot use this service",
    "reporting": "Reporting accessibility problems with this service",
    "enforcement": "Enforcement procedure",
    "technical": "Technical information about this service’s accessibility",
    "compliance": "Compliance status",
    "non-accessible": "Non-accessible content",
    "testing": "How we tested this service",
    "preparation": "Preparation of this accessibility statement",
}


def test_the_accessibility_statement_has_every_part_the_regulations_ask_for(app, client):
    html = client.get("/accessibility").get_data(as_text=True)
    for anchor, heading in SECTIONS.items():
        assert re.search(rf'id="{anchor}">{re.escape(heading)}<', html), heading
    text = _text(client.get("/accessibility"))

    assert (
        "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA" in text
    )
    assert "sign-in sheet PDF" in text and "1.3.1" in text  # what is not accessible, and why
    assert "Equality and Human Rights Commission (EHRC)" in text
    assert "Equality Commission for Northern Ireland (ECNI)" in text
    assert 'href="https://www.equalityadvisoryservice.com/"' in html
    assert "(No. 2) Accessibility Regulations 2018" in text
    # Someone who never booked has a way in: the email, and the school office.
    assert "you do not need to have booked before to ask" in text
    assert f"mailto:{app.config['PRIVACY_CONTACT_EMAIL']}" in html
    assert "call the office of the school where the clinic is held" in text
    assert "within 5 working days" in text
    assert "This service was last tested on Monday 7 December 2026. The test" in text
    assert "carried out by the team that runs the service" in text
    assert (
        "prepared on Monday 7 December 2026. It was last reviewed on Monday 7 December 2026" in text
    )


def test_the_partnerships_facts_come_from_its_settings(app, client):
    app.config.update(
        ACCESSIBILITY_CONTACT_EMAIL="access@force.example.org",
        ACCESSIBILITY_CONTACT_PHONE="0300 123 4567",
        ACCESSIBILITY_REPLY_DAYS=1,
        ACCESSIBILITY_COMPLIANCE="full",
        ACCESSIBILITY_TESTED_ON="2027-01-15",
        ACCESSIBILITY_TESTED_BY="the Digital Accessibility Centre",
        ACCESSIBILITY_PREPARED_ON="2026-11-02",
        ACCESSIBILITY_REVIEWED_ON="2027-01-20",
        DATA_CONTROLLER="Example Constabulary",
        SERVICE_NAME="Safer Screens clinics",
    )

    response = client.get("/accessibility")
    html, text = response.get_data(as_text=True), _text(response)

    assert 'href="mailto:access@force.example.org"' in html
    assert app.config["PRIVACY_CONTACT_EMAIL"] not in html
    assert "call 0300 123 4567" in text
    assert "within 1 working day." in text
    assert "fully compliant with the Web Content Accessibility Guidelines version 2.2 AA" in text
    assert "Non-accessible content" not in text and "sign-in sheet PDF" not in text
    assert "last tested on Friday 15 January 2027" in text
    assert "carried out by the Digital Accessibility Centre" in text
    assert (
        "prepared on Monday 2 November 2026. It was last reviewed on Wednesday 20 January 2027"
        in text
    )
    assert "Safer Screens clinics booking service, run by Example Constabulary" in text


def test_without_a_phone_setting_no_number_is_made_up(app, client):
    text = _text(client.get("/accessibility"))
    assert "call the office of the school" in text
    assert not re.search(r"call \d", text)


def test_a_statement_in_another_language_keeps_the_settings_in_english(app, client):
    app.config["ACCESSIBILITY_TESTED_BY"] = "the Digital Accessibility Centre"
    html = client.get("/accessibility?lang=cy").get_data(as_text=True)
    assert '<span lang="en" dir="ltr">the Digital Accessibility Centre</span>' in html


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACCESSIBILITY_COMPLIANCE", "mostly"),
        ("LAWFUL_BASIS", "contract"),
        ("ACCESSIBILITY_REVIEWED_ON", "last week"),
    ],
)
def test_a_setting_outside_its_choices_stops_the_app_starting(name, value):
    with pytest.raises(ValueError, match=name):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", name: value})


# --- the privacy notice's lawful basis ------------------------------------------------------

BASES = {
    "public_task": ("public task, UK GDPR Article 6(1)(e)", "We do not rely on your consent"),
    "consent": ("consent, UK GDPR Article 6(1)(a)", "because you agreed to this when you booked"),
    "legitimate_interests": (
        "legitimate interests, UK GDPR Article 6(1)(f)",
        "in the legitimate interests of Example Constabulary",
    ),
}


@pytest.mark.parametrize("basis", list(BASES))
def test_the_privacy_notice_states_the_basis_the_controller_chose(app, client, basis):
    app.config.update(LAWFUL_BASIS=basis, DATA_CONTROLLER="Example Constabulary")

    text = _text(client.get("/privacy"))

    for wording in BASES[basis]:
        assert wording in text
    for other, wordings in BASES.items():
        if other != basis:
            assert wordings[0] not in text
    # Whichever it is, the tick on the booking form is a record of what the parent was shown.
    assert "keep a record of which version you were shown" in text


def test_public_task_is_the_default_and_consent_is_not_claimed(app, client):
    assert app.config["LAWFUL_BASIS"] == "public_task"
    text = _text(client.get("/privacy"))
    assert "Article 6(1)(e)" in text
    assert "because you agreed" not in text
