"""Sign in, sign out, and set a password from an emailed link."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import client_address, db, limit_key, limiter, login_manager
from ..forms import ConfirmForm, form_view, show_rule_error
from ..models import User, normalise_email, utcnow
from ..outbox.after_commit import after_the_answer
from ..security_events import (
    LOCK_OUT,
    SESSION_ENDED,
    SIGN_IN_FAILED,
    SIGN_IN_SUCCEEDED,
    security_event,
)
from ..sqlite import READ_METHODS
from . import browsers, mfa, service, sessions
from .forms import EmailLinkForm, SetPasswordForm, SignInForm

bp = Blueprint("auth", __name__, url_prefix="/staff")

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


# The staff session's random id and the time this copy was last seen (epoch seconds),
# in Flask's signed session cookie (see clinic/auth/sessions.py).
SESSION_ID, SEEN = "staff_sid", "staff_seen"
# The second factor (clinic/auth/mfa_views.py): the step still owed after the password
# (mfa.CODE or mfa.SET_UP), and when it was passed (epoch seconds).
MFA_PENDING, MFA_AT = "staff_mfa_pending", "staff_mfa_at"


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in user, if the cookie's staff session is still good (Flask-Login calls
    this once a request, the first time ``current_user`` is needed)."""
    token = cookie.get(SESSION_ID)
    if not isinstance(token, str) or not user_id.isdigit():
        _forget()
        return None
    now = utcnow()
    stamp = cookie.get(SEEN)
    seen = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) else None
    result = sessions.check(db.session, token, int(user_id), seen=seen, now=now)
    if result.user is None or result.row is None:  # check() gives a user only with its row
        _forget()
        if result.problem == sessions.IDLE:
            minutes = current_app.config["STAFF_SESSION_IDLE_MINUTES"]
            flash(f"You were signed out after {minutes} minutes without activity.", "info")
        elif result.problem == sessions.EXPIRED:
            hours = current_app.config["STAFF_SESSION_MAX_HOURS"]
            flash(f"You were signed out {hours} hours after signing in.", "info")
        return None
    if seen is None or now - seen >= sessions.touch_every():
        cookie[SEEN] = int(now.timestamp())
    if request.method not in READ_METHODS:
        sessions.touch(db.session, result.row, now=now)
    return result.user


def _forget() -> None:
    """Drop a dead sign-in from the cookie (it signs nobody in either way)."""
    for key in (SESSION_ID, SEEN, MFA_PENDING, MFA_AT, "_user_id", "_fresh", "_id"):
        cookie.pop(key, None)


def start_session(user: User, *, confirmed: bool = True) -> None:
    """Sign ``user`` in with a new staff session.  Everything the cookie held before is
    dropped, so an id planted before sign-in is never the signed-in one (fixation).
    ``confirmed``: the password was typed (not a one-time link; see ``reauth``)."""
    cookie.clear()
    token = sessions.start(
        db.session,
        user,
        confirmed=confirmed,
        browser=browsers.describe(request.headers.get("User-Agent")),
    )
    login_user(user)
    cookie[SESSION_ID] = token
    cookie[SEEN] = int(utcnow().timestamp())


def after_first_factor(user: User, target: str):
    """The password (or a one-time link) was right: on to ``target``, unless a second
    factor is owed first; then its page, which goes on to ``target`` once it is given.
    Until then ``mfa_views.second_factor_gate`` lets this session reach nothing else."""
    step = mfa.next_step(db.session, user)
    if step is None:
        return redirect(target)
    cookie[MFA_PENDING] = step
    endpoint = "mfa.code" if step == mfa.CODE else "mfa.set_up"
    return redirect(url_for(endpoint, next=target))


def _typed_email() -> str:
    return normalise_email(request.form.get("email", ""))[:254]


def _account_key() -> str:
    """Keyed hashes (``limit_key``): the limits' store holds no address in clear."""
    return limit_key("sign-in", _typed_email())


def _account_and_address_key() -> str:
    return limit_key("sign-in-from", f"{_typed_email()}|{client_address()}")


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits (a success redirects)."""
    return response.status_code != 302


def _offer_sign_in_link(limit):
    """When an account's own limit is reached (someone, anywhere, keeps trying it), its
    owner can still get in: the page offers a one-time sign-in link by email.  It says the
    same for any address typed, so it tells nobody whether the account exists."""
    security_event(LOCK_OUT, reason="sign_in")
    form = EmailLinkForm(formdata=None, email=_typed_email())
    return current_app.make_response(
        (render_template("auth/sign_in_throttled.html", form=form), 429)
    )


def _safe_next(target: str | None) -> str | None:
    """A path on this site, or None.  Browsers read a backslash as a slash ("/\\evil" is
    "//evil", another site), so none is allowed, nor a control character."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """Officers and school staff land on their clinics; coordinators on the schools; the
    service owner on the partnerships (``owner_home_url``)."""
    if user.role == "admin":
        return url_for("schools.list_schools")
    if user.role == "owner":
        return owner_home_url()
    return url_for("schedule.dashboard")


OWNER_PARTNERSHIPS = "partnerships.index"  # the owner's list of partnerships (issue 21)


def owner_home_url() -> str:
    """The service owner's first page: the partnerships, once that page is installed; until
    then a page saying there is no family's data for them to see."""
    if OWNER_PARTNERSHIPS in current_app.view_functions:
        return url_for(OWNER_PARTNERSHIPS)
    return url_for("auth.owner_home")


