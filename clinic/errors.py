"""The one base of every service's named errors.

A service refuses a step by raising a ``RuleError`` subclass: its ``message`` is plain
English shown to the person as it is (a parent-facing one marked ``lazy_gettext``, so it
is shown in the page's language: ``str(error)``, or the template drawing it), and
``field`` (when it has one) names the form field the message belongs next to.  Views show
it with ``clinic.forms.show_rule_error``; services never know about forms, only field names.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class RuleError(Exception):
    """A step the rules do not allow.

    Subclasses set a default ``message`` (and may set a default ``field``); a caller may
    give a more precise one of either."""

    message: str = _l("This cannot be done.")
    field: str | None = None

    def __init__(self, message: str | None = None, field: str | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message
        if field:
            self.field = field

    def __str__(self) -> str:
        return str(self.message)
