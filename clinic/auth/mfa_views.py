"""The second-factor pages: the code after the password, setting up an authenticator app,
recovery codes, turning it off, and a coordinator's reset.  Staff pages: English only.

``second_factor_gate`` runs before every request: a signed-in session that still owes a
second factor (``views.MFA_PENDING``), or whose role needs one it has not given, reaches
only these pages and signing out.  Wrong codes are limited like wrong passwords.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import wraps

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_login import current_user, login_required
from werkzeug.security import check_password_hash

from ..extensions import client_address, db, limiter
from ..forms import CSRF_MESSAGE, ConfirmForm, form_view, show_rule_error
from ..i18n import english_only
from ..models import User, utcnow
from ..qr import qr_svg
from ..security_events import SECOND_FACTOR_FAILED, security_event
from . import mfa, passkeys
from .access import current_staff, require_partnership, roles_required
from .mfa_forms import CodeForm, PasskeyForm, PasskeySignInForm, TurnOffForm
from .notify import notify_account_change
from .views import MFA_AT, MFA_PENDING, _demo_accounts, _safe_next, home_for

bp = Blueprint("mfa", __name__, url_prefix="/staff")

# Set up in progress (the secret not yet confirmed) and new recovery codes to show once:
# kept in the signed session cookie, never in the database before they are confirmed.
NEW_SECRET, NEW_CODES = "staff_mfa_new_secret", "staff_mfa_new_codes"
# The challenge of the passkey ceremony a page started (clinic/auth/passkeys.py): taken
# out of the cookie by the POST that answers it, so it works once.
PASSKEY_SIGN_IN, PASSKEY_ADD = "staff_passkey_sign_in", "staff_passkey_add"

# What a session that owes a second factor may still reach.
OPEN = frozenset(
    {
        "static",
        "auth.sign_out_page",
        "auth.sign_out",
        "mfa.code",
        "passkeys.sign_in",
        "mfa.set_up",
        "mfa.recovery_codes",
        "mfa.recovery_codes_text",
    }
)


@bp.before_app_request
def second_factor_gate():
    """Nothing but the second-factor pages for a session that owes one (enforced here for
    every page, not view by view)."""
    if request.endpoint in OPEN or "_user_id" not in cookie or cookie.get(MFA_AT):
        return None
    if not current_user.is_authenticated:
        return None
    step = cookie.get(MFA_PENDING)
    if step is None:
        if not mfa.required_for(current_user):
            return None
        # Their role came to need one while signed in (or the setting changed).
        step = mfa.next_step(db.session, current_user) or mfa.SET_UP
        cookie[MFA_PENDING] = step
    target = None
    if request.method == "GET":
        target = request.full_path if request.query_string else request.path
    return redirect(url_for("mfa.code" if step == mfa.CODE else "mfa.set_up", next=target))


@bp.app_context_processor
def _second_factor_helpers():
    return {"has_second_factor": lambda user: mfa.factor_of(db.session, user) is not None}


def _passed() -> None:
    cookie.pop(MFA_PENDING, None)
    cookie[MFA_AT] = int(utcnow().timestamp())


def second_factor_passed_at() -> datetime | None:
    """When this session last gave its second factor (for re-authentication), or None."""
    stamp = cookie.get(MFA_AT)
    return datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) else None


def _onward() -> str:
    return _safe_next(request.args.get("next")) or home_for(current_staff())


# --- wrong codes are limited like wrong passwords ----------------------------------------


def _user_key() -> str:
    return f"mfa:{current_user.get_id()}"


def _user_and_address_key() -> str:
    return f"mfa:{current_user.get_id()}|{client_address()}"


def _failed(response) -> bool:
    return response.status_code != 302


def _too_many(limit):
    return make_response(render_template("auth/mfa_throttled.html"), 429)


def _code_limits(view):
    view = limiter.limit(
        lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
        key_func=_user_key,
        methods=["POST"],
        deduct_when=_failed,
        on_breach=_too_many,
    )(view)
    return limiter.limit(
        lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"],
        key_func=_user_and_address_key,
        methods=["POST"],
        deduct_when=_failed,
        on_breach=_too_many,
    )(view)


def _staff_page(view):
    """Signed in (a second factor may still be owed); English."""

    @wraps(view)  # its module and name too: csrf.exempt knows views by them
    def wrapped(*args, **kwargs):
        english_only()
        return view(*args, **kwargs)

    return login_required(wrapped)


# --- after the password -------------------------------------------------------------------


@bp.route("/sign-in/code", methods=["GET", "POST"])
@_staff_page
@_code_limits
@form_view
def code():
    if cookie.get(MFA_PENDING) != mfa.CODE:
        return redirect(_onward())
    user = current_staff()
    form = CodeForm()
    if form.validate_on_submit():
        if mfa.verify_second_factor(db.session, user, form.code.data):
            _passed()
            db.session.commit()
            left = mfa.recovery_codes_left(db.session, user)
            if left <= 3:
                flash(
                    f"You have {left} recovery code{'s' if left != 1 else ''} left. "
                    "Get new ones on the Second factor page of Your account.",
                    "info",
                )
            return redirect(_onward())
        db.session.commit()  # nothing to keep, but end the transaction
        form.code.errors.append("The code is not right. Enter the code your app shows now")
        security_event(SECOND_FACTOR_FAILED, user_id=user.id, how="sign_in")
    return code_page(user, form=form)


def code_page(user: User, *, form=None, passkey_form=None, status: int = 200):
    """The code page, with "Use a passkey" (and a new challenge) if ``user`` has any."""
    options = None
    if passkeys.passkeys_of(db.session, user):
        challenge, cookie[PASSKEY_SIGN_IN] = passkeys.issue_challenge()
        options = passkeys.authentication_options(db.session, user, challenge)
    page = render_template(
        "auth/mfa_code.html",
        form=CodeForm(formdata=None) if form is None else form,
        passkey_form=PasskeySignInForm(formdata=None) if passkey_form is None else passkey_form,
        passkey_options=options,
        demo_code=_demo_code(user),
    )
    return page, status


def _demo_code(user: User) -> str | None:
    """On a development copy, a demo account's code now (beside its demo password)."""
    if not any(row.get("email") == user.email for row in _demo_accounts()):
        return None
    factor = mfa.factor_of(db.session, user)
    return mfa.current_code(mfa.secret_of(factor)) if factor is not None else None


