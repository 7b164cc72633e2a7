"""Structured logs: JSON lines in production, readable lines in development, each with the
request id, and nothing personal in any of them.

- Every request gets an id (``RequestIdMiddleware``): the proxy's ``X-Request-ID`` when
  ``TRUST_REQUEST_ID_HEADER`` is on and the value looks like an id, else a new one.  It
  is on every log line written while the request runs, in the ``X-Request-ID`` response
  header (so gunicorn's access log has it too), and on the error pages parents see as
  their "reference": an operator searches the logs for it.
- A cron command's lines carry the id of its run (``clinic.ops.jobs``), kept in
  ``job_run.last_run_id``.
- Every line passes ``clinic.ops.redact`` (tokens and email addresses blanked), message,
  traceback and stack alike.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import secrets
import sys
from contextlib import contextmanager

from flask import Flask, has_request_context, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from .redact import redact

REQUEST_ID_HEADER = "X-Request-ID"
ENVIRON_KEY = "clinic.request_id"
# Letters, digits, dot, dash, underscore; 8 to 128 of them (nginx's $request_id is 32 hex).
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,127}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

APP_LOGGERS = ("clinic", "gunicorn", "werkzeug", "alembic")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = ["levelname", "name", "message", "request_id", "route", "process"]


def new_request_id() -> str:
    return secrets.token_hex(8)


def valid_request_id(value: str | None) -> bool:
    return value is not None and _VALID_ID.match(value) is not None


def current_request_id() -> str:
    """The id of the request (or cron run) this code runs for; "-" outside either."""
    if has_request_context():
        return request.environ.get(ENVIRON_KEY) or _current.get()
    return _current.get()


@contextmanager
def log_context(request_id: str):
    """Lines logged inside carry ``request_id`` (a cron run's id, for example)."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    """Gives each request its id before Flask sees it, so every hook, error handler and
    the response header agree, even when a check before the view refuses the request."""

    def __init__(self, wsgi_app, *, trust_header: bool):
        self.wsgi_app = wsgi_app
        self.trust_header = trust_header

    def __call__(self, environ, start_response):
        offered = environ.get("HTTP_X_REQUEST_ID")
        if self.trust_header and valid_request_id(offered):
            request_id = offered
        else:
            request_id = new_request_id()
        environ[ENVIRON_KEY] = request_id

        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        with log_context(request_id):
            return self.wsgi_app(environ, start)


# --- filters and formatters ------------------------------------------------------------


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``route`` (the URL rule, never the path) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if not hasattr(record, "route"):
            rule = request.url_rule if has_request_context() else None
            record.route = rule.rule if rule is not None else "-"
        return True


class RedactFilter(logging.Filter):
    """Blanks tokens and email addresses in the message, the traceback and the stack."""

    _exceptions = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not stop the line
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info:
            record.exc_text = redact(self._exceptions.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,
    )


def text_formatter() -> logging.Formatter:
    return logging.Formatter(TEXT_FORMAT)


def formatter(kind: str) -> logging.Formatter:
    if kind not in ("json", "text"):
        raise ValueError("LOG_FORMAT must be json or text")
    return json_formatter() if kind == "json" else text_formatter()


def default_format() -> str:
    """For processes that have no app config (gunicorn's own logs): the same default as
    ``config.py`` (JSON in production)."""
    production = os.environ.get("CLINIC_CONFIG") == "production"
    return os.environ.get("LOG_FORMAT") or ("json" if production else "text")


def protect(handler: logging.Handler) -> logging.Handler:
    """Add the request id and the redaction to a handler (once)."""
    if not any(isinstance(f, RedactFilter) for f in handler.filters):
        handler.addFilter(ContextFilter())
        handler.addFilter(RedactFilter())
    return handler


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (gunicorn and pytest swap it)."""

    _clinic_ops = True  # the service's own: configure() called again replaces it

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure(app: Flask) -> None:
    """One handler on the root logger for the whole process: every library's lines get the
    same format, request id and redaction.  Safe to call again (tests build many apps)."""
    handler = protect(_StderrHandler())
    handler.setFormatter(formatter(app.config.get("LOG_FORMAT", "text")))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_clinic_ops", False):
            root.removeHandler(old)
        else:  # another's handler (Alembic's console, after `flask db upgrade`): redact there too
            protect(old)
    root.addHandler(handler)
    # The service's own lines at LOG_LEVEL; other libraries' only from WARNING up.
    root.setLevel(logging.WARNING)
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(app.config.get("LOG_LEVEL", "INFO"))
    app.logger.removeHandler(default_handler)
    # Flask's documented way to add WSGI middleware, which mypy reads as replacing a method.
    app.wsgi_app = RequestIdMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, trust_header=app.config.get("TRUST_REQUEST_ID_HEADER", False)
    )
    app.add_template_global(current_request_id, "request_id")
