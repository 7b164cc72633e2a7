"""Moving: the new place is held before the old one is given back, in one transaction;
the parent's calendar gets the same event (UID) with SEQUENCE one higher."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic.booking.places import SlotFull
from clinic.manage import service as manage
from clinic.models import AuditEvent, Booking, Slot
from tests.helpers import sql_sent

from .support import (
    calendar_part,
    manage_path,
    post_with_token,
    read_both,
    set_times,
    snapshot,
    subject,
)


def test_a_parent_moves_to_another_time(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0])
    first = read_both(calendar_part(smtp.to("ann.parent@example.net")[0])[1])
    new_slot = clinic.slots[2]

    page = client.get(f"{manage_path(booking)}/move")
    html = page.get_data(as_text=True)
    assert "3:30pm to 3:45pm (1 place left)" in html
    assert "3pm to 3:15pm" not in html.split("Choose a new time")[1]  # not its own time
    response = post_with_token(
        client, f"{manage_path(booking)}/move", data={"slot_id": str(new_slot.id)}
    )

    assert response.status_code == 302
    shown = client.get(manage_path(booking)).get_data(as_text=True)
    assert "Your booking has moved to" in shown and "3:30pm to 3:45pm" in shown
    session.expire_all()
    booking = session.get(Booking, booking.id)
    assert (booking.slot_id, booking.sequence, booking.status) == (new_slot.id, 1, "confirmed")
    assert [session.get(Slot, s.id).booked for s in clinic.slots] == [0, 0, 1, 0]

    moved = smtp.to("ann.parent@example.net")[-1]
    assert subject(moved).startswith("Your booking has moved to")
    method, ics = calendar_part(moved)
    event_ = read_both(ics)
    assert method == event_["method"] == "REQUEST"
    assert event_["uid"] == first["uid"] == booking.uid
    assert event_["sequence"] == first["sequence"] + 1
    assert (event_["start"], event_["end"]) == (new_slot.starts_at, new_slot.ends_at)
    assert "It was 3pm to 3:15pm" in moved.get_body(("plain",)).get_content()
    (audit,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.move"))
    assert audit.details["from_slot_id"] == clinic.slots[0].id
    assert audit.details["to_slot_id"] == new_slot.id


def test_the_new_place_is_held_before_the_old_one_is_given_back(session, clinic, booking):
    with sql_sent(with_parameters=True) as sent:
        manage.move_booking(session, booking, clinic.slots[1].id, actor="parent")
        session.commit()
    statements = [
        (sql, params) for sql, params in sent if sql.lstrip().upper().startswith("UPDATE SLOT")
    ]

    old_id, new_id = clinic.slots[0].id, clinic.slots[1].id
    kinds = [
        ("take" if "booked +" in sql else "give back", _slot_id(params))
        for sql, params in statements
    ]
    assert kinds == [("take", new_id), ("give back", old_id)]


def _slot_id(params):
    """The slot id in an ``UPDATE slot SET booked = booked ± ? WHERE id = ? ...``."""
    if isinstance(params, dict):  # psycopg: named parameters, the SET value's "booked_…"
        return next(value for key, value in params.items() if not key.startswith("booked"))
    return params[1]  # sqlite: positional, the SET value first


def test_moving_into_a_full_time_changes_nothing(client, session, smtp, make, clinic, booking):
    make.booking(clinic.slots[1])  # the only place at 3:15pm is taken
    before = snapshot(session)

    with pytest.raises(SlotFull):
        manage.move_booking(session, booking, clinic.slots[1].id, actor="parent")
    session.rollback()
    assert snapshot(session) == before

    response = post_with_token(
        client, f"{manage_path(booking)}/move", data={"slot_id": str(clinic.slots[1].id)}
    )
    assert response.status_code == 200
    assert "That time has just been booked by someone else" in response.get_data(as_text=True)
    assert snapshot(session) == before
    assert smtp.messages == []


def test_only_other_times_of_the_same_clinic_can_be_chosen(
    session, make, school, officer_user, clinic, booking
):
    elsewhere = make.clinic(school, officer_user)
    before = snapshot(session)
    for slot_id in (booking.slot_id, elsewhere.slots[0].id, 999_999):
        with pytest.raises(manage.TimeNotAvailable):
            manage.move_booking(session, booking, slot_id, actor="parent")
        session.rollback()
    assert snapshot(session) == before


def test_after_booking_closes_only_staff_can_move(session, officer_user, clinic, booking):
    set_times(session, clinic, starts_in=timedelta(hours=10))  # booking closed 14 hours ago
    assert manage.move_choices(booking, manage.utcnow()) == []
    with pytest.raises(manage.TimeNotAvailable):
        manage.move_booking(session, booking, clinic.slots[1].id, actor="parent")
    session.rollback()

    manage.move_booking(session, booking, clinic.slots[1].id, actor=officer_user)
    session.commit()
    assert session.get(Booking, booking.id).slot_id == clinic.slots[1].id
