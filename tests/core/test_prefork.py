"""A preloading gunicorn master warms the app before it forks (clinic/prefork.py): every
template compiled and every shipped language loaded once, in pages the workers share."""

from __future__ import annotations

import gc
from types import SimpleNamespace

from flask_babel import get_babel

from clinic.partnership import shipped_languages
from clinic.prefork import TEMPLATE_SUFFIXES, warm, when_ready


def _templates(app) -> set[str]:
    return {name for name in app.jinja_env.list_templates() if name.endswith(TEMPLATE_SUFFIXES)}


def _compiled(app) -> set[str]:
    return {name for _loader, name in app.jinja_env.cache.keys()}


def _languages_loaded(app) -> set[str]:
    return {locale for locale, _domain in get_babel(app).instance.domain_instance.cache}


def test_warm_compiles_every_template_and_loads_every_language(app):
    app.jinja_env.cache.clear()
    get_babel(app).instance.domain_instance.cache.clear()

    compiled = warm(app)

    templates = _templates(app)
    assert compiled == len(templates) > 100  # pages, emails, texts, partials
    assert templates <= _compiled(app)
    assert {"email/booking_confirmed.html", "sms/booking_confirmed.txt"} <= _compiled(app)
    assert set(shipped_languages()) <= _languages_loaded(app)


def _server(app, *, preload: bool):
    """What gunicorn hands ``when_ready``: its arbiter, with the settings and the app."""
    return SimpleNamespace(
        cfg=SimpleNamespace(preload_app=preload), app=SimpleNamespace(wsgi=lambda: app)
    )


def test_the_hook_warms_a_preloading_master_only(app):
    app.jinja_env.cache.clear()
    when_ready(_server(app, preload=False))
    assert _compiled(app) == set()  # each worker imports the app itself: nothing to share

    try:
        when_ready(_server(app, preload=True))
    finally:
        gc.unfreeze()  # the hook froze this test process's objects, as a master's
    assert _templates(app) <= _compiled(app)
