"""Admin page listing emails that could not be sent, with a button to try each again."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.access import current_staff, require_partnership, roles_required
from ..extensions import db
from ..forms import CSRF_MESSAGE, ConfirmForm, form_view
from ..models import OutboxMessage
from . import service
from .after_commit import send_soon

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")


@bp.get("/failed")
@roles_required("admin")
def failed():
    return render_template(
        "outbox/failed.html", problems=service.problems(db.session, user=current_staff())
    )


@bp.post("/<int:message_id>/retry")
@roles_required("admin")
@form_view
def retry(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    require_partnership(message.partnership_id)  # another partnership's: not found
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
        return redirect(url_for(".failed"))
    what = _what(message)
    if not service.retry(db.session, message_id, actor=current_user):
        flash(f"{what} is already being sent or has been sent.")
        return redirect(url_for(".failed"))
    db.session.commit()
    # Touch nothing in db.session until the send is done: on SQLite a read would take the lock.
    # The proxy's own method (werkzeug's), which mypy misses: Flask types current_app as Flask.
    send_soon(current_app._get_current_object(), [message_id])  # type: ignore[attr-defined]
    flash(*_outcome(message))
    return redirect(url_for(".failed"))


def _what(message: OutboxMessage) -> str:
    """ "The email to …" or "The text message to …" (staff see the recipient)."""
    noun = "text message" if message.channel == "sms" else "email"
    return f"The {noun} to {message.recipient}"


def _outcome(message: OutboxMessage) -> tuple[str, str]:
    """What to tell staff after a retry: sent, still failing, or on its way."""
    db.session.refresh(message)
    what = _what(message)
    if message.status == "sent":
        return f"{what} has been sent.", "success"
    if message.attempts:
        return (
            f"{what} could not be sent yet. It will be tried again automatically.",
            "info",
        )
    return f"{what} will be sent again shortly.", "success"
