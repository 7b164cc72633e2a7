"""STUB: replaced by the figures feature."""

from flask import Blueprint

bp = Blueprint("figures", __name__, url_prefix="/staff/figures")


@bp.get("/")
def index():
    return "todo"
