"""Which language a page, an email or an invite is in (Flask-Babel; issue 17).

Parents' pages, emails and invites are translated; staff pages stay in English.

- ``LANGUAGES`` (a setting) lists the languages offered, English first.  The catalogues
  are in ``translations/`` (README: "Languages").
- A page's language is, in order: ``?lang=`` in the address (the language links on every
  parent page, and every link in an email, which carries the booking's language); the
  ``lang`` cookie that link left (the language's code and nothing else: no account, no
  personal data); the browser's ``Accept-Language``; English.
- A staff page (a view behind ``roles_required``, or any page of a staff-only blueprint)
  is always English, whatever the parent-side choice.
- An email or invite is in the language stored with its booking or waiting-list entry:
  its sender renders it inside ``force_locale(language)``.
"""

from __future__ import annotations

from functools import cache, lru_cache

from babel import Locale
from flask import Flask, Response, current_app, g, request, url_for
from flask_babel import Babel, get_locale, gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
DEFAULT = "en"

# Every blueprint whose every page is for staff.  Blueprints that mix parents' and staff
# pages (booking, manage, waitlist) mark their staff views through ``roles_required``.
STAFF_BLUEPRINTS = frozenset(
    {
        "auth",
        "staff_account",
        "schools",
        "outbox",
        "schedule",
        "attendance",
        "guidance",
        "figures",
        "privacy_admin",
        "audit_log",
        "partnerships",
        "ops",
    }
)

# Each language in its own name, as the language links show it (GOV.UK: "Cymraeg").
NAMES = {
    "en": "English",
    "cy": "Cymraeg",
    "pl": "Polski",
    "ro": "Română",
    "ur": "اردو",
    "ar": "العربية",
}
RIGHT_TO_LEFT = frozenset({"ar", "ur", "fa", "he", "ps", "ku", "sd", "yi"})

babel = Babel()

# SERVICE_NAME's default, here so `make translations` finds it; a partnership that sets its
# own name adds it to the catalogues, or it is shown as set.
DEFAULT_SERVICE_NAME = _l("Parental controls clinics")
# DATA_CONTROLLER's default (the privacy notice's "Your details are held by …"), likewise.
DEFAULT_DATA_CONTROLLER = _l("the police force that runs the Safer Schools clinics in your area")


def offered() -> list[str]:
    """The languages this page offers, English first: its school's partnership's (set by
    ``clinic.partnership.use_on_page``), else the service's (``LANGUAGES``)."""
    own = g.get("offered_languages") if g else None
    return list(own if own is not None else current_app.config["LANGUAGES"])


def _setting(name: str) -> str:
    """A setting as this page draws it: its partnership's own value where the page has
    one (``g.setting_overrides``, set by ``clinic.partnership.use_on_page``), else the
    installation's."""
    overrides = g.get("setting_overrides") if g else None
    if overrides and name in overrides:
        return overrides[name]
    return current_app.config[name]


def known(code: str | None) -> str | None:
    """``code`` if it is an offered language, else None (a stale cookie, a made-up value)."""
    return code if code in offered() else None


def english_only() -> None:
    """This request draws a staff page: English, whatever the parent-side choice."""
    g.english_only = True


def is_staff_page() -> bool:
    return bool(g.get("english_only")) or request.blueprint in STAFF_BLUEPRINTS


def select_locale() -> Locale:
    """The request's language, as the Babel ``Locale`` Flask-Babel keeps for it (made once
    per language: parsing one anew was a seventh of a page from the page cache)."""
    return _locale(_select_language())


def _select_language() -> str:
    if not request:
        return DEFAULT
    if is_staff_page():
        return DEFAULT
    languages = offered()  # asked once: each ask looks up the app and the request's g
    # No query string, no ``?lang=``: the address's values are not parsed for nothing.
    asked = request.args.get(COOKIE) if request.query_string else None
    for chosen in (asked, request.cookies.get(COOKIE)):
        if chosen in languages:
            return chosen
    return _best_match(request.headers.get("Accept-Language", ""), tuple(languages)) or DEFAULT


