"""Taking and giving back a place in a slot: the one atomic step of design rule 1.

The check and the write are one statement (``booked < capacity`` in the UPDATE's WHERE),
so no two requests can take the last place, on PostgreSQL (row lock, WHERE re-checked)
and on SQLite (every transaction holds the write lock from its start), with any number
of gunicorn workers.  The database's CHECK (booked <= capacity) stands behind it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from ..errors import RuleError
from ..models import Slot
from ..rows import changed


class SlotFull(RuleError):
    """Every place in the slot is taken (shown next to the choice of time, where there is one)."""

    message = _l("That time has just been booked by someone else. Choose another time.")
    field = "slot_id"

    def __init__(self, slot_id: int):
        super().__init__()
        self.slot_id = slot_id


# Built once (a statement built anew costs more in Python than the database takes to run it).
_TAKE = (
    update(Slot)
    .where(Slot.id == bindparam("slot"), Slot.booked < Slot.capacity)
    .values(booked=Slot.booked + 1)
    .execution_options(synchronize_session=False)
)


def take_place(session: Session, slot_id: int) -> None:
    """Hold one place in the slot for this transaction, or raise ``SlotFull``."""
    result = session.execute(_TAKE, {"slot": slot_id})
    if changed(result) != 1:
        raise SlotFull(slot_id)
    _refresh(session, slot_id)


def give_back_place(session: Session, slot_id: int) -> None:
    """Free one place (a cancellation or a move away)."""
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked > 0)
        .values(booked=Slot.booked - 1)
        .execution_options(synchronize_session=False)
    )
    _refresh(session, slot_id)


def give_back_every_place(session: Session, clinic_id: int) -> None:
    """Empty every slot of a clinic in one statement (the clinic is being cancelled).

    The UPDATE takes the slots' row locks, so a booking racing the cancellation either
    committed first (and is cancelled with the rest) or waits, then finds it cancelled."""
    session.execute(
        update(Slot)
        .where(Slot.clinic_id == clinic_id)
        .values(booked=0)
        .execution_options(synchronize_session=False)
    )
    for slot in [obj for obj in session.identity_map.values() if isinstance(obj, Slot)]:
        if slot.clinic_id == clinic_id:
            session.expire(slot, ["booked"])


def _refresh(session: Session, slot_id: int) -> None:
    slot = session.identity_map.get(session.identity_key(Slot, slot_id))
    if slot is not None:
        session.expire(slot, ["booked"])
