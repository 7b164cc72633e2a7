"""The signed-in person's own pages about their sign-in: "Confirm your password" (before a
sensitive action, ``clinic.auth.reauth``) and "Your sessions" (OWASP ASVS 3.3.4): every
browser signed in as them, with a button to sign out of one, or of all but this one.
Staff pages, in English."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from ..error_pages import render_error
from ..extensions import db, limit_key, limiter
from ..forms import CSRF_MESSAGE, ConfirmForm, form_view
from ..models import utcnow
from ..security_events import LOCK_OUT, SESSION_ENDED, security_event
from . import mfa, reauth, sessions
from .access import current_staff
from .forms import ConfirmPasswordForm
from .views import _forget, _safe_next

bp = Blueprint("staff_account", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def signed_in_only():
    """Every page here is the signed-in person's own."""


def _failed(response) -> bool:
    """Only wrong passwords count towards the limits (a success redirects)."""
    return response.status_code != 302


def _too_many_wrong_passwords(limit):
    """Someone with this session keeps guessing: the session ends, and signing in again
    has its own limits (and tells the account's owner nothing new)."""
    security_event(LOCK_OUT, user_id=current_user.id, reason="reauth")
    token = reauth.current_token()
    if token is not None:
        sessions.end(db.session, token, "reauth_failed")
        db.session.commit()
    logout_user()
    _forget()
    body, status = render_error(
        429, "You typed a wrong password too many times, so you have been signed out."
    )
    return current_app.make_response((body, status))


@bp.route("/confirm-password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["REAUTH_LIMIT_PER_ACCOUNT"],
    key_func=lambda: limit_key("reauth", str(current_user.get_id())),
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_too_many_wrong_passwords,
)
@form_view
def confirm_password():
    back = _safe_next(request.args.get("next")) or url_for("auth.account")
    token = reauth.current_token()
    user = current_staff()
    asks_code = mfa.factor_of(db.session, user) is not None
    form = ConfirmPasswordForm()
    if form.validate_on_submit() and token is not None:
        if reauth.confirm(db.session, user, token, form.password.data, form.code.data):
            db.session.commit()
            return redirect(back)
        db.session.commit()  # a code that was right is used up even when the password was not
        if asks_code:
            form.password.errors.append(
                "The password or the code is not right. Check them and try again"
            )
        else:
            form.password.errors.append("The password is not right. Check it and try again")
    return render_template("auth/confirm_password.html", form=form, back=back, asks_code=asks_code)


@bp.get("/account/sessions")
def your_sessions():
    token = reauth.current_token()
    this = sessions.row_for(db.session, token) if token else None
    return render_template(
        "auth/sessions.html",
        rows=sessions.live(db.session, current_staff()),
        this_id=this.id if this else None,
        now=utcnow(),
        form=ConfirmForm(),
    )


@bp.post("/account/sessions/<int:session_id>/end")
@form_view
def end_session(session_id: int):
    token = reauth.current_token()
    this = sessions.row_for(db.session, token) if token else None
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
    elif this is not None and this.id == session_id:
        return redirect(url_for("auth.sign_out_page"))  # this one: the usual sign-out
    elif sessions.end_one(db.session, current_staff(), session_id):
        db.session.commit()
        security_event(SESSION_ENDED, user_id=current_user.id, how="one")
        flash("That browser is signed out.", "success")
    else:
        flash("That session had already ended.", "info")
    return redirect(url_for(".your_sessions"))


@bp.post("/account/sessions/end-others")
@form_view
def end_other_sessions():
    token = reauth.current_token()
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
    elif token is not None:
        count = sessions.end_others(db.session, current_staff(), token)
        db.session.commit()
        security_event(SESSION_ENDED, user_id=current_user.id, how="others")
        flash(
            "You are signed out everywhere else."
            if count
            else "You were not signed in anywhere else.",
            "success",
        )
    return redirect(url_for(".your_sessions"))
