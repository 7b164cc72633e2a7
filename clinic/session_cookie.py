"""Flask's signed session cookie, with its signing serializer made once per key.

Flask's ``SecureCookieSessionInterface`` builds a new ``URLSafeTimedSerializer`` for every
request, to open the session and again to save it: a twentieth of an unchanged school
page's time.  The serializer holds nothing of a request (its keys, salt and settings
only), so one per set of keys does the same work; the keys are part of what it is kept
under, so a new ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` gets a new one at once.
"""

from __future__ import annotations

import threading

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class KeptSerializerSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._kept: dict[tuple, URLSafeTimedSerializer] = {}
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._kept.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                with self._lock:
                    if len(self._kept) > 8:  # keys changed often (tests): start afresh
                        self._kept.clear()
                    self._kept[keys] = serializer
        return serializer
