"""STUB: replaced by the follow-up feature (feedback form, guidance links)."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)
