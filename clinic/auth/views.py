"""Sign in, sign out, and set a password from an emailed link."""

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter, login_manager
from ..forms import ConfirmForm, form_view, show_rule_error
from ..models import User, normalise_email
from . import service
from .forms import SetPasswordForm, SignInForm

bp = Blueprint("auth", __name__, url_prefix="/staff")

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def roles_required(*roles: str):
    """Signed-in staff with one of ``roles``; anyone else gets the not-found page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            service.require_role(*roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _account_key() -> str:
    return "sign-in:" + normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    """Only failed sign-ins count towards the limits (a success redirects)."""
    return response.status_code != 302


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """Officers and school staff land on their clinics; coordinators on the schools."""
    if user.role == "admin":
        return url_for("schools.list_schools")
    return url_for("schedule.dashboard")


@bp.route("/sign-in", methods=["GET", "POST"])
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
)
@form_view
def sign_in():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        user = service.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user)
            current_app.logger.info("staff sign-in user_id=%s", user.id)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        # One message, the same for a wrong email and a wrong password.
        form.email.errors.append("Enter a correct email address and password")
        current_app.logger.info("failed staff sign-in")
    return render_template("auth/sign_in.html", form=form, demo_accounts=_demo_accounts())


def _demo_accounts() -> list[dict[str, str]]:
    """The demo seed's accounts, shown on the sign-in page of a development copy only."""
    if not current_app.config.get("SHOW_DEMO_ACCOUNTS"):
        return []
    from ..demo import saved_accounts  # development only: not loaded in production

    return saved_accounts(current_app.config["DEMO_ACCOUNTS_FILE"])


@bp.get("/sign-out")
def sign_out_page():
    """A page with a button: a GET never changes anything (rule 5)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/sign_out.html", form=ConfirmForm())


@bp.post("/sign-out")
def sign_out():
    logout_user()
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
            flash(
                "Your password is set. Sign in with your email address and new password.", "success"
            )
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, user=user)
