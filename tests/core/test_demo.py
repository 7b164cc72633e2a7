"""`flask demo seed`: past clinics that make the figures page alive, the same every time,
counted from what anonymisation keeps; the accounts table, and where it is (not) shown."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from clinic import create_app
from clinic.demo import seed
from clinic.figures import service as figures
from clinic.models import Booking, Slot, User
from tests.conftest import sign_in
from tests.followup.support import anonymise_everything

TODAY = date(2026, 12, 2)


def fingerprint(result: figures.Figures) -> tuple:
    return tuple(
        (
            row.school_name,
            row.month,
            row.clinics,
            row.booked,
            row.attended,
            row.no_shows,
            row.walk_ins,
            row.feedback,
            tuple(sorted(row.topics.items())),
        )
        for row in result.rows
    )


def test_the_demo_has_past_clinics_for_the_figures(session):
    seed(session, today=TODAY)
    admin = session.scalar(select(User).where(User.role == "admin"))
    result = figures.figures(session, admin, today=TODAY)

    schools = {row.school_name for row in result.rows}
    months = {row.month for row in result.rows}
    assert len(schools) == 3
    assert min(months) == date(2026, 6, 1) and max(months) == date(2026, 11, 1)
    total = result.total
    assert total.attended > total.no_shows > 0
    assert total.cancellations > 0 and total.walk_ins > 0 and total.feedback > 0
    assert len(total.topics) >= 8
    # The invented data is deterministic: these are the numbers of this day's seed.
    assert (total.clinics, total.booked, total.attended, total.no_shows) == (18, 139, 122, 17)
    # Every slot's count is its live bookings (rule 1 holds in the demo, too).
    live = (
        select(Booking.slot_id, func.count())
        .where(Booking.status != "cancelled")
        .group_by(Booking.slot_id)
    )
    counted = dict(session.execute(live).all())
    for slot in session.scalars(select(Slot)):
        assert slot.booked == counted.get(slot.id, 0)

    # The figures come from what anonymisation keeps.
    before = fingerprint(result)
    anonymise_everything(session)
    assert fingerprint(figures.figures(session, admin, today=TODAY)) == before


def test_the_seed_prints_and_saves_each_accounts_role_and_schools(app, session):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split() == ["Role", "Schools", "Email", "Password"]
    saved = json.loads(open(app.config["DEMO_ACCOUNTS_FILE"]).read())
    assert [(a["role"], a["schools"], a["email"]) for a in saved] == [
        ("Coordinator", "All schools", "coordinator@example.org"),
        (
            "Officer",
            "Oakfield Primary School, St Brigid's Catholic Primary",
            "jordan.ellis@example.org",
        ),
        ("Officer", "Riverside Academy", "morgan.reyes@example.org"),
        ("School staff", "Oakfield Primary School", "office@oakfield.example.org"),
        ("Service owner", "None (makes partnerships)", "service.owner@example.org"),
    ]
    for account in saved:
        row = next(line for line in lines if account["email"] in line)
        assert row.split()[0] == account["role"].split()[0]
        assert row.endswith(account["password"])
        assert account["schools"] in row

    # The sign-in page shows them only when SHOW_DEMO_ACCOUNTS is on.
    client = app.test_client()
    assert saved[0]["password"] not in client.get("/staff/sign-in").text  # test settings
    app.config["SHOW_DEMO_ACCOUNTS"] = True
    page = client.get("/staff/sign-in").text
    assert "Demo accounts" in page
    assert all(a["password"] in page and a["email"] in page for a in saved)
    # ... and the password works.
    officer = session.scalar(select(User).where(User.email == saved[1]["email"]))
    sign_in(client, officer, saved[1]["password"])


@pytest.mark.parametrize(
    ("name", "shown"), [("development", True), ("test", False), ("production", False)]
)
def test_demo_accounts_are_shown_in_the_development_settings_only(name, shown, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("SHOW_DEMO_ACCOUNTS", raising=False)
    from config import CONFIGS

    assert CONFIGS[name].SHOW_DEMO_ACCOUNTS is shown
    if name == "production":
        # Even with the variable set, production does not show them.
        monkeypatch.setenv("SHOW_DEMO_ACCOUNTS", "1")
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "y" * 40})
        assert app.config["SHOW_DEMO_ACCOUNTS"] is False


def test_the_demo_has_bookings_in_several_languages_one_needing_an_interpreter(session):
    seed(session, today=date(2026, 12, 7))
    upcoming = session.scalars(select(Booking).where(Booking.reference.like("DEMO%"))).all()
    assert {b.language for b in upcoming} >= {"en", "pl", "ar", "cy", "ur"}
    (needing,) = [b for b in upcoming if b.interpreter_language]
    assert needing.interpreter_language == "ar" and needing.interpreter_arranged_at is None
