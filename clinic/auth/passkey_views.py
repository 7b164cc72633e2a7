"""The passkey pages (clinic/auth/passkeys.py): "Use a passkey" on the code page, and
adding, naming and removing one on Your account's second-factor page.  Staff pages:
English only.

The pages hold the ceremony's options (made with a challenge kept in the signed session
cookie); ``static/js/passkeys.js`` asks the browser for a passkey and posts its answer,
as JSON in a hidden field, with the page's ordinary form, so a wrong answer comes back as
an error on the page like a wrong code.  Without JavaScript the page says passkeys need
it, and codes work as before.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask import session as cookie
from werkzeug.security import check_password_hash

from ..extensions import db
from ..forms import form_view
from ..security_events import SECOND_FACTOR_FAILED, security_event
from . import mfa, passkeys
from .access import current_staff
from .mfa_forms import PasskeyForm, PasskeyNameForm, PasskeyRemoveForm, PasskeySignInForm
from .mfa_views import (
    MFA_PENDING,
    PASSKEY_ADD,
    PASSKEY_SIGN_IN,
    _code_limits,
    _onward,
    _passed,
    _staff_page,
    code_page,
    manage_page,
)

bp = Blueprint("passkeys", __name__, url_prefix="/staff")


@bp.post("/sign-in/passkey")
@_staff_page
@_code_limits
@form_view
def sign_in():
    """The second factor given with a passkey instead of a code."""
    if cookie.get(MFA_PENDING) != mfa.CODE:
        return redirect(_onward())
    user = current_staff()
    kept = cookie.pop(PASSKEY_SIGN_IN, None)  # used once, whatever happens next
    form = PasskeySignInForm()
    if form.validate_on_submit():
        try:
            challenge = passkeys.challenge_from(kept)
            passkeys.verify(
                db.session, user, response=form.response.data or "", challenge=challenge
            )
        except passkeys.PasskeyError as error:
            db.session.rollback()
            form.response.errors.append(str(error))
            security_event(SECOND_FACTOR_FAILED, user_id=user.id, how="passkey")
        else:
            _passed()
            db.session.commit()
            return redirect(_onward())
    return code_page(user, passkey_form=form, status=400)


@bp.post("/two-factor/passkeys")
@_staff_page
@form_view
def add():
    user = current_staff()
    kept = cookie.pop(PASSKEY_ADD, None)
    if mfa.factor_of(db.session, user) is None:
        return redirect(url_for("mfa.manage"))
    form = PasskeyForm()
    if form.validate_on_submit():
        try:
            if not form.response.data:
                raise passkeys.PasskeyError(
                    "Your browser did not make a passkey. Try again", "response"
                )
            passkeys.add(
                db.session,
                user,
                name=form.name.data,
                response=form.response.data,
                challenge=passkeys.challenge_from(kept),
            )
        except passkeys.PasskeyError as error:
            db.session.rollback()
            form.response.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Passkey “{form.name.data.strip()}” added.", "success")
            return redirect(url_for("mfa.manage"))
    return manage_page(user, passkey_form=form, status=400)


def _own_passkey(passkey_id: int):
    return passkeys.passkey_of(db.session, current_staff(), passkey_id)


@bp.route("/two-factor/passkeys/<int:passkey_id>/name", methods=["GET", "POST"])
@_staff_page
@form_view
def rename(passkey_id: int):
    key = _own_passkey(passkey_id)
    if key is None:
        return redirect(url_for("mfa.manage"))
    form = PasskeyNameForm(data={"name": key.name})
    if form.validate_on_submit():
        passkeys.rename(db.session, current_staff(), key, form.name.data)
        db.session.commit()
        flash("Passkey renamed.", "success")
        return redirect(url_for("mfa.manage"))
    return render_template("auth/passkey_name.html", form=form, key=key)


@bp.route("/two-factor/passkeys/<int:passkey_id>/remove", methods=["GET", "POST"])
@_staff_page
@_code_limits
@form_view
def remove(passkey_id: int):
    """Removing a passkey needs the password again (like turning the app off)."""
    user = current_staff()
    key = _own_passkey(passkey_id)
    if key is None:
        return redirect(url_for("mfa.manage"))
    form = PasskeyRemoveForm()
    if form.validate_on_submit():
        if bool(user.password_hash) and check_password_hash(
            user.password_hash or "", form.password.data
        ):
            name = key.name
            passkeys.remove(db.session, user, key)
            db.session.commit()
            flash(f"Passkey “{name}” removed.", "success")
            return redirect(url_for("mfa.manage"))
        form.password.errors.append("Enter your password correctly")
    return render_template("auth/passkey_remove.html", form=form, key=key)
