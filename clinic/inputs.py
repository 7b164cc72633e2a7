"""What a request may carry: only what a browser sends from this service's own pages.

Every form here is posted by a browser as ``application/x-www-form-urlencoded`` (the
check-in page's script sends the same form as ``multipart/form-data``).  Anything else —
a JSON body, XML, a file — is answered 415 before a view sees it; a body that is not
valid UTF-8 is a 400; one over ``MAX_CONTENT_LENGTH`` a 413 (Werkzeug's limit; a view
marked ``@upload_limit`` takes a multipart body up to its own setting instead); a
CSRF token sent twice a 400.  Repeated values for a single-value field are refused by
``clinic.forms.Form`` (only the form knows which fields take several), and text is made
safe to keep by ``clinic.text`` (forms) and ``clinic.models`` (columns).

Each answer is the service's own error page (``clinic.error_pages``), never a 500.

The values in the address (``request.args``: a search, a filter, a page number) are cleaned
as a one-line text box is (``clinic.text.one_line``), once, for every view: a NUL or another
control character a script put there is a space, so ``/schools?q=%00`` is a search for
nothing rather than a value PostgreSQL refuses (``psycopg.DataError``, a 500).  A text part
of the path (a school's slug, a link's token) holding a control character matches no route
(``TextConverter``): the not-found page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, abort, current_app, request
from flask import Request as FlaskRequest
from werkzeug.datastructures import MultiDict
from werkzeug.routing import UnicodeConverter
from werkzeug.utils import cached_property

from .text import one_line

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")


def upload_limit(setting: str):
    """Mark a view that takes a file: its body may be up to ``current_app.config[setting]``
    megabytes, rather than the forms' ``MAX_CONTENT_LENGTH`` (the only way past it)."""

    def mark(view):
        view.upload_limit_setting = setting
        return view

    return mark


def _raise_limit_for_uploads() -> None:
    """Werkzeug reads ``request.max_content_length`` when the body is first parsed, which
    is below (before any view's own ``before_request``): so it is set here, per request."""
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "upload_limit_setting", None)
    if setting is not None and request.mimetype == FORM_TYPES[1]:  # a file comes multipart
        request.max_content_length = int(current_app.config[setting]) * 1024 * 1024


def check_request_body() -> None:
    """``before_request``: refuse a body no browser would send from our pages."""
    if request.method not in WITH_BODY:
        return
    _raise_limit_for_uploads()
    mimetype = request.mimetype
    if mimetype not in FORM_TYPES:
        if mimetype or request.get_data(cache=True):  # a bare empty POST is harmless
            abort(415)
        return
    if mimetype == FORM_TYPES[0]:
        _check_urlencoded(request.get_data(cache=True))
    elif any("\ufffd" in value for value in request.form.values()):
        # Werkzeug replaces bytes that are not UTF-8 in a multipart field with U+FFFD.
        abort(400)
    if len(request.form.getlist("csrf_token")) > 1:
        abort(400)


def _check_urlencoded(body: bytes) -> None:
    """The body is ASCII with %-escapes of UTF-8, as browsers send it.

    Werkzeug would quietly keep bytes that are not UTF-8 as literal ``%ED%A0`` text (or drop
    the whole form if the raw body is not UTF-8); here both are a 400."""
    try:
        parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        abort(400)


class Request(FlaskRequest):
    """Flask's request, with every value in the address cleaned (see the module's note)."""

    @cached_property
    def args(self) -> MultiDict[str, str]:
        parsed = super().args  # Werkzeug's parsing (its cache is then replaced by this one)
        return self.parameter_storage_class(
            [(one_line(key), one_line(value)) for key, value in parsed.items(multi=True)]
        )


class TextConverter(UnicodeConverter):
    """The ``<string>`` part of a route (the default), without control characters."""

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]", 1)


def register(app: Flask) -> None:
    """Before the blueprints: their routes take their converters from the map as they are
    added."""
    app.request_class = Request
    app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
    # Run before CSRFProtect's own check, so a JSON body gets 415, not "page expired".
    app.before_request_funcs.setdefault(None, []).insert(0, check_request_body)
