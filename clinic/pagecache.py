"""Public pages drawn once per worker while nothing they show has changed.

Drawing a page with the GOV.UK macros is most of its time (a school page with 80 slots:
about 60 ms of template for 1 ms of SQL).  The home page and the school pages are the
same for every parent, so a worker keeps the HTML it drew last and hands it out again
while the page's **key** is the same.  The key is made from everything the page shows,
read fresh from the database on every request (for a school page: the school, its
clinics, each slot's times, capacity and places booked, and which side of "now" each
time and booking window is), so the moment a booking or a cancellation commits, the next
request reads a new key and draws the page again: the places left are right as soon as
the change commits (DESIGN.md), with no invalidation to forget.

Only pages that hold nothing of the person asking are kept: a GET from someone not
signed in, with no message waiting to be shown (``flash``).  Nothing of a parent is ever
on them.  The store is this worker's own memory (bounded, least recently used out), so
there is nothing to share or leak between servers; each worker draws each page once.

A page is kept as the UTF-8 bytes sent, so a hit hands them to the response as they are
(a ``str`` holding one en dash is two bytes a character in CPython, and was encoded anew
on every response).  The key is the values themselves in a tuple: the dictionary hashes
it (a string's hash is worked out once per string) and compares it exactly on a hit;
nothing is ``repr``-ed, encoded or digested.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Response, current_app, request, session
from flask_login import current_user

from .i18n import current_language

MAX_PAGES = 256
T = TypeVar("T", str, bytes)


class PageStore:
    """A bounded, thread-safe map of key to HTML (gthread workers share it)."""

    def __init__(self, size: int = MAX_PAGES):
        self.size = size
        self._pages: OrderedDict[Hashable, str | bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
            return html

    def put(self, key: Hashable, html) -> None:
        with self._lock:
            self._pages[key] = html
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def pages() -> PageStore:
    """This app's store of pages (one per app: tests make many apps in one process)."""
    return store("pages")


def store(name: str, size: int = MAX_PAGES) -> PageStore:
    """This app's store called ``name``, made with room for ``size`` entries."""
    stores = current_app.extensions.setdefault("pagecache", {})
    if name not in stores:
        stores.setdefault(name, PageStore(size))
    return stores[name]


def shareable() -> bool:
    """True when the page drawn for this request would be the same for anyone: a GET
    from someone not signed in, with no flashed message waiting."""
    return request.method == "GET" and for_anyone()


def for_anyone() -> bool:
    """True when nothing of the person asking is on the page drawn now: they are not
    signed in and have no flashed message waiting (the caller knows the rest of what
    the page shows, and keys it on that)."""
    if session.get("_flashes"):
        return False
    # Flask-Login signs someone in only through the session's "_user_id" (no remember
    # cookie, no request loader): without one nobody is, and Flask-Login's anonymous
    # user (a SHA-512 of the address and browser first, for its session protection) need
    # not be loaded.
    return "_user_id" not in session or not current_user.is_authenticated


def key_of(*parts: Hashable) -> tuple:
    """A key for the values a page shows: the values themselves (exact, not a summary),
    each hashable (numbers, strings, dates, tuples, frozen dataclasses)."""
    return parts


def cached(store: PageStore, key: Hashable, draw: Callable[[], T]) -> T:
    """What ``store`` keeps for ``key``, or ``draw()``'s result, kept there from now on.
    Only for what is the same for anyone who may be handed it: the caller decides.
    Each language's page is kept apart (the key holds the language drawn)."""
    key = (current_language(), key)
    value = store.get(key)
    if value is None:
        value = draw()
        store.put(key, value)
    return value


def cached_page(key: Callable[[], Hashable], draw: Callable[[], str]) -> Response | str:
    """The page for ``key()``, drawn by ``draw()`` when this worker has not drawn it yet,
    and kept as the bytes sent.  A request that may not share the page (``shareable``) is
    drawn for itself."""
    if not shareable():
        return draw()
    body = cached(pages(), key(), lambda: draw().encode())
    return current_app.response_class(body, mimetype="text/html")
