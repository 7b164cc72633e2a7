"""A NUL byte in anything a request carries is bad input, never a 500 (issue 20).

PostgreSQL refuses NUL in text (``psycopg.DataError``); the school finder and the admin
school search sent ``?q=%00`` straight to it.  Now every value in the address is cleaned once
(``clinic.inputs.Request``), as every text box of every form already is (``clinic.forms.Form``,
``clinic.text``).  These tests send NUL through each: every query value any view or GET form
reads, every string in a route's URL, and every field of every form in the POST table of
``tests/robust/world.py`` — on both engines.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from wtforms.fields.core import UnboundField

from clinic.audit_log.forms import AuditFilter
from clinic.figures.forms import FiguresFilter
from clinic.i18n import COOKIE
from clinic.models import Booking
from tests.booking.support import book
from tests.core.test_route_walk import (
    ADMIN,
    OFFICER,
    OWNER,
    PARENT,
    ROUTES,
    SCHOOL,
    RouteWorld,
    _url,
)

from .world import TARGETS

NUL = "\x00"
CLINIC = Path(__file__).resolve().parents[2] / "clinic"
ARGS_READ = re.compile(r"request\.(?:args|values)\.get\(\s*\"(\w+)\"")


def _query_names() -> set[str]:
    """Every name a view reads from the address: ``request.args.get("...")`` in the code,
    the language switch, and the fields of the GET forms."""
    names = {COOKIE, "page"}
    for path in CLINIC.rglob("*.py"):
        names |= set(ARGS_READ.findall(path.read_text(encoding="utf-8")))
    for form in (AuditFilter, FiguresFilter):
        names |= {
            name
            for klass in form.__mro__
            for name, value in vars(klass).items()
            if isinstance(value, UnboundField)
        }
    return names


def test_the_list_of_names_is_read_from_the_code():
    names = _query_names()
    assert {"q", "next", "status", "object_id", "actor", "school", "lang"} <= names


def test_a_nul_in_the_school_finder_is_a_search_for_nothing(client, school):
    for asked in (NUL, NUL * 3, "%00"):
        page = client.get("/schools", query_string={"q": asked})
        assert page.status_code == 200
        assert school.name not in page.get_data(as_text=True)

    # Inside a word it is a space, as it would be in a form's text box.
    page = client.get("/schools", query_string={"q": "Oak" + NUL + "field"})
    assert page.status_code == 200


def test_a_nul_in_the_admin_school_search_lists_every_school(admin_client, school, other_school):
    page = admin_client.get("/admin/schools", query_string={"q": NUL})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert school.name in html and other_school.name in html


def test_a_nul_in_a_path_matches_no_route(client, school):
    assert client.get(f"/schools/{school.slug}%00").status_code == 404
    assert client.get("/staff/clinics/feed/abc%00def.ics").status_code == 404
    assert client.get("/booking/abc%01def").status_code == 404


def test_a_nul_in_a_form_field_is_not_kept(client, session, make, school, officer_user):
    clinic = make.clinic(school, officer_user)

    response = book(client, clinic.slots[0].id, parent_name=NUL + "Ann" + NUL + "Parent" + NUL)

    assert response.status_code == 302
    assert session.scalar(select(Booking.parent_name)) == "Ann Parent"


# --- the walk: every route, every form -------------------------------------------------------

# Who opens each GET route: the first of these its rule allows (a link's holder is PARENT).
OPENERS = (ADMIN, OFFICER, SCHOOL, PARENT, OWNER)


@pytest.fixture
def world(app, session, make):
    for name in ("BOOKING_LIMIT_PER_ADDRESS", "BOOKING_LIMIT_PER_EMAIL"):
        app.config[name] = "1000000 per hour"
    app.config["WAITLIST_LIMIT_PER_ADDRESS"] = "1000000 per hour"
    return RouteWorld(app, session, make)


def test_every_page_answers_a_nul_in_its_address(world):
    query = urlencode(sorted((name, f"a{NUL}b") for name in _query_names()))
    only_nul = urlencode(sorted((name, NUL) for name in _query_names()))
    failed = []
    for rule in world.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "auth.sign_out_page":
            continue
        route = ROUTES[rule.endpoint]
        actor = next(a for a in OPENERS if a in route.allowed)
        client = world.clients[actor]
        url = _url(world, rule, actor)
        for asked in (f"{url}?{query}", f"{url}?{only_nul}"):
            status = client.get(asked).status_code
            if status >= 500:
                failed.append(f"GET {asked[:80]}: {status}")
        # Each text value in the path (a school's slug, a link's token) with a NUL in it.
        adapter = world.app.url_map.bind("localhost")
        values = adapter.match(url.split("?")[0], method="GET")[1]
        for name, value in values.items():
            if isinstance(value, str):
                broken = adapter.build(rule.endpoint, {**values, name: value[:3] + NUL + value[3:]})
                status = client.get(broken).status_code
                if status >= 500:
                    failed.append(f"GET {broken[:80]}: {status}")
    assert not failed, "\n".join(failed)


def test_every_form_answers_a_nul_in_each_of_its_fields(world):
    opened = [
        (target, *target.open(world)) for target in TARGETS if target.endpoint != "auth.sign_out"
    ]
    failed = []
    for target, client, url, token, form in opened:
        if form is None:
            continue
        for name in form.fields():
            sent = [(n, f"a{NUL}b" if n == name else v) for n, v in form.defaults()]
            response = client.post(
                url,
                data=urlencode([("csrf_token", token), *sent]),
                content_type="application/x-www-form-urlencoded",
            )
            if response.status_code >= 500:
                failed.append(f"{target.endpoint} {name}: {response.status_code}")
    assert not failed, "\n".join(failed)
