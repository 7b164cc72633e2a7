"""STUB: replaced by the attendance feature."""

from flask import Blueprint

bp = Blueprint("attendance", __name__, url_prefix="/staff/attendance")
