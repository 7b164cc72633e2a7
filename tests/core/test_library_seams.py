"""Where the service overrides a library's methods, and a check that the library has not
changed under it.

Every override of a library's method is in one of two places, each saying why beside it:

- ``clinic/extensions.py``: ``_SQLAlchemy._teardown_session`` (Flask-SQLAlchemy), a quiet
  teardown when the database has gone away;
- ``clinic/mail.py``: ``Message._mimetext``, ``Message._message``,
  ``Connection.configure_host``, ``Connection.__exit__`` and ``Mail.connect`` (Flask-Mail),
  7-bit parts, no empty ``multipart/mixed``, a timeout and a checked certificate.

Each was written against the library's own code of that method (and of the methods that
call it or that it calls, listed as read).  An upgrade that changes any of them fails here,
naming what to re-read: the library may now do what the override does, or do it
differently.  After re-reading, record the new signature and digest below.  The version
each was read at is in the message only: an upgrade that leaves these methods alone passes.

``ClockField._value`` (``clinic/schedule/forms.py``) is WTForms' documented hook for a
custom field's text, not an override (``Field`` has no ``_value``); the schedule tests
show its text.  Names the service reads from a library's private state are at the end.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import textwrap
from dataclasses import dataclass
from typing import Any

import flask
import flask_login
import flask_mail
import flask_sqlalchemy
import pytest

from clinic.extensions import _SQLAlchemy, db
from clinic.mail import Connection, Mail, Message


@dataclass(frozen=True)
class Seam:
    package: str  # the distribution's name, for its version in the message
    method: Any  # the library's function, as we read it
    signature: str  # its parameters as we read them, annotations left out
    digest: str  # sha256 of its source, first 16 hex digits (digest_of below)
    note: str  # where our side is explained
    ours: Any = None  # our override; None when the method is only read

    @property
    def name(self) -> str:
        return self.method.__qualname__


def digest_of(function) -> str:
    source = textwrap.dedent(inspect.getsource(function))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def bare_signature(function) -> str:
    signature = inspect.signature(function)
    plain = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=plain, return_annotation=inspect.Signature.empty))


MAIL_NOTE = "clinic/mail.py's note on it (the module docstring)"
SEAMS = [
    Seam(
        "Flask-SQLAlchemy",
        flask_sqlalchemy.SQLAlchemy._teardown_session,
        "(self, exc)",
        "620a72733d54b05e",
        "clinic/extensions.py's _SQLAlchemy",
        ours=_SQLAlchemy._teardown_session,
    ),
    Seam(
        "Flask-Mail",
        flask_mail.Message._mimetext,
        "(self, text, subtype='plain')",
        "f801f48d02f70770",
        MAIL_NOTE,
        ours=Message._mimetext,
    ),
    Seam(
        "Flask-Mail",
        flask_mail.Message._message,
        "(self)",
        "aeb6714ce7f283da",
        MAIL_NOTE,
        ours=Message._message,
    ),
    Seam(
        "Flask-Mail",
        flask_mail.Connection.configure_host,
        "(self)",
        "01060544e6ef3199",
        MAIL_NOTE,
        ours=Connection.configure_host,
    ),
    Seam(
        "Flask-Mail",
        flask_mail.Connection.__exit__,
        "(self, exc_type, exc_value, tb)",
        "8674406d570b659f",
        MAIL_NOTE,
        ours=Connection.__exit__,
    ),
    Seam(
        "Flask-Mail",
        flask_mail.Mail.connect,
        "(self)",
        "a5b2ce887a177749",
        MAIL_NOTE,
        ours=Mail.connect,
    ),
    # Read, not overridden: what calls configure_host and sets the host __exit__ closes;
    # what our __init__ and connect() call.
    Seam("Flask-Mail", flask_mail.Connection.__enter__, "(self)", "f3aa26f569eb1ad7", MAIL_NOTE),
    Seam(
        "Flask-Mail", flask_mail.Connection.__init__, "(self, mail)", "162bf93aa612829d", MAIL_NOTE
    ),
    Seam(
        "Flask-Mail",
        flask_mail.Mail.init_mail,
        "(self, config, debug=False, testing=False)",
        "6cde6588758dd981",
        MAIL_NOTE,
    ),
]


@pytest.mark.parametrize("seam", SEAMS, ids=lambda seam: seam.name)
def test_the_library_method_is_still_the_one_we_read(seam):
    version = importlib.metadata.version(seam.package)
    changed = (
        f"{seam.package} {version} changed {seam.name}: re-read {seam.note}, check the "
        f"override still holds, then record the new"
    )
    assert bare_signature(seam.method) == seam.signature, f"{changed} signature"
    assert digest_of(seam.method) == seam.digest, f"{changed} digest ({digest_of(seam.method)})"


@pytest.mark.parametrize("seam", [s for s in SEAMS if s.ours], ids=lambda seam: seam.name)
def test_our_override_takes_what_the_library_passes(seam):
    """Called as the library calls its own method: every parameter by position."""
    parameters = inspect.signature(seam.method).parameters
    inspect.signature(seam.ours).bind(*parameters)


def test_flask_sqlalchemy_still_ends_each_app_context_with_our_teardown():
    """Flask-SQLAlchemy registers ``self._teardown_session`` in ``init_app``; if it
    registered anything else, the override would silently stop being called."""
    app = flask.Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    ours = [f.__func__ for f in app.teardown_appcontext_funcs if hasattr(f, "__func__")]
    assert ours == [_SQLAlchemy._teardown_session], (
        "Flask-SQLAlchemy no longer ends the app context with self._teardown_session: "
        "re-read clinic/extensions.py's _SQLAlchemy"
    )


# --- private names read ------------------------------------------------------------------

READ_NAMES = [
    # clinic/headers.py: whether Flask-Login loaded a user this request, without loading one.
    (flask_login.utils._get_user, "g._login_user", "Flask-Login"),
    # clinic/pagecache.py: a page with a flashed message waiting is not shared.
    (flask.helpers.flash, 'session["_flashes"]', "Flask"),
    # clinic/auth/views.py's _forget: the keys Flask-Login's sign-in puts in the cookie.
    (flask_login.utils.login_user, 'session["_user_id"]', "Flask-Login"),
    (flask_login.utils.login_user, 'session["_fresh"]', "Flask-Login"),
    (flask_login.utils.login_user, 'session["_id"]', "Flask-Login"),
]


@pytest.mark.parametrize(
    ("function", "name", "package"), READ_NAMES, ids=[n for _, n, _ in READ_NAMES]
)
def test_the_private_names_we_read_are_still_the_librarys(function, name, package):
    version = importlib.metadata.version(package)
    assert name in inspect.getsource(function), (
        f"{package} {version}'s {function.__qualname__} no longer uses {name}: re-read the "
        f"code that reads it (named above) and the tests that cover it"
    )