# --- setting up an authenticator app -----------------------------------------------------


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@_staff_page
@_code_limits
@form_view
def set_up():
    user = current_staff()
    owed = cookie.get(MFA_PENDING)
    if owed == mfa.CODE or (owed is None and mfa.factor_of(db.session, user) is not None):
        return redirect(url_for(".manage"))
    secret = cookie.get(NEW_SECRET)
    if not isinstance(secret, str):
        secret = cookie[NEW_SECRET] = mfa.new_secret()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.enable(db.session, user, secret, form.code.data)
        except mfa.SecondFactorError as error:
            db.session.rollback()
            show_rule_error(form, error)
        else:
            db.session.commit()
            cookie.pop(NEW_SECRET, None)
            cookie[NEW_CODES] = codes
            _passed()
            current_app.logger.info("staff second factor set up user_id=%s", user.id)
            return redirect(url_for(".recovery_codes", next=request.args.get("next")))
    uri = mfa.provisioning_uri(user, secret)
    return render_template(
        "auth/mfa_set_up.html",
        form=form,
        qr=qr_svg(uri, "QR code to scan with your authenticator app", "app-mfa__qr", pixels=220),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        required=mfa.required_for(user),
        during_sign_in=owed == mfa.SET_UP,
    )


# --- recovery codes: shown once ----------------------------------------------------------


def _new_codes() -> list[str] | None:
    codes = cookie.get(NEW_CODES)
    return codes if isinstance(codes, list) else None


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
@_staff_page
@form_view
def recovery_codes():
    codes = _new_codes()
    if codes is None:
        return redirect(url_for(".manage"))
    form = ConfirmForm()
    if form.validate_on_submit():
        cookie.pop(NEW_CODES, None)  # shown once: gone from the cookie too
        return redirect(_onward())
    return render_template("auth/mfa_recovery_codes.html", codes=codes, form=form)


@bp.get("/two-factor/recovery-codes.txt")
@_staff_page
def recovery_codes_text():
    codes = _new_codes()
    if codes is None:
        return redirect(url_for(".manage"))
    service = current_app.config["SERVICE_NAME"]
    text = (
        f"Recovery codes for {current_user.email} on {service}\n"
        "Each code works once, instead of a code from your authenticator app.\n"
        "Keep them somewhere safe, away from your phone.\n\n" + "\n".join(codes) + "\n"
    )
    response = make_response(text)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- Your account: the second factor -----------------------------------------------------


