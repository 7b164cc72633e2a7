"""STUB: replaced by the manage-your-booking feature."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/booking")


@bp.get("/<token>")
def show(token: str):
    return "todo"
