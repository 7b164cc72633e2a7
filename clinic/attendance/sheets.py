"""Pure builders for the attendance sheet: plain values in, CSV or PDF bytes out.

Nothing here touches the database, Flask or the clock, so the same values make the same
files in a view, in the ``send-lists`` command and in tests.  The service turns a clinic's
bookings into a ``Sheet`` (times already written out in the clinic's time zone).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..text import spreadsheet_cell

STATUS_LABELS = {
    "confirmed": "Booked",
    "attended": "Attended",
    "no_show": "No-show",
    "cancelled": "Cancelled",
}
CSV_HEADER = (
    "Time",
    "Parent or carer",
    "Phone",
    "Child's school year",
    "Help with",
    "Access needs",
    "Status",
    "Booking reference",
    "Still coming?",
)
# Spare rows per slot on the printed sheet, for people who come without booking.
BLANK_ROWS_PER_SLOT = 3


@dataclass(frozen=True)
class SheetRow:
    """One booking as the sheet shows it."""

    booking_id: int
    reference: str
    parent_name: str
    phone: str
    child_years: str
    topics: str
    access_needs: str
    status: str
    marked_by: str = ""
    marked_at: str = ""
    # The answer to "Still coming?" (clinic.booking.still_coming): its state and words, or
    # "" when the family was not asked.  Not on paper, so not in the PDF's digest.
    still_coming: str = field(default="", repr=False)
    still_coming_label: str = field(default="", repr=False)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def live(self) -> bool:
        """Still coming (or came): everything but a cancellation."""
        return self.status != "cancelled"


@dataclass(frozen=True)
class SheetWalkIn:
    """Someone who came without booking."""

    walk_in_id: int
    parent_name: str
    child_years: str
    topics: str
    slot_label: str


@dataclass(frozen=True)
class SheetSlot:
    slot_id: int
    label: str  # "3pm to 3:15pm"
    capacity: int
    rows: tuple[SheetRow, ...]

    @property
    def booked(self) -> int:
        return sum(1 for row in self.rows if row.live)


@dataclass(frozen=True)
class Totals:
    places: int = 0
    booked: int = 0  # live bookings: booked, attended or no-show
    attended: int = 0
    no_show: int = 0
    cancelled: int = 0
    walk_ins: int = 0

    @property
    def not_marked(self) -> int:
        return self.booked - self.attended - self.no_show


@dataclass(frozen=True)
class Sheet:
    """Everything the list page, the printed sheet, the PDF and the CSV show."""

    school_name: str
    clinic_title: str
    date: str  # "Monday 7 December 2026"
    times: str  # "3pm to 4pm"
    venue: str
    officer_name: str
    slots: tuple[SheetSlot, ...]
    walk_ins: tuple[SheetWalkIn, ...] = ()
    totals: Totals = field(default_factory=Totals)

    @property
    def rows(self) -> Iterable[SheetRow]:
        for slot in self.slots:
            yield from slot.rows


def totals_for(slots: Iterable[SheetSlot], walk_ins: int) -> Totals:
    """Count the rows by status (cancelled bookings are not "booked")."""
    slots = list(slots)
    rows = [row for slot in slots for row in slot.rows]
    return Totals(
        places=sum(slot.capacity for slot in slots),
        booked=sum(1 for row in rows if row.live),
        attended=sum(1 for row in rows if row.status == "attended"),
        no_show=sum(1 for row in rows if row.status == "no_show"),
        cancelled=sum(1 for row in rows if row.status == "cancelled"),
        walk_ins=walk_ins,
    )


def build_csv(sheet: Sheet) -> bytes:
    """One row per booking, UTF-8 with a byte-order mark so Excel reads the accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for slot in sheet.slots:
        for row in slot.rows:
            cells = (
                slot.label,
                row.parent_name,
                row.phone,
                row.child_years,
                row.topics,
                row.access_needs,
                row.status_label,
                row.reference,
                row.still_coming_label,
            )
            writer.writerow([spreadsheet_cell(cell) for cell in cells])
    return out.getvalue().encode("utf-8-sig")


# The print styles shared with the list page (which links them with media="print").
PRINT_CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "sheet-print.css"


def build_pdf(html: str) -> bytes:
    """The sheet's HTML as an A4 PDF, with the print styles of ``PRINT_CSS``.

    No base URL is given, so WeasyPrint fetches nothing the HTML names: the one stylesheet
    is read from the package here. WeasyPrint is imported here, not at the top: only the
    outbox worker and the cron command build PDFs, and it adds tens of MiB to every
    process that loads it."""
    from weasyprint import CSS, HTML

    with _quiet_about_letters():
        return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))])


log = logging.getLogger(__name__)
# The loggers of what draws the PDF: WeasyPrint and the font subsetter it uses.
PDF_LOGGERS = ("weasyprint", "fontTools", "fontTools.subset", "fontTools.ttLib.ttFont")
GLYPH_WARNING = "unsupported by fonts"  # WeasyPrint's ".notdef glyph rendered for ..." line


class _LettersFilter(logging.Filter):
    """Drops the drawing libraries' lines that quote the sheet's text, and counts them.

    WeasyPrint logs each letter no installed font has, quoted, one line per letter — the
    letters of a parent's name, in order.  Those lines are dropped, and so is any other line
    of theirs that holds a letter outside ASCII (their own lines name fonts, CSS and files,
    never the page's words), so no log line holds what a parent typed."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if GLYPH_WARNING in str(record.msg) or not record.getMessage().isascii():
            self.dropped += 1
            return False
        return True


@contextmanager
def _quiet_about_letters() -> Iterator[None]:
    """While a PDF is drawn: ``_LettersFilter`` on its libraries' loggers, then one line of
    our own that says how many letters could not be drawn (never which)."""
    letters = _LettersFilter()
    loggers = [logging.getLogger(name) for name in PDF_LOGGERS]
    for logger in loggers:
        logger.addFilter(letters)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(letters)
    if letters.dropped:
        log.warning(
            "The sheet PDF has %d letter(s) no installed font has, drawn as boxes "
            "(the warnings that quote them are not logged: they are parents' names); "
            "install the fonts of `make fonts`",
            letters.dropped,
        )


def digest(sheet: Sheet) -> str:
    """A fingerprint of everything the sheet shows: a stored PDF made from a sheet with
    another digest is out of date (someone booked, cancelled or was marked since)."""
    return hashlib.sha256(repr(sheet).encode()).hexdigest()
