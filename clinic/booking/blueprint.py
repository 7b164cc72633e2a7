"""The ``booking`` blueprint, shared by the public pages (``page_views.py``) and the booking
flow (``flow_views.py``), so every endpoint keeps its name (``booking.…``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("booking", __name__)

# Who may book for a parent (a phone call to the school office): the staff flow's routes,
# and the "Book for a parent" links on the school page.
STAFF_ROLES = ("officer", "school")


@bp.app_template_global()
def interpreter_language_name(booking) -> str | None:
    """The language a booking's interpreter should speak, in words (English on staff pages)."""
    from .choices import interpreter_label

    return interpreter_label(booking.interpreter_language, booking.interpreter_other)
