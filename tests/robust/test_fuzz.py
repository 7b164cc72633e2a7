"""Hostile and random values in every form (issue 12), driven by Hypothesis, on both engines.

Every POST route in ``TARGETS`` (public forms, parents' links, every staff form) is sent
values drawn from ``hostile()``: long, empty, NUL, CRLF, right-to-left marks, emoji,
``<script>``, ``=cmd|``, numbers too big for any column — through the real pages (a
valid CSRF token, the page's own field names, the rest of the form as the browser would
send it, so a value can get past validation and be stored and shown).  No answer is a
500, and no page shows the script unescaped.  Then what the service wrote is read back:
the emails from the loopback SMTP server (one-line headers, escaped HTML, invites that
icalendar parses with folded lines), the attendance and figures CSVs (no cell starts
like a formula) and the parent's .ics.

Unpaired surrogates cannot travel in an HTTP form (the browser sends UTF-8); the model
layer's test (``test_text.py``) gives them to the services directly.

Run time is bounded by the Hypothesis profile (``tests/robust/conftest.py``).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from urllib.parse import urlencode

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.booking.support import confirm, fill_form
from tests.conftest import sign_in

from .world import TARGETS, World

SCRIPT = '<script>alert("xss")</script>'
HOSTILE = [
    "",
    " ",
    "\x00",
    "\r\n",
    "a\r\nBcc: victim@example.org",
    "Subject: hi\r\n\r\nbody",
    SCRIPT,
    f'"><img src=x onerror=alert(1)>{SCRIPT}',
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\u202eevil\u202c",
    "\u200fمدرسة النور",
    "👩‍👧‍👦🎮",
    "x" * 3000,
    "9" * 40,
    str(2**31),
    str(2**63),
    "-2147483649",
    "0",
    "%00%0d%0a",
    "{{ 7*7 }}",
    "' OR 1=1 --",
    "\ufeffBOM",
    "\x1b[31mred",
    "line1\u2028line2",
    "tab\tand\vform\x0cfeed",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def hostile():
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(max_size=200),
        st.text(st.characters(max_codepoint=0x9F), max_size=30),  # controls, mostly
        st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(max_size=20)),
    )


def value_for(control):
    """What Hypothesis sends for one of the page's controls: usually something hostile,
    sometimes what the browser would send, so the rest of the form passes."""
    if control.many:
        choice = st.sampled_from(control.options) if control.options else hostile()
        return st.lists(st.one_of(choice, hostile()), max_size=3)
    if control.kind == "date-parts":
        part = st.one_of(st.integers(0, 3000).map(str), hostile())
        return st.lists(part, min_size=3, max_size=3)
    usual = st.sampled_from(control.options) if control.options else st.just(control.value)
    # Mostly what the browser would send: a form passes (and stores its one hostile value)
    # only when the rest of it is right.
    return st.one_of(usual, usual, hostile()).map(lambda v: [v])


@st.composite
def submission(draw, form):
    """The pairs a client posts for this page's form (the CSRF token is added later)."""
    pairs = []
    for name, control in form.fields().items() if form else []:
        if draw(st.integers(0, 9)) == 0:
            continue  # a field left out altogether
        pairs += [(name, value) for value in draw(value_for(control))]
    return pairs


def _check_answer(target, response) -> None:
    status = response.status_code
    assert status < 500, f"{target.endpoint} answered {status}"
    body = response.get_data(as_text=True)
    assert SCRIPT not in body, f"{target.endpoint} showed the script unescaped"
    assert "onerror=alert(1)>" not in body, f"{target.endpoint} showed markup unescaped"


def _opened(world: World, targets) -> list:
    """Each target's page opened once, before any example: what Hypothesis draws must not
    depend on what earlier examples changed (a cancelled booking's page has no form)."""
    return [(target, *target.open(world)) for target in targets]


