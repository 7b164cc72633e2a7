"""Every sentence a parent can see goes through the translation functions, and every
shipped catalogue translates all of them (issue 17).

- A parent template (every template but the staff ones listed below) may hold no English
  word outside ``_()``/``gettext``/``ngettext`` and ``{% trans %}``: not in its text, not in
  an attribute a person reads or hears (``alt``, ``title``, ``aria-label``, ``placeholder``),
  and not in a string handed to a GOV.UK macro (``{'text': 'Continue'}``).
- Each shipped catalogue has every message that ``make translations`` would extract from
  the code today, translated (every plural form), none fuzzy, and with the same
  placeholders as the English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment
from jinja2.ext import i18n as jinja_i18n

from config import SHIPPED_LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "translations"

# Templates only signed-in staff (or the staff's own emails) ever see: they stay English.
STAFF_TEMPLATES = {
    "layout.html",  # GOV.UK's page template, copied; base.html fills its English parts
    "_service_navigation.html",  # the staff menu
    *(
        str(path.relative_to(TEMPLATES))
        for folder in (
            "attendance",
            "audit_log",
            "auth",
            "figures",
            "outbox",
            "partnerships",
            "schedule",
            "schools",
        )
        for path in (TEMPLATES / folder).rglob("*")
        if path.is_file()
    ),
    "booking/_staff_booking.html",
    "manage/_staff_booking.html",
    "manage/staff_cancel.html",
    "manage/staff_move.html",
    "privacy/admin.html",
    "privacy/admin_erase.html",
    "privacy/admin_erased.html",
    "waitlist/staff_list.html",
    "followup/bring_form.html",
    "followup/guidance_delete.html",
    "followup/guidance_form.html",
    "followup/guidance_list.html",
    "email/attendance_list.html",
    "email/attendance_list.txt",
    "email/interpreter_needed.html",
    "email/interpreter_needed.txt",
    "email/staff_account_changed.html",
    "email/staff_account_changed.txt",
    "email/staff_invite.html",
    "email/staff_invite.txt",
    "email/staff_password_reset.html",
    "email/staff_password_reset.txt",
    "email/staff_sign_in_link.html",
    "email/staff_sign_in_link.txt",
    "email/staff_mfa_removed.html",
    "email/staff_mfa_removed.txt",
}

PARENT_TEMPLATES = sorted(
    str(path.relative_to(TEMPLATES))
    for path in TEMPLATES.rglob("*")
    if path.is_file()
    and path.suffix in {".html", ".txt"}
    and str(path.relative_to(TEMPLATES)) not in STAFF_TEMPLATES
)

# A word a person reads: two or more letters (any script), not a placeholder.
WORD = re.compile(r"[^\W\d_]{2,}")
# Attributes whose values are read out or shown.
READ_ATTRIBUTES = re.compile(
    r"""\b(?:alt|title|aria-label|placeholder|aria-description)\s*=\s*(["'])(.*?)\1""", re.S
)
# Keys of GOV.UK macro parameters whose string values people read.
READ_KEYS = {
    "text",
    "html",
    "titleText",
    "label",
    "hint",
    "visuallyHiddenText",
    "caption",
    "legend",
    "errorMessage",
    "summaryText",
    "navigationLabel",
    "descriptionText",
    "heading",
    "content",
}
GETTEXT_CALLS = {("name", n) for n in ("_", "gettext", "ngettext", "pgettext", "npgettext")}
# Not English: names that are the same in every language, and the languages' own names.
ALLOWED_WORDS = {"GOV", "UK", "QR", "iCal", "PDF", "ics", "noindex", "nofollow", "index", "follow"}


def untranslated(source: str) -> list[str]:
    """The English a template shows outside the translation functions."""
    env = Environment(extensions=[jinja_i18n], trim_blocks=True, lstrip_blocks=True)
    found: list[str] = []
    skeleton: list[str] = []  # the template's HTML with each Jinja tag as a marker
    in_trans = False
    previous: list[tuple[str, str]] = []  # the current tag's tokens so far
    for _lineno, kind, value in env.lex(source):
        if kind == "string":
            value = value[1:-1]  # the lexer gives the quotes too
        if kind in {"variable_begin", "block_begin", "comment_begin"}:
            previous = []
            skeleton.append(MARK)
        if kind == "name" and previous and previous[-1][0] == "block_begin":
            in_trans = {"trans": True, "pluralize": True, "endtrans": False}.get(value, in_trans)
        if kind == "data" and not in_trans:
            skeleton.append(value)
        if kind == "string" and not in_trans:
            subscript = previous[-1:] == [("operator", "[")]
            if not subscript and not _inside_gettext(previous) and _is_read(previous, value):
                found.append(value)
        if kind != "whitespace":
            previous.append((kind, value))
    return found + _words_in_html("".join(skeleton))


MARK = "\x00"


def _inside_gettext(previous: list[tuple[str, str]]) -> bool:
    """True when the string is an argument of _() / gettext() / ngettext()."""
    depth = 0
    for index in range(len(previous) - 1, -1, -1):
        kind, value = previous[index]
        if kind == "operator" and value in ")]}":
            depth += 1
        elif kind == "operator" and value in "([{":
            if depth:
                depth -= 1
            elif value == "(" and index and previous[index - 1] in GETTEXT_CALLS:
                return True
            # else: an argument of another call, or an item of a dict or list: look outwards
    return False


def _is_read(previous: list[tuple[str, str]], value: str) -> bool:
    """A string a person reads: the value of a READ_KEYS key, or a string that is printed
    or joined into printed text (it has words and looks like a sentence)."""
    if not WORD.search(value):
        return False
    # {'text': 'Continue'}: the key two tokens back
    if len(previous) >= 2 and previous[-1] == ("operator", ":") and previous[-2][0] == "string":
        return previous[-2][1] in READ_KEYS
    if previous and previous[-1][0] == "operator" and previous[-1][1] in {"==", "!="}:
        return False  # compared, not shown
    if previous and previous[-1] == ("name", "in"):
        return False
    if re.fullmatch(r"[\w\s:;.,#%()-]*\d+(px|em|%)?[\w\s:;.,#%()-]*", value) and ";" in value:
        return False  # an inline style
    words = value.split()
    if all(("-" in w or "_" in w or "." in w or "/" in w) for w in words):
        return False  # CSS classes, endpoint names, paths
    if len(words) == 1 and not value[:1].isupper():
        return False  # a name in code: a key, a value compared, a format
    return True


def _words_in_html(html: str) -> list[str]:
    """Words in the text and the read attributes of HTML (Jinja tags already markers)."""
    found = [m.group(2).strip() for m in READ_ATTRIBUTES.finditer(html) if _has_words(m.group(2))]
    text = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&[#\w]+;", " ", text)
    for piece in re.split(f"[{MARK}\n]", text):
        if _has_words(piece):
            found.append(piece.strip())
    return found


def _has_words(text: str) -> bool:
    return any(w not in ALLOWED_WORDS for w in WORD.findall(text))


@pytest.mark.parametrize("name", PARENT_TEMPLATES)
def test_a_parent_template_has_no_english_outside_the_translation_functions(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert untranslated(source) == [], (
        f"templates/{name} shows English that is not translated: mark it with _() or "
        "{% trans %} (or, if only staff ever see it, list it in STAFF_TEMPLATES)"
    )


def test_the_checker_finds_english_where_it_hides():
    assert untranslated("<p>Book a place</p>") == ["Book a place"]
    assert untranslated("<p>{{ _('Book a place') }}</p>") == []
    assert untranslated("{% trans %}Book a place{% endtrans %}") == []
    assert untranslated("{{ govukButton({'text': 'Continue'}) }}") == ["Continue"]
    assert untranslated("{{ govukButton({'text': _('Continue')}) }}") == []
    assert untranslated('<img alt="A poster" src="x">') == ["A poster"]
    assert untranslated("{{ 'Their details' if flow.staff else 'Your details' }}") == [
        "Their details",
        "Your details",
    ]
    assert (
        untranslated(
            '<a class="govuk-link govuk-link--no-visited-state" href="{{ url_for(\'x\') }}">'
        )
        == []
    )
    assert untranslated("{% if form.errors %}Error: {% endif %}") == ["Error:"]


# --- the catalogues ---


def extracted() -> Catalog:
    """What `make translations` would extract now (babel.cfg, the same keywords)."""
    catalog = Catalog()
    method_map = [
        ("clinic/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    jinja = {
        "trim_blocks": "true",
        "lstrip_blocks": "true",
        "trimmed": "true",
        "newstyle_gettext": "true",
    }
    options = {"templates/**.html": jinja, "templates/**.txt": jinja}
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "_l": None,
        "lazy_gettext": None,
        "lazy_ngettext": (1, 2),
    }
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options,
        keywords=keywords,
        comment_tags=(),
        strip_comment_tags=True,
        directory_filter=lambda d: Path(d).name not in {".venv", "node_modules", ".git"},
    ):
        catalog.add(message, None, [(filename, lineno)], context=context)
    return catalog


@pytest.fixture(scope="module")
def source_messages() -> Catalog:
    return extracted()


def test_the_code_has_text_to_translate(source_messages):
    assert len(source_messages) > 100


@pytest.mark.parametrize("language", [code for code in SHIPPED_LANGUAGES if code != "en"])
def test_each_shipped_catalogue_translates_every_parent_message(language, source_messages):
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    missing, empty, fuzzy = [], [], []
    for message in source_messages:
        if not message.id:
            continue
        ours = catalog.get(message.id, context=message.context)
        if ours is None:
            missing.append(message.id)
        elif ours.fuzzy:
            fuzzy.append(message.id)
        elif isinstance(ours.string, tuple | list):
            if len(ours.string) != catalog.num_plurals or not all(ours.string):
                empty.append(message.id)
        elif not ours.string:
            empty.append(message.id)
    assert (missing, empty, fuzzy) == ([], [], []), (
        f"translations/{language}: run `make translations` and translate every message "
        f"(missing {len(missing)}, untranslated {len(empty)}, fuzzy {len(fuzzy)})"
    )
    problems = [
        (message.id, [str(e) for e in errors]) for message, errors in catalog.check() if errors
    ]
    assert problems == [], f"translations/{language}: placeholders differ from the English"
