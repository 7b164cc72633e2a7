"""What a visitor sees when something fails: one error page for every status, the
"page has expired" page for a CSRF refusal, and the friendly 503 while the database is
away.  ``register(app)`` installs the handlers; views that refuse with a message of their
own call ``render_error``.
"""

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .extensions import db, login_manager
from .security_events import CSRF_REFUSED, security_event

ERROR_TITLES = {
    400: _l("Sorry, there is a problem with that request"),
    403: _l("You do not have permission to see this page"),
    404: _l("Page not found"),
    405: _l("Sorry, that action is not possible on this page"),
    413: _l("Sorry, what you sent is too large"),
    415: _l("Sorry, we could not read what was sent"),
    429: _l("Too many attempts"),
    500: _l("Sorry, there is a problem with the service"),
    503: _l("Sorry, the service is unavailable"),
}
# Seconds a browser or client is told to wait while the database is away.
RETRY_AFTER = 30


def render_error(status: int, message: str | None = None):
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES.get(status, ERROR_TITLES[500]),
            message=message,
        ),
        status,
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        security_event(CSRF_REFUSED, reason="header")
        return (
            render_template("errors/csrf.html", back=request.path),
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            return (*response, {"Allow": ", ".join(error.valid_methods)})
        if error.code == 429:
            if error.response is not None:  # a limit's own page (on_breach)
                return error.response
            retry = getattr(error, "retry_after", None)
            message = None
            if isinstance(retry, int) and retry > 0:  # seconds (a date is not said)
                message = ngettext(
                    "Try again in %(num)d second.", "Try again in %(num)d seconds.", retry
                )
            return render_error(429, message)
        return response

    @app.errorhandler(sa_exc.DBAPIError)
    def database_error(error: sa_exc.DBAPIError):
        if not database_away(error):
            return server_error(error)
        return database_unavailable(error)

    app.register_error_handler(sa_exc.TimeoutError, lambda error: database_unavailable(error))
    app.register_error_handler(sa_exc.DisconnectionError, lambda error: database_unavailable(error))

    def database_unavailable(error: Exception):
        """The friendly 503 while the database is away (restarting, failing over, busy).

        The transaction is rolled back, so nothing the request started is kept; the pool
        (``pool_pre_ping``) drops dead connections, so the next request recovers by itself."""
        app.logger.warning(
            "Database unavailable on %s %s: %s",
            request.method,
            request.url_rule.rule if request.url_rule else "(no route)",
            type(getattr(error, "orig", None) or error).__name__,
        )
        _rollback_quietly()
        # The page must not need the database: show it as to someone signed out (the
        # staff member's own session is untouched and works again once it is back).
        g._login_user = login_manager.anonymous_user()
        body, status = render_error(503)
        return body, status, {"Retry-After": str(RETRY_AFTER)}

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        _rollback_quietly()
        return render_error(500)


def database_away(error: sa_exc.DBAPIError) -> bool:
    """The database could not be reached or dropped the connection (not a bad query):
    SQLAlchemy's OperationalError and InterfaceError, or any error it marks as a
    disconnect.  On SQLite "database is locked" is one too: busy, try again."""
    return error.connection_invalidated or isinstance(
        error, (sa_exc.OperationalError, sa_exc.InterfaceError)
    )


def _rollback_quietly() -> None:
    """Roll back what the request began; with the connection gone that can fail too, and
    then the session is simply thrown away (the pool replaces the connection)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone; nothing to keep
        db.session.remove()
