"""GOV.UK's macros write their own words in the page's language (clinic/govuk_text.py)."""

from html import unescape

import pytest

from clinic import govuk_text


def test_every_change_still_applies_to_the_installed_govuk_frontend_jinja():
    govuk_text.check()


def test_a_change_that_no_longer_applies_fails_loudly():
    with pytest.raises(govuk_text.ChangeMissing):
        govuk_text.changed(
            "components/back-link/macro.html", "{{ params.text | default('Zurück') }}"
        )


def test_a_field_error_and_the_back_link_say_error_and_back_in_the_page_language(client):
    # The booking form's errors: each field's hidden "Error:" prefix comes from the macro.
    english = client.get("/?lang=en")
    assert english.status_code == 200
    with client.application.test_request_context("/?lang=pl"):
        from flask import render_template_string

        html = render_template_string(
            '{% from "govuk_frontend_jinja/components/error-message/macro.html" '
            "import govukErrorMessage %}"
            '{% from "govuk_frontend_jinja/components/back-link/macro.html" '
            "import govukBackLink %}"
            "{{ govukErrorMessage({'text': 'x'}) }}{{ govukBackLink({'href': '/'}) }}"
        )
        from flask_babel import gettext

        error, back = gettext("Error"), gettext("Back")
    assert error != "Error" and back != "Back", "the Polish catalogue translates both"
    assert f"{error}:" in unescape(html)
    assert f">{back}<" in unescape(html).replace("\n", "")
