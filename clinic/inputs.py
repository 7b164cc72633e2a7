"""What a request may carry: only what a browser sends from this service's own pages.

Every form here is posted by a browser as ``application/x-www-form-urlencoded`` (the
check-in page's script sends the same form as ``multipart/form-data``).  Anything else —
a JSON body, XML, a file — is answered 415 before a view sees it; a body that is not
valid UTF-8 is a 400; one over ``MAX_CONTENT_LENGTH`` a 413 (Werkzeug's limit); a
CSRF token sent twice a 400.  Repeated values for a single-value field are refused by
``clinic.forms.Form`` (only the form knows which fields take several), and text is made
safe to keep by ``clinic.text`` (forms) and ``clinic.models`` (columns).

Each answer is the service's own error page (``clinic.error_pages``), never a 500.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, abort, request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
WITH_BODY = ("POST", "PUT", "PATCH", "DELETE")


def check_request_body() -> None:
    """``before_request``: refuse a body no browser would send from our pages."""
    if request.method not in WITH_BODY:
        return
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


def register(app: Flask) -> None:
    # Run before CSRFProtect's own check, so a JSON body gets 415, not "page expired".
    app.before_request_funcs.setdefault(None, []).insert(0, check_request_body)
