"""The sign-in sheet as a PDF, made outside the request workers.

WeasyPrint takes seconds for a big clinic (about 7 ms a row: 1,000 bookings is tens of
seconds on a busy machine), which would hold a request worker and its database
connection all that time.  So the list page only asks for it (``request_pdf``, a button:
a GET changes nothing), the outbox worker makes it each round (``build_requested_pdfs``,
a job added with ``outbox.cli.add_worker_job``) and keeps it in ``sheet_pdf``, and
the page offers the download once it is there and still shows the list as it is now
(``sheets.digest``).  The table, not a file under ``instance/``, so that any app server
behind a load balancer can hand it out.

A stored PDF holds parents' names and phone numbers: the worker deletes each one once its
clinic's day is over (and the clinic's deletion cascades to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import batch
from ..localtime import local_today
from ..models import Clinic, SheetPdf, User, utcnow
from ..rows import changed
from ..upsert import insert_into
from . import sheets
from .service import build_sheet, get_clinic, sheet_pdf


@dataclass(frozen=True)
class PdfState:
    """What the page can offer: ``ready`` (download it), ``preparing`` (asked for, not made
    yet, or being made again) or ``none`` (never asked for, or made from an older list)."""

    state: str
    built_at: datetime | None = None
    had_one: bool = False  # "none" because the list changed since the last one


def request_pdf(
    session: Session, clinic: Clinic, *, actor: User, now: datetime | None = None
) -> None:
    """Ask the worker to make the clinic's PDF from the list as it is now; asking again
    while it is being made asks once (one row per clinic, written with an upsert so two
    presses at once cannot collide)."""
    now = now or utcnow()
    statement = insert_into(session, SheetPdf).values(
        clinic_id=clinic.id, requested_at=now, requested_by_id=actor.id
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[SheetPdf.clinic_id],
            set_={"requested_at": now, "requested_by_id": actor.id},
        )
    )


def pdf_state(session: Session, clinic: Clinic, sheet: sheets.Sheet) -> PdfState:
    """Whether the stored PDF shows ``sheet`` (the list as it is now). Reads only the row's
    small columns, never the file."""
    row = session.execute(
        select(SheetPdf.requested_at, SheetPdf.built_at, SheetPdf.digest).where(
            SheetPdf.clinic_id == clinic.id
        )
    ).one_or_none()
    if row is None:
        return PdfState("none")
    if row.built_at is None or row.built_at < row.requested_at:
        return PdfState("preparing")
    if row.digest != sheets.digest(sheet):
        return PdfState("none", had_one=True)  # the list changed since: make a new one
    return PdfState("ready", row.built_at)


def stored_pdf(session: Session, clinic: Clinic, sheet: sheets.Sheet) -> bytes | None:
    """The stored PDF if it shows ``sheet``; None otherwise (not made yet, or out of date)."""
    row = session.execute(
        select(SheetPdf.data, SheetPdf.digest).where(
            SheetPdf.clinic_id == clinic.id, SheetPdf.data.is_not(None)
        )
    ).one_or_none()
    if row is None or row.digest != sheets.digest(sheet):
        return None
    return row.data


def build_requested_pdfs(session: Session, *, now: datetime | None = None) -> str:
    """The outbox worker's job: delete the PDFs of clinics whose day is over, then make each
    one asked for.  Safe to run twice at once (the second makes the same file again).
    Returns what it did, for the worker's output ("" when nothing)."""
    now = now or utcnow()
    run = batch.Run("sheet PDFs")
    past = select(Clinic.id).where(Clinic.date < local_today(now))
    removed = changed(
        session.execute(
            delete(SheetPdf)
            .where(SheetPdf.clinic_id.in_(past))
            .execution_options(synchronize_session=False)
        )
    )
    wanted = list(
        session.scalars(
            select(SheetPdf.clinic_id)
            .where((SheetPdf.built_at.is_(None)) | (SheetPdf.built_at < SheetPdf.requested_at))
            .order_by(SheetPdf.requested_at)
        )
    )
    session.commit()  # end the read: on SQLite the worker's transactions hold the write lock
    run.each(session, "sheet pdf", wanted, _build_one)
    if not (removed or run.done or run.failed):
        return ""
    return f"Sheet PDFs: {run.done} made, {removed} removed (clinic over). {run}".strip()


def _build_one(session: Session, clinic_id: int) -> bool:
    clinic = get_clinic(session, clinic_id)
    if clinic is None:
        return False
    started = utcnow()
    sheet = build_sheet(session, clinic)
    session.commit()  # WeasyPrint takes seconds: hold no transaction (no lock) meanwhile
    data = sheet_pdf(sheet)
    session.execute(
        update(SheetPdf)
        .where(SheetPdf.clinic_id == clinic_id)
        .values(built_at=started, digest=sheets.digest(sheet), data=data)
        .execution_options(synchronize_session=False)
    )
    return True