@lru_cache(maxsize=256)
def _best_match(header: str, offered: tuple[str, ...]) -> str | None:
    """The browser's preferred language among ``offered`` (parsing the header was a tenth
    of a page from the page cache; a few headers cover most browsers)."""
    return parse_accept_header(header, LanguageAccept).best_match(offered)


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def current_language() -> str:
    """The language being drawn now (a page's, or an email's inside ``force_locale``)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


def direction(code: str | None = None) -> str:
    """``rtl`` or ``ltr`` for ``code`` (default: the language being drawn)."""
    return "rtl" if (code or current_language()) in RIGHT_TO_LEFT else "ltr"


def name_of(code: str) -> str:
    """A language in its own name ("Polski"), from Babel for one not listed here."""
    if code in NAMES:
        return NAMES[code]
    from babel import Locale

    own = Locale.parse(code).get_display_name(code) or code
    return own[:1].upper() + own[1:]


def translated_service_name() -> str:
    """``SERVICE_NAME`` in the language being drawn, where a catalogue has it."""

    return gettext(_setting("SERVICE_NAME"))


def setting_text(name: str) -> Markup | str:
    """A setting's text (``DATA_CONTROLLER``) in the language being drawn where a catalogue
    has it (the shipped default); else as the partnership typed it, marked ``lang="en"``
    on a page in another language."""
    value = _setting(name)
    translated = gettext(value)
    if translated != value or current_language() == DEFAULT:
        return translated
    return Markup('<span lang="en" dir="ltr">{}</span>').format(value)


def _remember_choice(response: Response) -> Response:
    """A language chosen by a link (``?lang=``) is kept in a cookie for the next page."""
    if is_staff_page():
        return response
    chosen = known(request.args.get(COOKIE)) if request.query_string else None
    if chosen and chosen != request.cookies.get(COOKIE):
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_MAX_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    # The same address draws another language for another cookie or browser.
    _vary(response, "Cookie", "Accept-Language")
    return response


def _vary(response: Response, *names: str) -> None:
    """Add ``names`` to the response's Vary header, once each.  Written here rather than
    through werkzeug's ``response.vary``, which parses the header into a set and writes it
    back on every change (a fifth of this hook, on every parent's page)."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = ", ".join(names)
        return
    have = {value.strip().lower() for value in current.split(",")}
    missing = [name for name in names if name.lower() not in have]
    if missing:
        response.headers["Vary"] = ", ".join([current, *missing])


def language_links() -> list[dict]:
    """The language links of a parent page: each offered language in its own name, linking
    to this page in it (the address's other values kept).  None on a staff page, on an
    error page drawn without a matched route, or when only one language is offered."""
    if len(offered()) < 2 or is_staff_page() or request.endpoint is None:
        return []
    here = current_language()
    args = {k: v for k, v in request.args.items() if k != COOKIE}
    links = []
    for code in offered():
        values: dict[str, object] = {**(request.view_args or {}), **args, COOKIE: code}
        href = url_for(request.endpoint, **values)  # type: ignore[arg-type]
        links.append(
            {
                "code": code,
                "name": name_of(code),
                "dir": direction(code),
                "href": href,
                "current": code == here,
            }
        )
    return links


def _template_values() -> dict:
    language = current_language()
    return {
        "html_lang": language,
        "html_dir": direction(language),
        "language_links": language_links,
    }


def register(app: Flask) -> None:
    app.config.setdefault("LANGUAGES", [DEFAULT])
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale, default_timezone="UTC")
    # {% trans %} blocks lose their line breaks and indents, as `make translations` reads
    # them (babel.cfg), so a catalogue's msgid is the sentence and not the template's layout.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.after_request(_remember_choice)
    app.context_processor(_template_values)
    app.add_template_global(name_of, "language_name")
    app.add_template_global(translated_service_name)
    app.add_template_global(setting_text)
