"""The ``booking`` blueprint, shared by the public pages (``page_views.py``) and the booking
flow (``flow_views.py``), so every endpoint keeps its name (``booking.…``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("booking", __name__)

# Who may book for a parent (a phone call to the school office): the staff flow's routes,
# and the "Book for a parent" links on the school page.
STAFF_ROLES = ("officer", "school")