def _fuzz_each(world: World, targets, share: int) -> None:
    """Every route gets its own examples (a share of the profile's max_examples), so none
    is left out by chance."""
    per_route = max(3, settings.default.max_examples // share)
    ANSWERS.clear()
    for target, client, url, token, form in _opened(world, targets):

        @settings(max_examples=per_route)
        @given(pairs=submission(form))
        def run(pairs):
            response = client.post(
                url,
                data=urlencode([("csrf_token", token), *pairs]),
                content_type="application/x-www-form-urlencoded",
                follow_redirects=True,
            )
            _check_answer(target, response)
            ANSWERS[(target.endpoint, response.status_code, response.request.path == url)] += 1

        run()


ANSWERS: Counter = Counter()  # (endpoint, status, stayed on the page): printed with -s
PUBLIC = [t for t in TARGETS if t.public]
# Signing out would end the officer's session for every example after it.
STAFF = [t for t in TARGETS if not t.public and t.endpoint != "auth.sign_out"]


@pytest.fixture
def world(app, session, make):
    return World(app, session, make)


def test_public_forms_and_parents_links_survive_hostile_values(world, smtp):
    _fuzz_each(world, PUBLIC, share=4)
    _check_what_was_written(world, smtp)
    print(f"\n{sorted(ANSWERS.items())}\nemails: {len(smtp.messages)}")


def test_staff_forms_survive_hostile_values(world, smtp):
    _fuzz_each(world, STAFF, share=8)
    _check_what_was_written(world, smtp)
    print(f"\n{sorted(ANSWERS.items())}\nemails: {len(smtp.messages)}")


@settings(max_examples=6)
@given(
    name=hostile(),
    other=hostile(),
    needs=hostile(),
    title=st.sampled_from([SCRIPT, "=cmd|' /C calc'!A0", "Evening\r\nBcc: x@example.org"]),
)
def test_a_hostile_booking_stays_escaped_everywhere(
    app, session, make, smtp, name, other, needs, title
):
    """Through to the end: the booking is made with hostile answers in a clinic with a
    hostile title, and every place they come back — the confirmation page, the email, the
    invite, the staff list and the CSV — keeps them inert."""
    smtp.clear()
    school = make.school(name=f"=School {SCRIPT}")
    officer = make.user(role="officer", schools=[school])
    clinic = make.clinic(school, officer, slots=1, capacity=5, title=title, venue=needs or "Hall")
    client = app.test_client()
    form = fill_form(
        client, clinic.slots[0].id, parent_name=name, other_topic=other, access_needs=needs
    )
    _check_answer(TARGETS[0], form)
    if form.status_code != 302:
        return  # refused with a message next to the field (a name of only spaces, say)
    done = confirm(client, clinic.slots[0].id)
    assert done.status_code == 302
    _check_answer(TARGETS[0], client.get(done.headers["Location"]))
    staff = sign_in(app.test_client(), officer)
    _check_answer(TARGETS[0], staff.get(f"/staff/attendance/clinics/{clinic.id}"))
    _check_answer(TARGETS[0], staff.get(f"/staff/clinics/{clinic.id}"))
    _check_csv(staff.get(f"/staff/attendance/clinics/{clinic.id}/list.csv"))
    _check_emails(smtp)


# --- reading back what was written ------------------------------------------------------------


def _check_what_was_written(world: World, smtp) -> None:
    _check_emails(smtp)
    officer, admin = world.clients["officer"], world.clients["admin"]
    officer = officer if officer.get("/staff/clinics/").status_code == 200 else admin
    for clinic in (world.clinic, world.today):
        _check_csv(admin.get(f"/staff/attendance/clinics/{clinic.id}/list.csv"))
    _check_csv(admin.get("/staff/figures.csv"))
    invite = world.clients["parent"].get(world.manage + "/invite.ics")
    if invite.status_code == 200:
        _check_ics(invite.data)


def _check_emails(smtp) -> None:
    for message in smtp.messages:
        for name in ("Subject", "To", "From"):
            raw = message[name]
            assert raw is not None and "\n" not in str(raw).replace("\n ", "")
        assert message["Bcc"] is None
        html = message.get_body(preferencelist=("html",))
        if html is not None:
            content = html.get_content()
            assert SCRIPT not in content and "onerror=alert(1)>" not in content
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                _check_ics(part.get_content().encode())


def _check_ics(data: bytes) -> None:
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line  # RFC 5545: folded at 75 octets
    calendar = icalendar.Calendar.from_ical(data)
    for event in calendar.events:
        for name in ("SUMMARY", "LOCATION", "DESCRIPTION"):
            if name in event:
                str(event[name])  # read back whole, whatever was in it


def _check_csv(response) -> None:
    assert response.status_code == 200, response.status_code
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell
