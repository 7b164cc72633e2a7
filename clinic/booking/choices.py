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
