"""Reading the DfE "Get Information about Schools" extract (pure: no app, no database).

GIAS publishes every establishment in England as one CSV, ``edubasealldataYYYYMMDD.csv``
(about 50,000 rows, 60 MB), encoded Windows-1252, with a header row of its own column
names ("URN", "EstablishmentName", "LA (name)", "PhaseOfEducation (name)"...).
``read_extract`` reads it as a stream, a line at a time, keeps the open establishments of
the chosen local authorities and phases, and gives every other row of those a reason:
closed, not open yet, or a bad row (its URN, name, town or postcode, its number of
values, characters that are not Windows-1252).  Rows of other local authorities or phases
are only counted.

Decoding: the register's own encoding, Windows-1252; a file that starts with a UTF-8
byte-order mark (a spreadsheet's "CSV UTF-8") is read as UTF-8; a line that is valid
UTF-8 and not plain ASCII is read as UTF-8 (a file re-saved by an editor; Windows-1252
text is almost never valid UTF-8 too).  Bytes that are neither make that row bad.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import IO

from ..errors import RuleError
from ..text import one_line
from .service import check_urn, normalise_postcode

URN = "URN"
NAME = "EstablishmentName"
LA_CODE = "LA (code)"
LA_NAME = "LA (name)"
STATUS = "EstablishmentStatus (name)"
PHASE = "PhaseOfEducation (name)"
STREET, LOCALITY, ADDRESS3, TOWN = "Street", "Locality", "Address3", "Town"
POSTCODE = "Postcode"
COLUMNS = (URN, NAME, LA_CODE, LA_NAME, STATUS, PHASE, STREET, LOCALITY, ADDRESS3, TOWN, POSTCODE)

# GIAS's phases of education, in its own order.
PHASES = (
    "Nursery",
    "Primary",
    "Middle deemed primary",
    "Middle deemed secondary",
    "Secondary",
    "All-through",
    "16 plus",
    "Not applicable",
)
# The phases a clinic for parents of school children is for (the page's ticks to start with).
SCHOOL_PHASES = (
    "Primary",
    "Middle deemed primary",
    "Middle deemed secondary",
    "Secondary",
    "All-through",
)
OPEN = ("Open", "Open, but proposed to close")
NOT_OPEN = {"Closed": "closed", "Proposed to open": "not open yet (proposed to open)"}

NAME_MAX, TOWN_MAX, ADDRESS_MAX = 200, 100, 500
BOM = b"\xef\xbb\xbf"
NOT_DECODED = "\ufffd"


class ExtractError(RuleError):
    """The file as a whole cannot be read as a GIAS extract (the message says why)."""

    def __init__(self, message: str, field: str = "file"):
        super().__init__(message, field)


@dataclass(frozen=True)
class Establishment:
    """One open school of the chosen local authorities and phases, checked and tidied."""

    line: int
    urn: str
    name: str
    address: str
    town: str
    postcode: str
    la: str
    phase: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A row of the chosen local authorities and phases that will not be imported."""

    line: int
    urn: str
    name: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Extract:
    establishments: list[Establishment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    rows: int = 0  # rows read (the header not counted)
    outside: int = 0  # rows of other local authorities or phases
    la_rows: dict[str, int] = field(default_factory=dict)  # rows found for each LA asked for

    def unmatched_las(self) -> list[str]:
        """The local authorities asked for that no row of the file is in (a misspelling)."""
        return [la for la, count in self.la_rows.items() if not count]


def split_las(text: str) -> list[str]:
    """Local authorities typed as "Devon, 878; Torbay" (commas, semicolons or lines)."""
    words = (one_line(part).strip() for part in text.replace(";", ",").splitlines())
    found: list[str] = []
    for word in (piece.strip() for line in words for piece in line.split(",")):
        if word and word.casefold() not in {w.casefold() for w in found}:
            found.append(word)
    return found


def check_phases(phases: Iterable[str]) -> list[str]:
    """GIAS's own names for the phases asked for, in its order; ``ExtractError`` for others."""
    known = {phase.casefold(): phase for phase in PHASES}
    chosen = set()
    for phase in phases:
        if phase.strip().casefold() not in known:
            raise ExtractError(
                f"{phase!r} is not a GIAS phase of education: use {', '.join(PHASES)}", "phases"
            )
        chosen.add(known[phase.strip().casefold()])
    return [phase for phase in PHASES if phase in chosen]


def decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """The file's lines as text (see the module's note on decoding)."""
    first = True
    whole_utf8 = False
    for raw in stream:
        if first:
            first = False
            if raw.startswith(BOM):
                whole_utf8, raw = True, raw[len(BOM) :]
        if whole_utf8:
            yield raw.decode("utf-8", errors="replace")
        elif raw.isascii():
            yield raw.decode("ascii")
        else:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield raw.decode("cp1252", errors="replace")


def read_extract(stream: IO[bytes], *, las: Iterable[str], phases: Iterable[str]) -> Extract:
    """The establishments of ``las`` (names or codes, any case) and ``phases`` in the extract
    read from the binary ``stream``; ``ExtractError`` when it is not a GIAS extract at all."""
    wanted_las = list(las)
    if not wanted_las:
        raise ExtractError("Enter at least one local authority", "las")
    wanted_phases = set(check_phases(phases))
    if not wanted_phases:
        raise ExtractError("Select at least one phase of education", "phases")
    by_word = {la.casefold(): la for la in wanted_las}
    result = Extract(la_rows={la: 0 for la in wanted_las})
    reader = csv.reader(decoded_lines(stream))
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ExtractError("The file is empty. Choose the GIAS establishment file.")
        header = [cell.strip() for cell in header]
        missing = [column for column in COLUMNS if column not in header]
        if missing:
            raise ExtractError(
                "This is not a GIAS establishment file: it has no "
                + ", ".join(f"“{column}”" for column in missing)
                + " column. Download “Establishment fields” (all establishments) from "
                "Get Information about Schools and choose that file."
            )
        index = {column: header.index(column) for column in COLUMNS}
        seen: dict[str, int] = {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            result.rows += 1
            _read_row(result, row, reader.line_num, header, index, by_word, wanted_phases, seen)
    except csv.Error as exc:
        raise ExtractError(
            f"Line {reader.line_num} of the file cannot be read as CSV ({exc}). "
            "Choose the file as downloaded from Get Information about Schools."
        ) from exc
    return result


def _read_row(result, row, line, header, index, by_word, wanted_phases, seen) -> None:
    def value(column: str) -> str:
        position = index[column]
        return one_line(row[position]).strip() if position < len(row) else ""

    if len(row) != len(header):
        result.skipped.append(
            Skipped(
                line,
                value(URN),
                value(NAME),
                f"bad row: it has {len(row)} values where the header has {len(header)} "
                "columns (a comma or quote out of place)",
            )
        )
        return
    la_word = next(
        (
            by_word[word]
            for word in (value(LA_CODE).casefold(), value(LA_NAME).casefold())
            if word in by_word
        ),
        None,
    )
    phase = value(PHASE)
    if la_word is None or phase not in wanted_phases:
        result.outside += 1
        return
    result.la_rows[la_word] += 1
    urn, name = value(URN), value(NAME)

    def skip(reason: str) -> None:
        result.skipped.append(Skipped(line, urn, name, reason))

    if any(NOT_DECODED in value(column) for column in COLUMNS):
        return skip(
            "bad row: it has characters that are not Windows-1252 text (the register's "
            "encoding); download the file again rather than saving it from another program"
        )
    status = value(STATUS)
    if status in NOT_OPEN:
        return skip(NOT_OPEN[status])
    if status not in OPEN:
        return skip(f"bad row: unknown status “{status}”" if status else "bad row: no status")
    try:
        check_urn(urn)
    except RuleError:
        return skip(f"bad row: the URN “{urn}” is not 6 digits" if urn else "bad row: no URN")
    if urn in seen:
        return skip(f"bad row: URN {urn} is also on line {seen[urn]}")
    seen[urn] = line
    if not name:
        return skip("bad row: no school name")
    if len(name) > NAME_MAX:
        return skip(f"bad row: the name is longer than {NAME_MAX} characters")
    town = value(TOWN)
    if not town:
        return skip("bad row: no town")
    if len(town) > TOWN_MAX:
        return skip(f"bad row: the town is longer than {TOWN_MAX} characters")
    address = "\n".join(part for part in map(value, (STREET, LOCALITY, ADDRESS3)) if part)
    if len(address) > ADDRESS_MAX:
        return skip(f"bad row: the address is longer than {ADDRESS_MAX} characters")
    given_postcode = value(POSTCODE)
    try:
        postcode = normalise_postcode(given_postcode)
    except RuleError:
        return skip(
            f"bad row: “{given_postcode}” is not a UK postcode"
            if given_postcode
            else "bad row: no postcode"
        )
    result.establishments.append(
        Establishment(line, urn, name, address, town, postcode, value(LA_NAME), phase)
    )
    return None
