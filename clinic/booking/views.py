"""STUB: replaced by the public booking feature."""

from flask import Blueprint

bp = Blueprint("booking", __name__)


@bp.get("/schools")
def find_school():
    return "todo"
