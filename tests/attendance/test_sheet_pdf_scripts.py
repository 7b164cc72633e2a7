"""The PDF sign-in sheet prints every parent's name in its own letters, whatever the script:
Welsh and Polish letters, Arabic and Urdu (right to left, joined), Chinese, Japanese and
Korean. Read back with poppler's pdftotext (an independent reader) and pdffonts (which fonts
the PDF embeds): a letter no installed font covers would come out as a box, which maps to no
text, so each name's letters coming back shows each was drawn with a font that has it."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest

from tests.conftest import IN_CI

from .conftest import pdf_text
from .test_sheet_pdf import made_pdf

NAMES = {
    "Welsh": "Gwenllïan ap Dafydd Ŵyn",
    "Polish": "Zofia Łukasiewicz-Żółć",
    "Arabic": "فاطمة الزهراء",
    "Urdu": "عائشہ بی بی",
    "Chinese": "王小明",
    "Japanese": "さくら 山田",
    "Korean": "김민지",
}
RIGHT_TO_LEFT = {"Arabic", "Urdu"}

# The font families the sheet's stylesheet names (clinic/static/css/sheet-print.css), from
# Debian's fonts-noto-core and fonts-noto-cjk (`make fonts`, .ci/run).
FAMILIES = ("Noto Sans", "Noto Naskh Arabic", "Noto Sans CJK SC")


def fonts_installed() -> None:
    missing = [
        family
        for family in FAMILIES
        if shutil.which("fc-list") is None
        or not subprocess.run(
            ["fc-list", family, "family"], capture_output=True, text=True
        ).stdout.strip()
    ]
    if missing:
        message = f"the sheet's fonts are not installed ({', '.join(missing)}): run make fonts"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def embedded_fonts(data: bytes, tmp_path) -> list[str]:
    """The names of the fonts the PDF embeds, as poppler's pdffonts lists them (without
    the subset prefix: "OJJJLW+Noto-Naskh-Arabic-Bold" is "Noto-Naskh-Arabic-Bold")."""
    if shutil.which("pdffonts") is None:
        message = "listing a PDF's fonts needs pdffonts (apt-get install poppler-utils)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True)
    rows = result.stdout.splitlines()[2:]  # below the heading and its rule
    names = [row.split()[0].split("+", 1)[-1] for row in rows if row.strip()]
    assert all(row.split()[-5] == "yes" for row in rows if row.strip()), result.stdout  # emb
    return names


def words_of(text: str) -> list[str]:
    """The words of a text, compared as letters: NFKC turns Arabic presentation forms (the
    joined shapes a PDF may give back) into the letters typed; the invisible direction
    marks pdftotext puts round right-to-left text are dropped; and words are split at
    hyphens too, since a long name wraps in its narrow column after one."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return re.split(r"[\s-]+", text.strip())


@pytest.fixture
def sheet_pdf(officer_client, session, make, school, officer_user):
    """The sign-in sheet of a clinic booked by parents whose names are in seven scripts."""
    fonts_installed()
    clinic = make.clinic(school, officer_user, slots=3, capacity=3)
    for n, name in enumerate(NAMES.values()):
        make.booking(clinic.slots[n % 3], parent_name=name)
    response = made_pdf(officer_client, session, clinic)
    assert response.status_code == 200
    return response.data


def test_every_name_comes_back_in_its_own_letters(sheet_pdf, tmp_path):
    text = pdf_text(sheet_pdf, tmp_path)
    words = set(words_of(text))

    assert "\ufffd" not in text  # no glyph that could not be mapped back to a letter
    for language, name in NAMES.items():
        for word in words_of(name):
            if language in RIGHT_TO_LEFT:
                # pdftotext gives right-to-left words in reading order or as drawn, left
                # to right (reversed): either way the word's letters, joined, in a row.
                assert word in words or word[::-1] in words, (language, word, text)
            else:
                assert word in words, (language, word, text)


def test_a_font_for_each_script_is_embedded(sheet_pdf, tmp_path):
    fonts = embedded_fonts(sheet_pdf, tmp_path)

    # The Arabic-script names in Naskh, which the stylesheet names first for them (Urdu's
    # extra letters included), rather than whatever fallback the system would pick.
    assert any(font.startswith("Noto-Naskh-Arabic") for font in fonts), fonts
    assert any(font.startswith("Noto-Sans-CJK") for font in fonts), fonts  # Han, kana, Hangul
