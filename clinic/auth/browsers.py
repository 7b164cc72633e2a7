"""A browser's user agent in plain words ("Firefox on Windows"), for "Your sessions".

A small reading of the well-known names, in the order that matters (Edge and Opera say
"Chrome" too, Chrome says "Safari"); anything else is "Unknown browser".  Only the words
are kept, never the user agent itself.
"""

from __future__ import annotations

# (what the user agent contains, the name); the first match wins.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("HeadlessChrome/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "Mac"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)
UNKNOWN = "Unknown browser"


def describe(user_agent: str | None) -> str:
    """``"Chrome on Android"``, ``"Safari on iPhone"``, ``"Firefox"``, or ``UNKNOWN``."""
    agent = (user_agent or "")[:512]
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    if system:
        return f"A browser on {system}"
    return UNKNOWN
