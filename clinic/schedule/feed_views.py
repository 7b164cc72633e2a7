"""The officer's private calendar feed: the page with its address, making a new address or
turning it off, and the feed itself (``feed.py`` builds it)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.access import current_staff, roles_required
from ..extensions import db
from ..forms import CSRF_MESSAGE, ConfirmForm, form_view
from ..links import external_url
from ..models import User
from . import feed
from .blueprint import bp


def _feed_urls(token: str | None) -> dict[str, str] | None:
    if not token:
        return None
    https = external_url("schedule.calendar_feed", token=token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@bp.get("/calendar-feed")
@roles_required("officer")
def calendar_feed_page():
    return render_template(
        "schedule/calendar_feed.html",
        urls=_feed_urls(current_user.calendar_token),
    )


def _feed_action(change: Callable[[User], object], done: str):
    if not ConfirmForm().validate_on_submit():
        flash(CSRF_MESSAGE)
    else:
        change(current_staff())
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".calendar_feed_page"))


@bp.post("/calendar-feed/new")
@roles_required("officer")
@form_view
def new_calendar_feed():
    return _feed_action(
        lambda user: feed.issue_calendar_token(db.session, user),
        "Your calendar address is ready. Any address you had before no longer works.",
    )


@bp.post("/calendar-feed/turn-off")
@roles_required("officer")
@form_view
def turn_off_calendar_feed():
    return _feed_action(
        lambda user: feed.revoke_calendar_token(db.session, user),
        "Your calendar address is turned off. Calendars subscribed to it get no more updates.",
    )


@bp.get("/feed/<token>.ics")
def calendar_feed(token: str):
    """The feed itself: no sign-in (calendar apps cannot), the token is the key."""
    try:
        officer = feed.officer_for_token(db.session, token)
    except feed.UnknownFeed:
        abort(404)
    response = Response(feed.officer_feed(db.session, officer))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="clinics.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
