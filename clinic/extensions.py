"""Flask extensions, created unbound and initialised in ``create_app()``.

``db`` is Flask-SQLAlchemy with one change, a quiet teardown (``_SQLAlchemy`` below), and
``db.session`` typed for mypy as the Session it stands for.
``mail`` is Flask-Mail's extension, through the small subclass in ``clinic.mail``:
its connections have a timeout and check the relay's certificate, and read the ``MAIL_*``
settings per batch (that module says what each subclass there adds, and why).  Email goes
through the outbox only (``clinic.outbox.queue.queue_email``), which sends with it.
"""

import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import DeclarativeBase

from .mail import Mail
from .security_events import RATE_LIMITED, security_event

# Named constraints so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


if TYPE_CHECKING:
    from flask_sqlalchemy.session import Session
    from sqlalchemy.orm import scoped_session

    class _ScopedSession(Session, scoped_session[Session]):  # type: ignore[misc]
        """What ``db.session`` is to mypy: a ``scoped_session``, which hands every call of
        a Session method (``execute``, ``get``, ``add``, ``commit``...) to the request's
        Session, so views pass it to services that take ``session: Session``; and still a
        ``scoped_session`` (``remove()``, ``registry``, called for the Session itself).
        Flask-SQLAlchemy types it as a ``scoped_session`` only, which no service would
        accept.  (The ignore: SQLAlchemy's generated proxy of ``Session.scalar`` has the
        same overloads as the original, which mypy still calls incompatible.)"""


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy, ending each app context's session quietly, and with ``session``
    typed for mypy as what it acts as (``_ScopedSession`` above).

    Its teardown closes the session, which rolls back; if the database went away after
    the page was drawn, that ROLLBACK fails, and an error raised from a teardown turns a
    finished page into gunicorn's bare 500 (seen in tests/robust/test_database_away.py).
    SQLAlchemy has already invalidated the dead connection, so the pool replaces it and
    there is nothing left to do but forget the session."""

    if TYPE_CHECKING:
        session: _ScopedSession

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except sa_exc.DBAPIError:
            self.session.registry.clear()


db = _SQLAlchemy(model_class=Base)

# The base of every model.  Flask-SQLAlchemy's documented way is `class User(db.Model)`: with
# ``model_class=Base`` it makes ``db.Model`` from ``Base`` (same DeclarativeBase, registry and
# metadata, plus its bind keys and the legacy ``query``).  mypy cannot take a base class from
# an attribute of an object (python/mypy#8603: "Name db.Model is not defined", and every
# column untyped), so to mypy the models derive from the typed ``Base`` itself, which is what
# gives their columns ``Mapped[...]`` types; at run time they are exactly ``db.Model``'s.
if TYPE_CHECKING:

    class Model(Base):
        __abstract__ = True

else:
    Model = db.Model
csrf = CSRFProtect()
login_manager = LoginManager()
mail = Mail()


def client_address() -> str:
    """The caller's address (ProxyFix has already applied X-Forwarded-For when configured)."""
    return get_remote_address() or request.remote_addr or "unknown"


def limit_key(kind: str, value: str) -> str:
    """A rate limit's key for ``value`` (an email address typed, a network address): its
    HMAC-SHA256 under ``SECRET_KEY``, so the limits' store (Redis) holds no address in
    clear and nobody without the key can test a guess against it.  (A new key starts the
    counts again, as a restart of the store would.)"""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{kind}:{digest}"


def hashed_client_address() -> str:
    """The default key of every limit: the caller's address, hashed (``limit_key``)."""
    return limit_key("address", client_address())


def _count_breach(limit) -> None:
    """Every limit reached is a named security event (a limit's own ``on_breach`` still
    draws its page)."""
    item = limit.limit
    security_event(RATE_LIMITED, limit=f"{item.amount}-per-{item.get_expiry()}s")


limiter = Limiter(key_func=hashed_client_address, on_breach=_count_breach)
LIMITED_METHODS = frozenset({"POST"})


def init_limiter(app: Flask) -> None:
    """``limiter.init_app``, with its check before every request (and its headers after)
    run for form posts only.

    Flask-Limiter 4 checks every request before its view, and its request filter (below)
    is asked only once the limiter has gathered the request's limits: about 8 % of a page
    from the page cache (``python -m bench.profile``).  So the hook it adds is swapped for
    one that first looks at the method; the filter stays for the limits that decorate
    views, which Flask-Limiter checks in the view's own wrapper (the limit tests in
    tests/booking, tests/auth and tests/waitlist show each still holds)."""
    limiter.init_app(app)
    hooks = app.before_request_funcs.setdefault(None, [])
    index = next(
        (i for i, hook in enumerate(hooks) if getattr(hook, "__self__", None) is limiter), None
    )
    if index is None:
        raise RuntimeError("Flask-Limiter added no check before requests: see init_limiter")
    check = hooks[index]

    def check_form_posts() -> None:
        if request.method in LIMITED_METHODS:
            check()

    hooks[index] = check_form_posts
    # Likewise its headers after the answer (X-RateLimit-…, Retry-After): only a limited
    # request has any.
    after = app.after_request_funcs.setdefault(None, [])
    index = next(
        (i for i, hook in enumerate(after) if getattr(hook, "args", ())[:1] == (limiter,)), None
    )
    if index is None:
        raise RuntimeError("Flask-Limiter added no headers after requests: see init_limiter")
    inject = cast(Callable[[Response], Response], after[index])  # a partial of the limiter's

    def headers_on_form_posts(response: Response) -> Response:
        return inject(response) if request.method in LIMITED_METHODS else response

    after[index] = headers_on_form_posts


@limiter.request_filter
def _not_a_form_post() -> bool:
    """Every limit in the app is on form posts (``methods=["POST"]``: sign-in, the links by
    email, booking and the waiting list), so any other request skips the limiter's
    bookkeeping altogether: about 0.15 ms of every page view (``python -m bench.profile``).
    A limit on another method must add it to ``LIMITED_METHODS``."""
    return request.method not in LIMITED_METHODS
