"""The parent's feedback form (a signed link, no account), and the coordinators' pages for the
guidance links the follow-up email carries (``/admin/guidance``, admins only)."""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ..auth.access import current_staff, roles_required
from ..error_pages import render_error
from ..extensions import db
from ..forms import ConfirmForm, form_view, run_step
from ..links import InvalidLink, keep_private
from ..models import GuidanceLink
from . import service as followup
from .forms import BringAdviceForm, FeedbackForm, GuidanceForm

bp = Blueprint("feedback", __name__)
bp.after_request(keep_private)
guidance_bp = Blueprint("guidance", __name__, url_prefix="/admin/guidance")
BAD_LINK = _l(
    "This feedback link does not work. Check that you copied the whole link from the email "
    "we sent after the clinic."
)


# --- the parent's feedback form -------------------------------------------------------------


@bp.route("/feedback/<token>", methods=["GET", "POST"])
@form_view
def give(token: str):
    try:
        booking = followup.booking_for_feedback(db.session, token)
    except InvalidLink:
        return render_error(404, BAD_LINK)
    clinic = booking.clinic
    if followup.feedback_for(db.session, booking) is not None:
        return render_template("followup/feedback_thanks.html", clinic=clinic)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            followup.save_feedback(
                db.session, booking, useful=int(form.useful.data), comments=form.comments.data
            )
        except followup.AlreadyAnswered:
            db.session.rollback()  # a second tab sent first: their answer stands
        else:
            db.session.commit()
        return redirect(url_for(".give", token=token))
    return render_template(
        "followup/feedback_form.html",
        form=form,
        clinic=clinic,
        comments_max=followup.COMMENTS_MAX,
    )


# --- guidance links (coordinators) ----------------------------------------------------------


@guidance_bp.before_request
@roles_required("admin")
def admin_only():
    """Every page here is for coordinators; anyone else signed in gets the not-found page."""


@guidance_bp.get("")
def index():
    links = followup.list_guidance(db.session)  # already in topic order
    labels = followup.GUIDANCE_TOPIC_LABELS
    sections = [
        (labels.get(topic, topic), list(group))
        for topic, group in groupby(links, key=attrgetter("topic"))
    ]
    covered = {link.topic for link in links}
    missing = [label for topic, label in labels.items() if topic not in covered]
    return render_template(
        "followup/guidance_list.html",
        sections=sections,
        missing=missing,
        bring=followup.list_bring_advice(db.session),
    )


@guidance_bp.route("/bring/<topic>", methods=["GET", "POST"])
@form_view
def edit_bring(topic: str):
    """What parents who ask about ``topic`` bring (the confirmation and the reminder)."""
    if topic not in followup.GUIDANCE_TOPIC_LABELS:
        abort(404)
    form = BringAdviceForm(
        data=None if request.method == "POST" else {"text": followup.bring_text(db.session, topic)}
    )
    if form.validate_on_submit() and run_step(
        form,
        lambda: followup.update_bring_advice(
            db.session, current_staff(), topic=topic, text=form.text.data
        ),
    ):
        flash(f"What to bring for “{followup.bring_label(topic)}” has been saved.", "success")
        return redirect(url_for(".index") + "#what-to-bring")
    return render_template("followup/bring_form.html", form=form, label=followup.bring_label(topic))


@guidance_bp.route("/new", methods=["GET", "POST"])
@form_view
def add():
    form = GuidanceForm()
    if form.validate_on_submit():
        added = run_step(
            form, lambda: followup.add_guidance(db.session, current_staff(), **form.values())
        )
        if added:
            flash(f"“{added.result.title}” has been added.", "success")
            return redirect(url_for(".index"))
    return render_template("followup/guidance_form.html", form=form, link=None)


@guidance_bp.route("/<int:link_id>/edit", methods=["GET", "POST"])
@form_view
def edit(link_id: int):
    link = db.get_or_404(GuidanceLink, link_id)
    form = GuidanceForm(obj=link)
    if form.validate_on_submit() and run_step(
        form, lambda: followup.update_guidance(db.session, current_staff(), link, **form.values())
    ):
        flash(f"“{link.title}” has been saved.", "success")
        return redirect(url_for(".index"))
    return render_template("followup/guidance_form.html", form=form, link=link)


@guidance_bp.route("/<int:link_id>/delete", methods=["GET", "POST"])
@form_view
def delete(link_id: int):
    link = db.get_or_404(GuidanceLink, link_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = link.title
        followup.delete_guidance(db.session, current_staff(), link)
        db.session.commit()
        flash(f"“{title}” has been deleted.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "followup/guidance_delete.html",
        form=form,
        link=link,
        topic_label=followup.GUIDANCE_TOPIC_LABELS.get(link.topic, link.topic),
    )
