"""Security headers on every response, set in one ``after_request``.

Every answer the app gives (pages, error pages, static files, downloads, JSON) carries:

- ``Content-Security-Policy``: scripts, styles, images and fonts from this site only, no
  inline script or style (GOV.UK Frontend's body-class snippet is a static file, see
  ``templates/layout.html``), no plugins, no ``<base>``, forms post to this site only, and
  ``frame-ancestors 'none'``: no other site can frame a page (clickjacking a staff
  member's "Cancel clinic" button);
- ``X-Frame-Options: DENY`` for browsers that predate ``frame-ancestors``;
- ``X-Content-Type-Options: nosniff``;
- ``Referrer-Policy: no-referrer``: pages opened from a parent's link carry its token in
  their address, so no page hands its address to the next site (a guidance link, say);
- ``Permissions-Policy: browsing-topics=()``: no interest-based advertising topics;
- ``Strict-Transport-Security`` (one year) in production, on answers over HTTPS
  (``request.is_secure`` or the proxy's ``X-Forwarded-Proto``), subdomains of the
  service's own host included.

The headers are the same for every request (no nonce: there is no inline script), so they
are worked out once, on import, and copied onto each answer; a view that needs others
says so with ``@own_headers(...)``.  Flask-Talisman set them before: as it comes it works
each view's options out four times a request and joins the policy every time (0.3 million
instructions a request, a seventh of the home page, which comes from
``clinic.pagecache``), and keeping what it worked out took overriding three of its
private methods.  There is no HTTPS redirect here (TLS ends at the proxy, which
redirects) and the cookie settings are ``config.py``'s.

Pages drawn for a signed-in staff member (parents' names, emails and needs) also get
``Cache-Control: no-store`` unless the view set its own, so the browser keeps no copy
for whoever uses the computer next (pages opened from a parent's link already do, see
``clinic.links.keep_private``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import Flask, Response, g, request

SELF = "'self'"
NONE = "'none'"

CONTENT_SECURITY_POLICY: dict[str, str | list[str]] = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    # data: for the blank favicon in base.html (``<link rel="icon" href="data:,">``).
    "img-src": [SELF, "data:"],
    "font-src": SELF,
    "connect-src": SELF,  # the check-in page's background marks
    "object-src": NONE,
    "base-uri": NONE,
    "form-action": SELF,
    "frame-ancestors": NONE,
}
HSTS = f"max-age={365 * 24 * 3600}; includeSubDomains"


def policy_header(policy: Mapping[str, str | list[str]]) -> str:
    """``{"img-src": ["'self'", "data:"]}`` as ``img-src 'self' data:``, directives
    joined by ``; ``."""
    return "; ".join(
        f"{name} {sources if isinstance(sources, str) else ' '.join(sources)}"
        for name, sources in policy.items()
    )


HEADERS = {
    "Content-Security-Policy": policy_header(CONTENT_SECURITY_POLICY),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "browsing-topics=()",
}

View = TypeVar("View", bound=Callable[..., object])


def own_headers(
    *,
    frame_options: str | None = None,
    content_security_policy: Mapping[str, str | list[str]] | None = None,
) -> Callable[[View], View]:
    """A view's own ``X-Frame-Options`` or policy in place of the site's (a page meant to
    be framed, say); the other headers stay."""
    headers = dict(HEADERS)
    if frame_options is not None:
        headers["X-Frame-Options"] = frame_options
    if content_security_policy is not None:
        headers["Content-Security-Policy"] = policy_header(content_security_policy)

    def mark(view: View) -> View:
        view.security_headers = headers  # type: ignore[attr-defined]
        return view

    return mark


def register(app: Flask) -> None:
    hsts = bool(app.config.get("PRODUCTION"))

    def set_security_headers(response: Response) -> Response:
        view = app.view_functions.get(request.endpoint or "")
        response.headers.update(getattr(view, "security_headers", HEADERS))
        if hsts and (request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"):
            response.headers["Strict-Transport-Security"] = HSTS
        return response

    app.after_request(set_security_headers)
    app.after_request(_no_store_for_staff)


def _no_store_for_staff(response: Response) -> Response:
    # The user Flask-Login loaded for this request, if any (never loaded here: the 503
    # page is drawn without the database).
    user = g.get("_login_user")
    if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
