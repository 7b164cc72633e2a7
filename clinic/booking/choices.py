"""The answers parents choose from, shared by the booking form, walk-ins and the figures.

What is stored (a school year, a topic's value) stays English and never changes: figures,
guidance links and exports key on it.  What a parent reads (the label) is translated
(``lazy_gettext``: in the language of the page or email drawing it; English on staff pages)."""

from flask_babel import lazy_gettext as _l

SCHOOL_YEARS = ["Reception"] + [f"Year {n}" for n in range(1, 14)]
# (value stored: label shown) for each school year.
SCHOOL_YEAR_LABELS = {
    "Reception": _l("Reception"),
    **{f"Year {n}": _l("Year %(num)d", num=n) for n in range(1, 14)},
}

# (value stored, label shown). Values are stable: figures and guidance links key on them.
# Brand names are the same in every language.
TOPICS = [
    ("iphone-ipad", _l("iPhone or iPad")),
    ("android", _l("Android phone or tablet")),
    ("consoles", _l("Games consoles (PlayStation, Xbox, Nintendo Switch)")),
    ("discord", "Discord"),
    ("random-chat", _l("Random chat sites (like Omegle)")),
    ("tiktok", "TikTok"),
    ("roblox", "Roblox"),
    ("youtube", "YouTube"),
    ("whatsapp", "WhatsApp"),
    ("snapchat", "Snapchat"),
    ("instagram", "Instagram"),
    ("home-broadband", _l("Home broadband and Wi-Fi (filters on your router)")),
    ("other", _l("Something else")),
]
TOPIC_LABELS = dict(TOPICS)

# The languages a household most often asks an interpreter for, (value stored, label).  The
# labels are translated on parents' pages and shown in English to staff; "other" means
# the household typed the language (``Household.interpreter_other``).
INTERPRETER_OTHER = "other"
INTERPRETER_LANGUAGES = [
    ("ar", _l("Arabic")),
    ("bn", _l("Bengali")),
    ("bfi", _l("British Sign Language")),
    ("yue", _l("Cantonese")),
    ("fa", _l("Farsi")),
    ("fr", _l("French")),
    ("gu", _l("Gujarati")),
    ("ku", _l("Kurdish")),
    ("lt", _l("Lithuanian")),
    ("cmn", _l("Mandarin")),
    ("ps", _l("Pashto")),
    ("pl", _l("Polish")),
    ("pt", _l("Portuguese")),
    ("pa", _l("Punjabi")),
    ("ro", _l("Romanian")),
    ("ru", _l("Russian")),
    ("so", _l("Somali")),
    ("es", _l("Spanish")),
    ("ti", _l("Tigrinya")),
    ("tr", _l("Turkish")),
    ("uk", _l("Ukrainian")),
    ("ur", _l("Urdu")),
    ("cy", _l("Welsh")),
    (INTERPRETER_OTHER, _l("Another language")),
]
INTERPRETER_LABELS = dict(INTERPRETER_LANGUAGES)


def interpreter_label(language: str | None, other: str | None = None) -> str | None:
    """The language an interpreter is needed for, as words (translated where the caller is
    drawing a parent's page; English on a staff page or a staff email), or None."""
    if not language:
        return None
    if language == INTERPRETER_OTHER:
        return other or str(INTERPRETER_LABELS[INTERPRETER_OTHER])
    label = INTERPRETER_LABELS.get(language)
    return str(label) if label is not None else language
