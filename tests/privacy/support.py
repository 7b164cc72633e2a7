"""A recognisable household, driven through every way the service takes in personal
data, and a search of every column of every table for what it typed."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from clinic.extensions import db
from clinic.links import feedback_token, manage_token
from clinic.models import Booking
from tests.booking.support import ANSWERS, book
from tests.helpers import csrf_token, post_form

NAME = "Zebedee Quarrington"
EMAIL = "zebedee.quarrington@example.net"
PHONE = "020 7946 0321"  # an Ofcom drama number
# What must not be found anywhere once the household is gone (the phone as typed and as
# stored, the email in any case, the name and its parts).
NEEDLES = ("zebedee", "quarrington", "7946 0321", "79460321")

IDENTITY = {
    **ANSWERS,
    "parent_name": NAME,
    "email": EMAIL,
    "phone": PHONE,
    "other_topic": f"Ask {NAME}",
    "access_needs": f"{NAME} needs a ramp",
}


def find_everywhere(engine=None, needles=NEEDLES) -> list[str]:
    """Every (table, column) whose value holds one of ``needles``, over every table the
    database has (reflected, so a table the models do not know is searched too)."""
    db.session.commit()  # on SQLite the test's own transaction holds the write lock
    engine = engine or db.engine
    metadata = sa.MetaData()
    metadata.reflect(bind=engine)
    found = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    text = text.lower()
                    flat = re.sub(r"\D", "", text)
                    for needle in needles:
                        if needle in text or (needle.isdigit() and needle in flat):
                            found.append(f"{table.name}.{column}")
    return sorted(set(found))


def live_booking(session, email=EMAIL) -> Booking:
    return session.scalar(
        sa.select(Booking)
        .where(Booking.email_normalised == email.lower(), Booking.status != "cancelled")
        .order_by(Booking.id.desc())
    )


def book_as_household(client, slot_id: int):
    typed = ("parent_name", "email", "phone", "other_topic", "access_needs")
    response = book(client, slot_id, **{name: IDENTITY[name] for name in typed})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def move(client, booking: Booking, slot_id: int):
    path = f"/booking/{manage_token(booking)}/move"
    response = post_form(client, path, {"slot_id": str(slot_id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def cancel(client, booking: Booking):
    path = f"/booking/{manage_token(booking)}/cancel"
    response = post_form(client, path, {})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def join_waitlist(client, clinic_id: int):
    path = f"/booking/clinics/{clinic_id}/waitlist"
    page = client.get(path)
    assert page.status_code == 200
    data = {**IDENTITY, "csrf_token": csrf_token(page)}
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def give_feedback(client, booking: Booking):
    path = f"/feedback/{feedback_token(booking)}"
    response = post_form(client, path, {"useful": "5", "comments": f"Thanks from {NAME}"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
