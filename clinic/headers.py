"""Security headers on every response, set by Flask-Talisman.

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
- ``Strict-Transport-Security`` (one year) in production, on answers over HTTPS
  (``request.is_secure`` or the proxy's ``X-Forwarded-Proto``), subdomains of the
  service's own host included.

Pages drawn for a signed-in staff member (parents' names, emails and needs) also get
``Cache-Control: no-store`` unless the view set its own, so the browser keeps no copy
for whoever uses the computer next (pages opened from a parent's link already do, see
``clinic.links.keep_private``).

Talisman's HTTPS redirect is off: TLS ends at the proxy, and the proxy redirects. Its
cookie settings are left to ``config.py`` (Talisman would otherwise force
``SESSION_COOKIE_SECURE`` on, which breaks sign-in over plain HTTP in ``make run``).
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_talisman import Talisman as _Talisman

SELF = "'self'"
NONE = "'none'"

CONTENT_SECURITY_POLICY = {
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
HSTS_MAX_AGE = 365 * 24 * 3600


class Talisman(_Talisman):
    """Flask-Talisman, with the headers it works out from the settings kept once.

    Talisman works out each view's options four times a request and joins the policy
    dictionary into its header every time: about 0.14 ms of every page, as much as the
    page itself when it comes from ``clinic.pagecache`` (``python -m bench.profile``).
    No view here sets options of its own (``@talisman(...)``), no nonce is used and the
    HTTPS redirect is off, so the options and the policy are the same for every
    request: they are worked out by Talisman's own code the first time and kept.  A view
    that does set options is still worked out by Talisman each time.  The headers it
    sets are checked by ``tests/core/test_headers.py``.
    """

    def init_app(self, app, **settings):
        self.__dict__.pop("_kept_options", None)  # one instance serves every app made
        self.__dict__.pop("_kept_policies", None)
        return super().init_app(app, **settings)

    def _view_sets_options(self) -> bool:
        view = current_app.view_functions.get(request.endpoint)
        return hasattr(view, "talisman_view_options")

    def _get_local_options(self):
        if self._view_sets_options():
            return super()._get_local_options()
        options = self.__dict__.get("_kept_options")
        if options is None:
            options = self._kept_options = super()._get_local_options()
        return options

    def _parse_policy(self, policy):
        if self.content_security_policy_nonce_in or self._view_sets_options():
            return super()._parse_policy(policy)
        kept = self.__dict__.setdefault("_kept_policies", {})
        if id(policy) not in kept:  # the policy is kept too, so its id is never reused
            kept[id(policy)] = (policy, super()._parse_policy(policy))
        return kept[id(policy)][1]

    def _force_https(self):
        if self.force_https or self.session_cookie_secure or self._view_sets_options():
            return super()._force_https()
        return None


talisman = Talisman()


def register(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=False,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="no-referrer",
        strict_transport_security=bool(app.config.get("PRODUCTION")),
        strict_transport_security_max_age=HSTS_MAX_AGE,
        strict_transport_security_include_subdomains=True,
        session_cookie_secure=False,
        session_cookie_http_only=True,
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
        x_content_type_options=True,
    )
    app.after_request(_no_store_for_staff)


def _no_store_for_staff(response):
    # The user Flask-Login loaded for this request, if any (never loaded here: the 503
    # page is drawn without the database).
    user = g.get("_login_user")
    if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
