"""Reading the GIAS extract (clinic/schools/gias.py): pure, no app or database."""

import io

import pytest

from clinic.schools import gias

from .gias_file import HEADER, extract, row

ST_MARYS = "St Mary’s C of E Primary School"  # a curly apostrophe: byte 0x92 in Windows-1252
YSGOL = "Ysgol Gymraeg Pen-y-Groes"
COLAISTE = "Coláiste Éanna"


def read(data: bytes, las=("Devon",), phases=("Primary", "Secondary")) -> gias.Extract:
    return gias.read_extract(io.BytesIO(data), las=las, phases=phases)


def reasons(result: gias.Extract) -> dict[str, str]:
    return {
        skipped.name or skipped.urn or str(skipped.line): skipped.reason
        for skipped in result.skipped
    }


def test_open_schools_of_the_chosen_authority_and_phases_are_read_in_windows_1252():
    data = extract(
        [
            row("113001", ST_MARYS, street="Church Lane", locality="Heavitree", postcode="ex11aa"),
            row("113002", YSGOL, phase="Secondary", town="Exeter", postcode="EX2  4AB"),
            row("113003", COLAISTE, status="Open, but proposed to close"),
        ]
    )
    assert b"\x92" in data and b"\xe1" in data  # Windows-1252, not UTF-8

    result = read(data)

    assert [e.name for e in result.establishments] == [ST_MARYS, YSGOL, COLAISTE]
    first = result.establishments[0]
    assert (first.urn, first.address, first.town, first.postcode) == (
        "113001",
        "Church Lane\nHeavitree",
        "Exeter",
        "EX1 1AA",
    )
    assert (first.la, first.phase, first.line) == ("Devon", "Primary", 2)
    assert result.establishments[1].postcode == "EX2 4AB"
    assert result.skipped == []
    assert result.rows == 3


def test_other_authorities_and_phases_are_only_counted():
    data = extract(
        [
            row("113001", "Devon Primary"),
            row("113002", "Torbay Primary", la=("880", "Torbay")),
            row("113003", "Devon Nursery", phase="Nursery"),
            row("113004", "Plymouth Secondary", la=("879", "Plymouth"), phase="Secondary"),
        ]
    )

    result = read(data, las=["878", "plymouth"])

    assert [e.name for e in result.establishments] == ["Devon Primary", "Plymouth Secondary"]
    assert result.outside == 2
    assert result.skipped == []
    assert result.la_rows == {"878": 1, "plymouth": 1}
    assert read(data, las=["Devon", "Dorset"]).unmatched_las() == ["Dorset"]


def test_closed_and_not_yet_open_schools_are_skipped_with_their_reason():
    result = read(
        extract(
            [
                row("113001", "Old School", status="Closed", postcode=""),
                row("113002", "New School", status="Proposed to open"),
            ]
        )
    )

    assert result.establishments == []
    assert reasons(result) == {
        "Old School": "closed",
        "New School": "not open yet (proposed to open)",
    }


def test_each_bad_row_gets_its_reason_and_the_good_rows_are_kept():
    wrong_layout = ["113009", "878", "Devon", "2001", "Short Row School"]
    data = extract(
        [
            row("113001", "Good School"),
            row("12A456", "Letter URN School"),
            row("", "No URN School"),
            row("113003", ""),
            row("113004", "Bad Postcode School", postcode="NOT A PC"),
            row("113005", "No Postcode School", postcode=""),
            row("113006", "No Town School", town=""),
            wrong_layout,
            row("113001", "Same URN School"),
            row("113008", "Unknown Status School", status="Shut"),
        ]
    )
    # A line with a byte Windows-1252 does not have (0x81), in a Devon primary row.
    line = extract([row("113010", "Broken X School")]).split(b"\r\n")[1]
    data += line.replace(b"Broken X", b"Broken \x81")
    data += b"\r\n"

    result = read(data)

    assert [e.name for e in result.establishments] == ["Good School"]
    assert reasons(result) == {
        "Letter URN School": "bad row: the URN “12A456” is not 6 digits",
        "No URN School": "bad row: no URN",
        "113003": "bad row: no school name",
        "Bad Postcode School": "bad row: “NOT A PC” is not a UK postcode",
        "No Postcode School": "bad row: no postcode",
        "No Town School": "bad row: no town",
        "Short Row School": f"bad row: it has 5 values where the header has {len(HEADER)} "
        "columns (a comma or quote out of place)",
        "Same URN School": "bad row: URN 113001 is also on line 2",
        "Unknown Status School": "bad row: unknown status “Shut”",
        "Broken \ufffd School": "bad row: it has characters that are not Windows-1252 text "
        "(the register's encoding); download the file again rather than saving it from "
        "another program",
    }
    assert [s.line for s in result.skipped] == list(range(3, 13))


def test_a_file_that_is_not_the_extract_is_refused_as_a_whole():
    with pytest.raises(gias.ExtractError) as refused:
        read(b"Name,Town,Postcode\r\nOakfield,Exeter,EX1 1AA\r\n")
    assert "This is not a GIAS establishment file: it has no “URN”" in refused.value.message
    assert refused.value.field == "file"

    with pytest.raises(gias.ExtractError, match="The file is empty"):
        read(b"")


def test_a_file_saved_as_utf8_is_still_read():
    rows = [row("113001", ST_MARYS), row("113002", COLAISTE)]

    with_bom = read(b"\xef\xbb\xbf" + extract(rows, encoding="utf-8"))
    without_bom = read(extract(rows, encoding="utf-8"))

    assert [e.name for e in with_bom.establishments] == [ST_MARYS, COLAISTE]
    assert [e.name for e in without_bom.establishments] == [ST_MARYS, COLAISTE]


def test_a_long_file_is_read_as_a_stream(tmp_path):
    rows = [
        row(f"{200000 + n}", f"School {n}", la=("878", "Devon") if n % 50 else ("880", "Torbay"))
        for n in range(5000)
    ]
    path = tmp_path / "edubasealldata20261207.csv"
    path.write_bytes(extract(rows))

    with path.open("rb") as stream:
        result = gias.read_extract(stream, las=["Torbay"], phases=["Primary"])

    assert len(result.establishments) == 100
    assert result.outside == 4900


@pytest.mark.parametrize(
    ("typed", "las"),
    [
        ("Devon, 878; Torbay", ["Devon", "878", "Torbay"]),
        ("devon\nDEVON, ,", ["devon"]),
        (" , ", []),
    ],
)
def test_local_authorities_are_split_on_commas_semicolons_and_lines(typed, las):
    assert gias.split_las(typed) == las


def test_unknown_phase_and_no_authority_are_refused():
    with pytest.raises(gias.ExtractError) as refused:
        read(extract([]), phases=["Infant"])
    assert refused.value.field == "phases"
    with pytest.raises(gias.ExtractError) as refused:
        read(extract([]), las=[])
    assert refused.value.field == "las"
