"""What a preloading gunicorn master makes before it forks its workers (issue 19).

With ``preload_app`` the master imports the app once and every worker shares those
memory pages until it writes to them.  What a worker builds while serving is its own:
each template compiled on first use, each language's catalogues, Babel's locale data,
WTForms' messages, the ORM's mapper configuration.  ``warm`` makes those in the master
instead, so they are shared too; then ``gc.freeze`` takes everything made so far out of
the collector's walks, which would otherwise write to (and so copy) the shared pages.
Nothing here touches the database: the workers open their own connections after the fork.

``when_ready`` is gunicorn's hook of that name (``deploy/gunicorn.conf.py`` and the bench's
``bench/gunicorn_hooks.py`` hand it on): it runs in the master once the app is loaded,
before the first worker is forked.  Without ``preload_app`` it does nothing, and a
``flask`` command, which imports the same ``wsgi``, never pays for it.
"""

from __future__ import annotations

import gc

from babel import Locale, localedata
from flask import Flask
from flask_babel import force_locale, get_translations
from sqlalchemy.orm import configure_mappers

from .forms import _wtforms_translations
from .partnership import shipped_languages

# What the templates are written in; anything else in the folders (a .ics, an image) is not
# compiled.
TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".svg")


def warm(app: Flask) -> int:
    """Compile every template and load every shipped language's catalogues now; returns
    how many templates were compiled."""
    configure_mappers()
    env = app.jinja_env
    names = [name for name in env.list_templates() if name.endswith(TEMPLATE_SUFFIXES)]
    with app.test_request_context("/"):
        for name in names:
            env.get_template(name)
        for language in shipped_languages():
            localedata.load(str(Locale.parse(language)))
            with force_locale(language):
                get_translations()
            _wtforms_translations(language)
    return len(names)


def when_ready(server) -> None:
    """gunicorn's ``when_ready``: with ``preload_app``, warm the loaded app, then freeze
    what the master made (``wsgi.py`` froze what importing made)."""
    if server.cfg.preload_app:
        warm(server.app.wsgi())
        gc.freeze()