@bp.get("/two-factor")
@_staff_page
def manage():
    return manage_page(current_staff())


def manage_page(user: User, *, form=None, passkey_form=None, status: int = 200):
    """Your account's second factor: the app, recovery codes and passkeys.  Someone with
    the app set up (who has given it this session, or the gate would not let them here)
    may add a passkey: the page starts the ceremony with a new challenge."""
    factor = mfa.factor_of(db.session, user)
    options = None
    if factor is not None:
        challenge, cookie[PASSKEY_ADD] = passkeys.issue_challenge()
        options = passkeys.registration_options(db.session, user, challenge)
    page = render_template(
        "auth/mfa_manage.html",
        factor=factor,
        left=mfa.recovery_codes_left(db.session, user) if factor else 0,
        required=mfa.required_for(user),
        form=CodeForm(formdata=None) if form is None else form,
        passkeys=passkeys.passkeys_of(db.session, user),
        passkey_form=PasskeyForm(formdata=None) if passkey_form is None else passkey_form,
        passkey_options=options,
    )
    return page, status


@bp.post("/two-factor/recovery-codes/new")
@_staff_page
@_code_limits
@form_view
def new_recovery_codes():
    """New recovery codes (the old ones stop working), after a code from the app."""
    user = current_staff()
    form = CodeForm()
    factor = mfa.factor_of(db.session, user)
    if factor is None:
        return redirect(url_for(".manage"))
    if form.validate_on_submit():
        if mfa.verify_second_factor(db.session, user, form.code.data):
            codes = mfa.new_recovery_codes(db.session, user)
            notify_account_change(db.session, user, "recovery_codes")
            db.session.commit()
            cookie[NEW_CODES] = codes
            return redirect(url_for(".recovery_codes", next=url_for(".manage")))
        db.session.commit()
        form.code.errors.append("The code is not right. Enter the code your app shows now")
        security_event(SECOND_FACTOR_FAILED, user_id=user.id, how="new_codes")
    return manage_page(user, form=form, status=400)


@bp.route("/two-factor/turn-off", methods=["GET", "POST"])
@_staff_page
@_code_limits
@form_view
def turn_off():
    """Turning one's own second factor off needs the password and a code (whoever sits at
    an unlocked, signed-in computer cannot do it)."""
    user = current_staff()
    if mfa.factor_of(db.session, user) is None:
        return redirect(url_for(".manage"))
    form = TurnOffForm()
    if form.validate_on_submit():
        right_password = bool(user.password_hash) and check_password_hash(
            user.password_hash or "", form.password.data
        )
        if not right_password:
            form.password.errors.append("Enter your password correctly")
        elif not mfa.verify_second_factor(db.session, user, form.code.data):
            form.code.errors.append("The code is not right. Enter the code your app shows now")
            security_event(SECOND_FACTOR_FAILED, user_id=user.id, how="turn_off")
        else:
            mfa.remove_own(db.session, user)
            db.session.commit()
            if mfa.required_for(user):  # their role needs one: set up a new one now
                cookie.pop(MFA_AT, None)
                cookie[MFA_PENDING] = mfa.SET_UP
                flash("Your second factor is off. Set up a new one to carry on.", "info")
                return redirect(url_for(".set_up", next=url_for(".manage")))
            flash("Your second factor is turned off.", "success")
            return redirect(url_for(".manage"))
        db.session.commit()
    return render_template("auth/mfa_turn_off.html", form=form, required=mfa.required_for(user))


# --- a coordinator resets someone else's ---------------------------------------------------


@bp.post("/two-factor/reset/<int:user_id>")
@roles_required("admin")
@form_view
def reset(user_id: int):
    user = db.get_or_404(User, user_id)
    require_partnership(user.partnership_id)  # another partnership's: not found
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
        return redirect(url_for("schools.show_staff", user_id=user_id))
    try:
        mfa.reset_for(db.session, current_staff(), user)
    except mfa.SecondFactorError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(
            f"{user.name}'s second factor is reset and they are signed out everywhere. "
            "We have emailed them.",
            "success",
        )
    return redirect(url_for("schools.show_staff", user_id=user_id))