@bp.app_context_processor
def _owner_links():
    return {"owner_home_url": owner_home_url}


@bp.get("/owner")
@login_required
def owner_home():
    """The service owner's landing page: they make partnerships and see no family's data;
    everyone else goes to their own first page."""
    if current_user.role != "owner":
        return redirect(home_for(current_user))
    return render_template("auth/owner_home.html", partnerships_url=owner_home_url())


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"],
    key_func=_account_and_address_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_offer_sign_in_link,
)
@form_view
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        user = service.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            response = after_first_factor(
                user, _safe_next(request.args.get("next")) or home_for(user)
            )
            db.session.commit()
            security_event(SIGN_IN_SUCCEEDED, user_id=user.id, role=user.role, how="password")
            return response
        # One message, the same for a wrong email and a wrong password.
        form.email.errors.append("Enter a correct email address and password")
        security_event(SIGN_IN_FAILED, how="password")
    return render_template("auth/sign_in.html", form=form, demo_accounts=_demo_accounts())


def _demo_accounts() -> list[dict[str, str]]:
    """The accounts the last ``flask demo seed`` wrote to ``DEMO_ACCOUNTS_FILE``, shown on
    the sign-in page of a development copy only (the page reads the file; it never loads
    the seed)."""
    if not current_app.config.get("SHOW_DEMO_ACCOUNTS"):
        return []
    try:
        rows = json.loads(Path(current_app.config["DEMO_ACCOUNTS_FILE"]).read_text())
    except (OSError, ValueError):
        return []
    return rows if isinstance(rows, list) else []


@bp.get("/sign-out")
def sign_out_page():
    """A page with a button: a GET never changes anything (rule 5)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/sign_out.html", form=ConfirmForm())


@bp.post("/sign-out")
def sign_out():
    token = cookie.get(SESSION_ID)
    if isinstance(token, str):
        sessions.end(db.session, token)
        db.session.commit()
        if current_user.is_authenticated:
            security_event(SESSION_ENDED, user_id=current_user.id, how="sign_out")
    logout_user()
    _forget()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html")


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@form_view
def set_password(token: str):
    try:
        user = service.user_for_token(db.session, token)
    except service.InvalidToken as exc:
        return render_template("auth/link_expired.html", reason=str(exc)), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password(db.session, user, form.password.data)
        except service.AccountError as error:
            db.session.rollback()
            show_rule_error(form, error)
        else:
            db.session.commit()
            logout_user()
            _forget()
            flash(
                "Your password is set. Sign in with your email address and new password.", "success"
            )
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, user=user)


# --- links by email: a forgotten password, a one-time sign-in ------------------------------


def _email_limits(view):
    """Links by email are limited per address typed (nobody's inbox is flooded) and per
    caller's address; every request counts, answered or not."""
    view = limiter.limit(
        lambda: current_app.config["EMAIL_LINK_LIMIT_PER_ADDRESS"], methods=["POST"]
    )(view)
    return limiter.limit(
        lambda: current_app.config["EMAIL_LINK_LIMIT_PER_EMAIL"],
        key_func=lambda: limit_key(f"email-link:{request.endpoint}", _typed_email()),
        methods=["POST"],
    )(view)


def _email_link_page(template: str, ask):
    form = EmailLinkForm()
    if form.validate_on_submit():
        # The same answer, in the same time, whether or not there is such an account: the
        # look-up and the email are made once the answer has gone.
        after_the_answer(ask, form.email.data)
        return render_template("auth/check_email.html", email=form.email.data)
    return render_template(template, form=form)


@bp.route("/forgotten-password", methods=["GET", "POST"])
@_email_limits
@form_view
def forgotten_password():
    return _email_link_page("auth/forgotten_password.html", service.request_password_reset)


@bp.route("/sign-in-link", methods=["GET", "POST"])
@_email_limits
@form_view
def sign_in_link():
    return _email_link_page("auth/sign_in_link.html", service.request_sign_in_link)


@bp.route("/sign-in-link/<token>", methods=["GET", "POST"])
@form_view
def sign_in_with_link(token: str):
    """Opening the link shows a button; pressing it signs in (a mail scanner that follows
    the link uses nothing up: rule 5)."""
    try:
        user = service.user_for_sign_in_token(db.session, token)
    except service.InvalidToken as exc:
        return render_template("auth/link_expired.html", reason=str(exc), kind="sign-in"), 410
    form = ConfirmForm()
    if form.validate_on_submit():
        service.sign_in_with_link(db.session, user)
        start_session(user, confirmed=False)  # a link is not the password: reauth asks it
        response = after_first_factor(user, home_for(user))  # a first factor only
        db.session.commit()
        security_event(SIGN_IN_SUCCEEDED, user_id=user.id, role=user.role, how="link")
        return response
    return render_template("auth/sign_in_with_link.html", form=form, user=user)
