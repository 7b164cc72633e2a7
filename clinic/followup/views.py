"""The parent's feedback form (a signed link, no account), and the coordinators' pages for the
guidance links the follow-up email carries (``/admin/guidance``, admins only)."""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from ..auth.access import (
    current_partnership_id,
    current_staff,
    require_partnership,
    roles_required,
)
from ..error_pages import render_error
from ..extensions import db
from ..forms import ConfirmForm, form_view, run_step
from ..i18n import direction, offered
from ..links import InvalidLink, keep_private
from ..models import GuidanceLink
from ..partnership import use_for_school
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
    use_for_school(clinic.school)  # its partnership's name, notice and languages
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


def _link_or_404(link_id: int) -> GuidanceLink:
    """A link of the coordinator's partnership; another partnership's is not found."""
    link = db.get_or_404(GuidanceLink, link_id)
    require_partnership(link.partnership_id)
    return link


def _language_asked() -> str:
    """The language whose texts this page shows or edits (``?language=``; English by
    default, and for a language not offered)."""
    asked = request.args.get("language", "en")
    return asked if asked in offered() else "en"


def _language_values(language: str) -> dict:
    """What every guidance page says about the language being edited."""
    return {
        "language": language,
        "language_label": followup.language_label(language),
        "language_dir": direction(language),
        "languages": followup.language_choices(),
    }


def _index_url(language: str, anchor: str = "") -> str:
    if language == "en":
        return url_for(".index") + anchor
    return url_for(".index", language=language) + anchor


@guidance_bp.get("")
def index():
    language = _language_asked()
    labels = followup.GUIDANCE_TOPIC_LABELS
    mine = current_partnership_id()  # a coordinator edits their partnership's
    links = followup.list_guidance(db.session, mine, language)  # already in topic order
    sections = [
        (labels.get(topic, topic), list(group))
        for topic, group in groupby(links, key=attrgetter("topic"))
    ]
    covered = {link.topic for link in links}
    english = (
        covered
        if language == "en"
        else {link.topic for link in followup.list_guidance(db.session, mine, "en")}
    )
    missing = [(label, topic in english) for topic, label in labels.items() if topic not in covered]
    return render_template(
        "followup/guidance_list.html",
        sections=sections,
        missing=missing,
        bring=followup.list_bring_advice(db.session, mine, language),
        **_language_values(language),
    )


@guidance_bp.route("/bring/<topic>", methods=["GET", "POST"])
@form_view
def edit_bring(topic: str):
    """What parents who ask about ``topic`` bring (the confirmation and the reminder), in
    the language ``?language=`` names."""
    if topic not in followup.GUIDANCE_TOPIC_LABELS:
        abort(404)
    language = _language_asked()
    mine = current_partnership_id()
    text = followup.bring_text(db.session, mine, topic, language)
    form = BringAdviceForm(data=None if request.method == "POST" else {"text": text})
    if form.validate_on_submit() and run_step(
        form,
        lambda: followup.update_bring_advice(
            db.session, current_staff(), topic=topic, text=form.text.data, language=language
        ),
    ):
        label = followup.bring_label(topic)
        in_language = followup.language_label(language)
        flash(f"What to bring for “{label}” in {in_language} has been saved.", "success")
        return redirect(_index_url(language, "#what-to-bring"))
    return render_template(
        "followup/bring_form.html",
        form=form,
        label=followup.bring_label(topic),
        english=followup.bring_text(db.session, mine, topic) if language != "en" else "",
        back=_index_url(language, "#what-to-bring"),
        **_language_values(language),
    )


@guidance_bp.route("/new", methods=["GET", "POST"])
@form_view
def add():
    language = _language_asked()
    form = GuidanceForm(data=None if request.method == "POST" else {"language": language})
    if form.validate_on_submit():
        added = run_step(
            form, lambda: followup.add_guidance(db.session, current_staff(), **form.values())
        )
        if added:
            flash(f"“{added.result.title}” has been added.", "success")
            return redirect(_index_url(added.result.language))
    return render_template(
        "followup/guidance_form.html",
        form=form,
        link=None,
        back=_index_url(language),
        **_language_values(language),
    )


@guidance_bp.route("/<int:link_id>/edit", methods=["GET", "POST"])
@form_view
def edit(link_id: int):
    link = _link_or_404(link_id)
    form = GuidanceForm(obj=link)
    if link.language not in offered():  # a shipped language this service does not offer
        form.language.choices = [
            *form.language.choices,  # type: ignore[misc]
            (link.language, followup.language_label(link.language)),
        ]
    if form.validate_on_submit() and run_step(
        form, lambda: followup.update_guidance(db.session, current_staff(), link, **form.values())
    ):
        flash(f"“{link.title}” has been saved.", "success")
        return redirect(_index_url(link.language))
    return render_template(
        "followup/guidance_form.html",
        form=form,
        link=link,
        back=_index_url(link.language),
        **_language_values(link.language),
    )


@guidance_bp.route("/<int:link_id>/delete", methods=["GET", "POST"])
@form_view
def delete(link_id: int):
    link = _link_or_404(link_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title, language = link.title, link.language
        followup.delete_guidance(db.session, current_staff(), link)
        db.session.commit()
        flash(f"“{title}” has been deleted.", "success")
        return redirect(_index_url(language))
    return render_template(
        "followup/guidance_delete.html",
        form=form,
        link=link,
        topic_label=followup.GUIDANCE_TOPIC_LABELS.get(link.topic, link.topic),
        back=_index_url(link.language),
        **_language_values(link.language),
    )
