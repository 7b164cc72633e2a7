"""STUB: replaced by the schedule feature."""

from flask import Blueprint

bp = Blueprint("schedule", __name__, url_prefix="/staff/clinics")


@bp.get("/")
def dashboard():
    return "todo"
