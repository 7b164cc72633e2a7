"""The parent's feedback form (a signed link, no account), and the coordinators' pages for the
guidance links the follow-up email carries (``/admin/guidance``, admins only)."""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..auth.forms import ConfirmForm
from ..auth.views import roles_required
from ..core import render_error
from ..extensions import db
from ..forms import Form, ServiceRule, form_view, strip_filter
from ..models import GuidanceLink
from . import followup

bp = Blueprint("feedback", __name__)
guidance_bp = Blueprint("guidance", __name__, url_prefix="/admin/guidance")
PICK_A_TOPIC = "Choose which app or device the link is for"
BAD_LINK = (
    "This feedback link does not work. Check that you copied the whole link from the email "
    "we sent after the clinic."
)


# --- the parent's feedback form -------------------------------------------------------------


class FeedbackForm(Form):
    useful = RadioField(
        "Was the clinic useful?",
        widget=GovRadioInput(),
        choices=[SelectChoice(str(value), words) for value, words in followup.USEFUL_CHOICES],
        invalid_choice_message="Select how useful the clinic was",  # also when none is chosen
    )
    comments = TextAreaField(
        "Anything else you would like to tell us? (optional)",
        widget=GovCharacterCount(),
        description="For example what helped, what did not, or what you would like help with "
        "next time. Please do not include your child's name.",
        filters=[strip_filter],
        validators=[
            Optional(),
            Length(
                max=followup.COMMENTS_MAX,
                message=f"Keep this to {followup.COMMENTS_MAX} characters or fewer",
            ),
        ],
    )
    submit = SubmitField("Send", widget=GovSubmitInput())


@bp.route("/feedback/<token>", methods=["GET", "POST"])
@form_view
def give(token: str):
    try:
        booking = followup.booking_for_feedback(db.session, token)
    except followup.InvalidFeedbackLink:
        return render_error(404, BAD_LINK)
    clinic = booking.clinic
    if followup.feedback_for(db.session, booking) is not None:
        return render_template("attendance/feedback_thanks.html", clinic=clinic)
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
        "attendance/feedback_form.html",
        form=form,
        clinic=clinic,
        comments_max=followup.COMMENTS_MAX,
    )


# --- guidance links (coordinators) ----------------------------------------------------------


class GuidanceForm(Form):
    topic = SelectField(
        "Which app or device is it for?",
        widget=GovSelect(),
        description="Parents get the links for the apps and devices they asked about. "
        "General advice goes to every parent.",
        choices=[SelectChoice("", "Choose one")]
        + [SelectChoice(value, label) for value, label in followup.GUIDANCE_TOPICS],
        invalid_choice_message=PICK_A_TOPIC,
        validators=[DataRequired(PICK_A_TOPIC)],
    )
    title = StringField(
        "Link text",
        widget=GovTextInput(),
        description="What parents see in the email, like “Apple: use Screen Time”.",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the link text parents will see"),
            Length(
                max=followup.TITLE_MAX,
                message=f"Link text must be {followup.TITLE_MAX} characters or fewer",
            ),
        ],
    )
    url = StringField(
        "Web address",
        widget=GovTextInput(),
        description="The full address, starting with https://",
        filters=[strip_filter],
        validators=[
            DataRequired("Enter the web address"),
            ServiceRule(followup.check_https_url, followup.GuidanceError),
        ],
    )
    position = StringField(
        "Position (optional)",
        widget=GovTextInput(),
        description="Links for the same app or device are listed from the lowest number up.",
        filters=[strip_filter],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{1,3}$", message="Enter the position as a whole number, like 1"),
        ],
    )
    submit = SubmitField("Save link", widget=GovSubmitInput())

    def values(self) -> dict:
        return {
            "topic": self.topic.data,
            "title": self.title.data,
            "url": self.url.data,
            "position": int(self.position.data) if self.position.data else 0,
        }


@guidance_bp.before_request
@roles_required("admin")
def admin_only():
    """Every page here is for coordinators; anyone else signed in gets the not-found page."""


def _show_error(form: GuidanceForm, error: followup.GuidanceError) -> None:
    field = getattr(form, error.field or "", None) or form.submit
    field.errors = [*field.errors, str(error)]


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
    return render_template("attendance/guidance_list.html", sections=sections, missing=missing)


@guidance_bp.route("/new", methods=["GET", "POST"])
@form_view
def add():
    form = GuidanceForm()
    if form.validate_on_submit():
        try:
            link = followup.add_guidance(db.session, current_user, **form.values())
        except followup.GuidanceError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(f"“{link.title}” has been added.", "success")
            return redirect(url_for(".index"))
    return render_template("attendance/guidance_form.html", form=form, link=None)


@guidance_bp.route("/<int:link_id>/edit", methods=["GET", "POST"])
@form_view
def edit(link_id: int):
    link = db.get_or_404(GuidanceLink, link_id)
    form = GuidanceForm(obj=link)
    if form.validate_on_submit():
        try:
            followup.update_guidance(db.session, current_user, link, **form.values())
        except followup.GuidanceError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(f"“{link.title}” has been saved.", "success")
            return redirect(url_for(".index"))
    return render_template("attendance/guidance_form.html", form=form, link=link)


@guidance_bp.route("/<int:link_id>/delete", methods=["GET", "POST"])
@form_view
def delete(link_id: int):
    link = db.get_or_404(GuidanceLink, link_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = link.title
        followup.delete_guidance(db.session, current_user, link)
        db.session.commit()
        flash(f"“{title}” has been deleted.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "attendance/guidance_delete.html",
        form=form,
        link=link,
        topic_label=followup.GUIDANCE_TOPIC_LABELS.get(link.topic, link.topic),
    )


bp.register_blueprint(guidance_bp)
