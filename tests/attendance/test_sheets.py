"""The CSV and PDF downloads, read back as a spreadsheet program and a PDF reader would."""

import csv
import io

from clinic.filters import format_date
from clinic.text import FORMULA_STARTS, spreadsheet_cell

from .conftest import pdf_info, pdf_text
from .test_list import url
from .test_sheet_pdf import made_pdf

HOSTILE = '=HYPERLINK("http://evil.example","Click")'


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_csv_has_one_row_per_booking_and_opens_in_excel(officer_client, clinic, make):
    make.booking(
        clinic.slots[1],
        parent_name="Zoë Łukasiewicz-Brontë",
        phone="+447700900982",
        child_years=["Year 3", "Year 5"],
        topics=["roblox", "other"],
        other_topic="Minecraft",
        access_needs="Wheelchair user",
        reference="ABC1234",
    )
    make.booking(clinic.slots[0], parent_name="Ada Early", status="attended")
    make.booking(clinic.slots[2], parent_name="Cy Cancelled", status="cancelled")

    response = officer_client.get(url(clinic, "/list.csv"))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="attendance-{clinic.date.isoformat()}-{clinic.school.slug}.csv"'
    )
    assert "no-store" in response.headers["Cache-Control"]
    rows = read_csv(response.data)
    assert [row["Parent or carer"] for row in rows] == [
        "Ada Early",
        "Zoë Łukasiewicz-Brontë",
        "Cy Cancelled",
    ]
    zoe = rows[1]
    assert zoe == {
        "Time": "3:15pm to 3:30pm",
        "Parent or carer": "Zoë Łukasiewicz-Brontë",
        "Phone": "07700 900982",
        "Child's school year": "Year 3, Year 5",
        "Help with": "Roblox, Something else: Minecraft",
        "Access needs": "Wheelchair user",
        "Status": "Booked",
        "Booking reference": "ABC1234",
        "Still coming?": "",  # not asked (tests/manage/test_still_coming.py)
    }
    assert rows[0]["Status"] == "Attended"
    assert rows[2]["Status"] == "Cancelled"


def test_cells_that_would_run_as_formulas_are_neutralised(officer_client, clinic, make):
    make.booking(
        clinic.slots[0],
        parent_name=HOSTILE,
        access_needs="+1 cmd|' /C calc'!A0",
        other_topic="@SUM(1+1)",
        topics=["other"],
    )
    make.booking(clinic.slots[1], parent_name="-2+3", access_needs="\tTabbed")

    rows = read_csv(officer_client.get(url(clinic, "/list.csv")).data)

    assert rows[0]["Parent or carer"] == "'" + HOSTILE
    assert rows[0]["Access needs"] == "'+1 cmd|' /C calc'!A0"
    assert rows[0]["Help with"] == "Something else: @SUM(1+1)"  # does not start the cell
    assert rows[1]["Parent or carer"] == "'-2+3"
    assert rows[1]["Access needs"] == "'\tTabbed"
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS)


def test_safe_cell_leaves_ordinary_text_alone():
    assert spreadsheet_cell("Alex Parent") == "Alex Parent"
    assert spreadsheet_cell("") == ""
    assert spreadsheet_cell("07700 900982") == "07700 900982"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert spreadsheet_cell(f"{start}1") == f"'{start}1"


def test_the_pdf_is_the_a4_sign_in_sheet(officer_client, session, clinic, make, tmp_path):
    make.booking(clinic.slots[0], parent_name="Amira Early", phone="+447700900982")
    make.booking(clinic.slots[2], parent_name="Zara Late", access_needs="Interpreter")
    make.booking(clinic.slots[1], parent_name="Cy Cancelled", status="cancelled")

    response = made_pdf(officer_client, session, clinic)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    text = pdf_text(response.data, tmp_path)
    words = " ".join(text.split())
    assert "Sign-in sheet: Oakfield Primary School" in words
    assert "Parental controls clinic" in words
    assert "Venue: School library" in words
    assert "Officer: Pat Officer" in words
    assert "Signature" in words and "Here" in words
    first_slot, second_slot = words.index("3pm to 3:15pm"), words.index("3:15pm to 3:30pm")
    assert first_slot < words.index("Amira Early") < second_slot
    assert words.index("3:30pm to 3:45pm") < words.index("Zara Late")
    assert "07700 900982" in words
    assert "Interpreter" in words
    assert "Cy Cancelled" not in words  # cancelled bookings are not on the sign-in sheet
    assert "Page 1 of 1" in words
    info = pdf_info(response.data, tmp_path)
    assert info["Page size"].endswith("(A4)")
    assert info["Title"] == f"Sign-in sheet: Oakfield Primary School, {format_date(clinic.date)}"


def test_a_long_sheet_repeats_its_headers_on_every_page(session, clinic, tmp_path):
    from clinic.attendance import service

    from .conftest import add_bookings

    add_bookings(session, clinic, 90)

    data = service.sheet_pdf(service.build_sheet(session, clinic))

    pages = int(pdf_info(data, tmp_path)["Pages"])
    assert pages > 1
    text = pdf_text(data, tmp_path)
    assert text.count("Signature") >= pages  # the table header repeats on each page
    assert f"Page {pages} of {pages}" in text
    assert all(f"Parent {n:04d}" in text for n in range(90))


def test_phone_numbers_are_shown_as_people_write_them(app):
    from clinic.attendance.service import display_phone

    assert display_phone("+447700900982") == "07700 900982"
    assert display_phone("+441632960001") == "01632 960001"
    assert display_phone("+33123456789") == "+33 1 23 45 67 89"
    assert display_phone(None) == ""
    assert display_phone("not a number") == "not a number"
