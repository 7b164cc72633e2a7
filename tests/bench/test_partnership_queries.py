"""Queries per page do not grow with partnerships or schools (issue 21, "Scale").

The pages ``make bench --partnerships 40 --schools 20000`` measures (the finder, a school
page, drawn and kept, and the staff dashboard of a coordinator and of an officer) are
asked for on one partnership of a few schools, then again after the installation has
grown to five partnerships and two hundred schools in the bulk way the bench seeds them
(``bench.seed.spread``: each with its coordinator, officers covering its schools, and
published clinics with bookings), and after the measured partnership has more schools,
clinics and officers of its own.  Each page must send exactly as many SQL statements: a
query per partnership, school, clinic or officer would show here as a larger count.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.seed import Sizes, spread
from clinic import changes
from clinic.localtime import local_today
from clinic.models import Partnership, School
from clinic.pagecache import pages, store
from tests.conftest import sign_in
from tests.factories import _password_hash
from tests.helpers import sql_sent

FINDER = "/schools?q=primary"  # matches schools of every partnership (up to 50 shown)
DASHBOARD = "/staff/clinics/"


@pytest.fixture
def measured(app, make):
    """The measured partnership: a school with clinics and bookings, the officer who
    covers it and runs them, and the partnership's coordinator."""
    school = make.school("Measured Primary School")
    officer = make.user(role="officer", name="PC Measured", schools=[school])
    for days in (7, 14, 21):
        clinic = make.clinic(school, officer, days_ahead=days, slots=8, capacity=2)
        make.booking(clinic.slots[0])
    coordinator = make.user(role="admin", name="Coordinator Measured")
    for n in range(8):
        make.school(f"Small Primary School {n}")
    return school, officer, coordinator


def _forget_pages(app) -> None:
    pages().clear()
    store("unchanged pages").clear()


def _counts(app, public, officer_client, coordinator_client, school) -> dict[str, int]:
    """Statements each page sends: the public pages drawn (nothing kept), then kept."""
    found = {}

    def count(name: str, client, path: str) -> None:
        with sql_sent() as sent:
            response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        found[name] = len(sent)

    assert changes.signal(app).wait_connected(10)
    _forget_pages(app)
    count("finder drawn", public, FINDER)
    count("finder kept", public, FINDER)
    count("school page drawn", public, f"/schools/{school.slug}")
    count("school page kept", public, f"/schools/{school.slug}")
    count("officer's dashboard", officer_client, DASHBOARD)
    count("coordinator's dashboard", coordinator_client, DASHBOARD)
    return found


def test_pages_send_as_many_statements_for_five_partnerships_as_for_one(
    app, client, make, session, measured
):
    school, officer, coordinator = measured
    officer_client = sign_in(app.test_client(), officer)
    coordinator_client = sign_in(app.test_client(), coordinator)
    one = _counts(app, client, officer_client, coordinator_client, school)
    assert session.query(Partnership).count() == 1

    # Four more partnerships, two hundred schools in all (bench/seed.py, as make bench).
    soon = [local_today() + timedelta(days=7 + day) for day in range(60)]
    spread(
        session, Sizes(partnerships=5, schools=200), school.partnership_id, _password_hash(), soon
    )
    # The measured partnership grows too: more schools, clinics and officers of its own.
    more = [make.school(f"Grown Primary School {n}") for n in range(6)]
    for n, grown in enumerate(more):
        other = make.user(role="officer", name=f"PC Grown {n}", schools=[grown, school])
        clinic = make.clinic(grown, other, days_ahead=10 + n, slots=4)
        make.booking(clinic.slots[1])
    make.clinic(school, officer, days_ahead=28, slots=8)
    session.commit()
    assert session.query(Partnership).count() == 5
    assert session.query(School).count() == 200 + len(more)

    five = _counts(app, client, officer_client, coordinator_client, school)
    assert five == one
    # The pages kept by the change signal send nothing at all (clinic/changes.py).
    assert one["finder kept"] == one["school page kept"] == 0


def test_the_coordinators_school_filter_lists_only_their_partnerships_schools(
    app, make, session, measured
):
    """The dashboard's school filter: a coordinator of one of forty partnerships is not
    handed every school of the installation (the page would grow with England)."""
    school, _, coordinator = measured
    soon = [local_today() + timedelta(days=7 + day) for day in range(60)]
    spread(
        session, Sizes(partnerships=3, schools=60), school.partnership_id, _password_hash(), soon
    )
    session.commit()
    page = sign_in(app.test_client(), coordinator).get(DASHBOARD).get_data(as_text=True)
    others = session.query(School).filter(School.partnership_id != school.partnership_id)
    assert others.count() == 2 * 20  # 60 schools over 3 partnerships
    for other in others:
        assert f'<option value="{other.id}"' not in page
    assert f'<option value="{school.id}"' in page
