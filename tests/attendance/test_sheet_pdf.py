"""The PDF sign-in sheet is made by the outbox worker, never inside a request: the page
asks for it (a button), says it is being prepared, and offers it once it is made and
still shows the list as it is; it is deleted once the clinic's day is over."""

import logging
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import func, select

from clinic.attendance import pdf
from clinic.models import SheetPdf, utcnow
from tests.helpers import csrf_token

from .test_list import url

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def ask_for_pdf(client, clinic):
    """Press "Download the sign-in sheet (PDF)" on the list page."""
    page = client.get(url(clinic))
    return client.post(url(clinic, "/sheet-pdf"), data={"csrf_token": csrf_token(page)})


def made_pdf(client, session, clinic):
    """Ask for the PDF, let the worker make it, and download it."""
    ask_for_pdf(client, clinic)
    assert pdf.build_requested_pdfs(session).startswith("Sheet PDFs: 1 made")
    return client.get(url(clinic, "/sheet.pdf"))


def test_the_button_answers_at_once_and_the_worker_makes_the_pdf(
    officer_client, session, clinic, make
):
    make.booking(clinic.slots[0], parent_name="Amira Early")

    response = ask_for_pdf(officer_client, clinic)

    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(clinic, "/sheet-pdf"))
    waiting = officer_client.get(url(clinic, "/sheet-pdf"))
    assert "The sign-in sheet is being prepared" in waiting.text
    assert "Refresh this page" in waiting.text
    # Not made yet: the download address sends people to the page that says so.
    early = officer_client.get(url(clinic, "/sheet.pdf"))
    assert early.status_code == 302
    assert early.headers["Location"].endswith(url(clinic, "/sheet-pdf"))
    assert "is being prepared" in officer_client.get(url(clinic)).text

    assert pdf.build_requested_pdfs(session) == "Sheet PDFs: 1 made, 0 removed (clinic over)."
    assert pdf.build_requested_pdfs(session) == ""  # made once

    ready = officer_client.get(url(clinic, "/sheet-pdf"))
    assert "The sign-in sheet is ready" in ready.text
    assert f'href="{url(clinic, "/sheet.pdf")}"' in ready.text
    assert f'href="{url(clinic, "/sheet.pdf")}"' in officer_client.get(url(clinic)).text
    download = officer_client.get(url(clinic, "/sheet.pdf"))
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF-")
    assert download.headers["Cache-Control"] == "private, no-store"


def test_a_pdf_of_an_older_list_is_not_handed_out(officer_client, session, clinic, make):
    make.booking(clinic.slots[0], parent_name="Amira Early")
    assert made_pdf(officer_client, session, clinic).status_code == 200

    make.booking(clinic.slots[1], parent_name="Bo Later")  # the list changes

    stale = officer_client.get(url(clinic, "/sheet.pdf"))
    assert stale.status_code == 302
    page = officer_client.get(url(clinic, "/sheet-pdf"))
    assert "The list has changed since the last PDF was made." in page.text
    assert f'action="{url(clinic, "/sheet-pdf")}"' in page.text
    assert made_pdf(officer_client, session, clinic).status_code == 200


def test_opening_the_pages_asks_for_nothing(officer_client, session, clinic):
    for path in ("", "/sheet-pdf", "/sheet.pdf"):
        officer_client.get(url(clinic, path))

    assert session.scalar(select(func.count()).select_from(SheetPdf)) == 0  # rule 5


def test_pressing_twice_asks_once(officer_client, session, clinic):
    ask_for_pdf(officer_client, clinic)
    ask_for_pdf(officer_client, clinic)

    assert session.scalar(select(func.count()).select_from(SheetPdf)) == 1


def test_the_pdf_is_deleted_once_the_clinic_is_over(officer_client, session, clinic):
    made_pdf(officer_client, session, clinic)
    assert pdf.build_requested_pdfs(session, now=utcnow() + timedelta(days=13)) == ""

    after = utcnow() + timedelta(days=15)  # the clinic is in two weeks
    assert "1 removed" in pdf.build_requested_pdfs(session, now=after)
    assert session.scalar(select(func.count()).select_from(SheetPdf)) == 0


def test_the_outbox_worker_makes_it(app, officer_client, session, clinic):
    app.config["OUTBOX_SEND_MODE"] = "off"
    ask_for_pdf(officer_client, clinic)

    result = app.test_cli_runner().invoke(args=["outbox", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sheet PDFs: 1 made" in result.output
    assert officer_client.get(url(clinic, "/sheet.pdf")).status_code == 200


# Letters of the Private Use Area: no installed font has them, wherever the tests run, as a
# parent's name in a script the server's fonts lack would be.
UNDRAWABLE = "\ue000\ue001\ue002\ue003 \ue010\ue011\ue012"


def test_no_log_line_holds_a_parents_name_whose_letters_no_font_has(
    app, officer_client, session, clinic, make, caplog
):
    """WeasyPrint logged each letter it lacked a font for, quoted, one line per letter: the
    parent's name, in order, in the worker's log.  Now one line says how many, never which."""
    make.booking(clinic.slots[0], parent_name=UNDRAWABLE)
    make.booking(clinic.slots[1], parent_name="Zofia Łukasiewicz-Żółć")
    app.config["OUTBOX_SEND_MODE"] = "off"
    ask_for_pdf(officer_client, clinic)
    caplog.set_level(logging.DEBUG)  # every line of every logger, not only what is shown

    result = app.test_cli_runner().invoke(args=["outbox", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sheet PDFs: 1 made" in result.output
    lines = [record.getMessage() for record in caplog.records]
    letters = set(UNDRAWABLE.replace(" ", "")) | set("ŁŻółć")
    assert not [line for line in lines if letters & set(line)]
    assert not [line for line in lines if "Zofia" in line or "Łukasiewicz" in line]
    counted = [r for r in caplog.records if r.name == "clinic.attendance.sheets"]
    assert [r.getMessage().split(" letter")[0] for r in counted] == ["The sheet PDF has 7"]
    assert result.output.count("\ue000") == 0


def test_the_app_does_not_load_weasyprint():
    """Only the worker builds PDFs: a request worker never pays WeasyPrint's memory."""
    code = (
        "import sys; import wsgi;"
        " c = wsgi.app.test_client(); c.get('/');"
        " assert 'weasyprint' not in sys.modules, 'weasyprint loaded'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
