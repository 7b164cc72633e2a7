"""The English that GOV.UK Frontend's macros write themselves, in the page's language.

A few ``govuk_frontend_jinja`` macros write words of their own when a page does not pass
them: the hidden "Error:" before each field's error message, a notification banner's
"Success" or "Important", the back link's "Back", the warning's "Warning", the mobile
menu's "Menu".  govuk-frontend-jinja has no way to translate them, so this loader hands
out each of those macros with its English default put through ``_()`` (Flask-Babel's
gettext, a global of the app's Jinja environment).  Nothing else in a macro changes.

Each change names the exact text it replaces; if an upgrade of govuk-frontend-jinja
changes one, ``check()`` (run by tests/core/test_govuk_text.py) fails instead of a page
quietly going back to English.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from jinja2 import BaseLoader, Environment, PackageLoader, TemplateNotFound

# macro file -> (the package's text, the text served); the _l() calls let `make
# translations` find the words.
CHANGES: dict[str, list[tuple[str, str]]] = {
    "components/error-message/macro.html": [
        (
            'params.visuallyHiddenText | default("Error")',
            'params.visuallyHiddenText | default(_("Error"))',
        ),
    ],
    "components/notification-banner/macro.html": [
        ('{% set title = "Success" %}', '{% set title = _("Success") %}'),
        ('{% set title = "Important" %}', '{% set title = _("Important") %}'),
    ],
    "components/back-link/macro.html": [
        ('params.text | default("Back", true)', 'params.text | default(_("Back"), true)'),
    ],
    "components/warning-text/macro.html": [
        (
            'params.iconFallbackText | default("Warning", true)',
            'params.iconFallbackText | default(_("Warning"), true)',
        ),
    ],
    "components/service-navigation/macro.html": [
        ('params.menuButtonText or "Menu"', 'params.menuButtonText or _("Menu")'),
    ],
    "components/footer/macro.html": [
        ('default("Support links", true)', 'default(_("Support links"), true)'),
    ],
}
WORDS = (
    _l("Error"),
    _l("Success"),
    _l("Important"),
    _l("Back"),
    _l("Warning"),
    _l("Menu"),
    _l("Support links"),
)


class ChangeMissing(LookupError):
    """A macro no longer holds the text a change replaces (govuk-frontend-jinja changed)."""


class TranslatedMacros(BaseLoader):
    """``govuk_frontend_jinja``'s templates, with ``CHANGES`` applied."""

    def __init__(self, package: str = "govuk_frontend_jinja"):
        self.package = PackageLoader(package)

    def get_source(self, environment: Environment, template: str):
        source, filename, uptodate = self.package.get_source(environment, template)
        return changed(template, source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.package.list_templates()


def changed(template: str, source: str) -> str:
    for old, new in CHANGES.get(template, ()):
        if old not in source:
            raise ChangeMissing(f"{template} no longer has {old!r}: update clinic/govuk_text.py")
        source = source.replace(old, new)
    return source


def check() -> None:
    """Every change still applies to the installed package (raises ``ChangeMissing``)."""
    loader = TranslatedMacros()
    environment = Environment(autoescape=True)
    for template in CHANGES:
        try:
            loader.get_source(environment, template)
        except TemplateNotFound as exc:
            raise ChangeMissing(f"{template} is gone: update clinic/govuk_text.py") from exc
