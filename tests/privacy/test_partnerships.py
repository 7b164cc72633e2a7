"""Privacy across partnerships (issue 21): each partnership's families are purged after its
own retention; a coordinator finds, exports and erases only their partnership's records of
a person (a family who booked in two counties keeps its records in the other); the
installation operator's commands work across every partnership or for one; each audit
event goes into the log of the partnership whose records it touched."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clinic.models import (
    AuditEvent,
    Booking,
    Feedback,
    OutboxMessage,
    WaitlistEntry,
    WalkIn,
    utcnow,
)
from clinic.privacy import purge as retention
from tests.booking.conftest import move_back
from tests.conftest import sign_in
from tests.helpers import csrf_token, post_form, sql_sent
from tests.privacy.support import EMAIL, NAME

NORTHSHIRE = "Northshire Safeguarding Children Partnership"


@pytest.fixture
def northshire(make):
    """A second partnership, with its own retention (30 days) and controller."""
    return make.partnership(
        NORTHSHIRE,
        slug="northshire",
        retention_days=30,
        data_controller="Northshire County Council",
    )


@pytest.fixture
def two_counties(session, make, school, officer_user, northshire):
    """The same family booked at a school in each partnership (the default partnership's
    and Northshire's), 45 days ago; Northshire's clinic also has a waiting-list place, a
    walk-in and feedback; each partnership sent the family an email."""
    their_school = make.school("Northshire Primary School", partnership=northshire)
    their_officer = make.user(role="officer", schools=[their_school])
    here = make.clinic(school, officer_user, slots=1, capacity=2, title="Oakfield clinic")
    there = make.clinic(their_school, their_officer, slots=1, capacity=2, title="North clinic")
    ours = make.booking(here.slots[0], parent_name=NAME, email=EMAIL)
    theirs = make.booking(there.slots[0], parent_name=NAME, email=EMAIL)
    session.add_all(
        [
            WaitlistEntry(
                clinic_id=there.id,
                parent_name=NAME,
                email=EMAIL,
                email_normalised=EMAIL.lower(),
                status="removed",
            ),
            WalkIn(clinic_id=there.id, parent_name=NAME),
            Feedback(clinic_id=there.id, booking_id=theirs.id, useful=4, comments=NAME),
            *(
                OutboxMessage(
                    kind="booking_confirmation",
                    recipient=EMAIL,
                    subject=f"Booked: {clinic.title}",
                    text_body=f"Dear {NAME}",
                    status="sent",
                    attachments=[],
                    sent_at=utcnow() - timedelta(days=1),
                    partnership_id=clinic.school.partnership_id,
                )
                for clinic in (here, there)
            ),
        ]
    )
    session.commit()
    for clinic in (here, there):
        move_back(session, clinic, 14 + 45)
    return {"here": here, "there": there, "ours": ours, "theirs": theirs}


def _email_of(session, booking) -> str | None:
    session.expire_all()
    return session.get(Booking, booking.id).email


def _recipients(session) -> dict[str, str]:
    """Each email's subject, and its recipient ("" once blanked)."""
    session.expire_all()
    return dict(session.execute(sa.select(OutboxMessage.subject, OutboxMessage.recipient)).all())


def _purge(app, *args: str):
    return app.test_cli_runner().invoke(args=["privacy", "purge", *args])


# --- the purge ----------------------------------------------------------------------------


def test_each_partnership_is_purged_after_its_own_retention(app, session, two_counties, northshire):
    default = two_counties["here"].school.partnership
    ago = utcnow() - timedelta(days=45)
    for partnership_id in (default.id, northshire.id, None):
        session.add(
            AuditEvent(
                at=ago,
                actor_label="officer@example.org",
                action="booking.cancel",
                object_type="clinic",
                object_id=0,
                partnership_id=partnership_id,
                details={"reason": f"{NAME} asked", "slot_id": 1},
            )
        )
    session.commit()

    only_ours = _purge(app, "--partnership", "default")
    assert only_ours.exit_code == 0, only_ours.output
    assert "Default partnership (default), kept 90 days: nothing due." in only_ours.output
    assert NORTHSHIRE not in only_ours.output and "No partnership" not in only_ours.output
    assert _email_of(session, two_counties["theirs"]) == EMAIL  # not this run's partnership

    every = _purge(app)
    assert every.exit_code == 0, every.output
    assert (
        f"{NORTHSHIRE} (northshire), kept 30 days: booking 1, waiting-list entry 1, "
        "walk-in 1, feedback 1, audit event 1." in every.output
    ), every.output
    assert "Default partnership (default), kept 90 days: nothing due." in every.output
    assert "No partnership (the installation's), kept 90 days" in every.output
    assert _email_of(session, two_counties["theirs"]) is None
    assert _email_of(session, two_counties["ours"]) == EMAIL  # 45 days: kept for 90
    assert session.scalar(sa.select(WalkIn.parent_name)) is None
    assert session.scalar(sa.select(Feedback.comments)) is None
    events = {e.partnership_id: e.details for e in session.scalars(sa.select(AuditEvent))}
    assert events[northshire.id] == {"slot_id": 1}
    assert "reason" in events[default.id] and "reason" in events[None]

    # The default partnership's time comes 90 days after its clinic.
    move_back(session, two_counties["here"], 50)
    session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.partnership_id == default.id)
        .values(at=utcnow() - timedelta(days=95))
    )
    session.commit()
    ours = _purge(app, "--partnership", "default")
    assert "Default partnership (default), kept 90 days: booking 1, audit event 1." in (
        ours.output
    ), ours.output
    assert _email_of(session, two_counties["ours"]) is None
    session.expire_all()
    assert "reason" in session.scalar(
        sa.select(AuditEvent.details).where(AuditEvent.partnership_id.is_(None))
    )

    unknown = _purge(app, "--partnership", "nowhere")
    assert unknown.exit_code == 2 and "no partnership has the slug 'nowhere'" in unknown.output


def test_the_purge_reads_forty_partnerships_in_as_many_statements_as_one(
    app, session, make, school, officer_user
):
    """Each kind of record due is one statement (a CASE on the school's partnership), with
    every partnership's own retention applied to its own records only."""
    later = utcnow()
    with sql_sent() as one:
        assert retention.due(session, later)["booking"] == {}
    session.rollback()

    expected = {}
    for n in range(40):
        keeps = 30 if n % 2 else 120
        partnership = make.partnership(f"County {n}", slug=f"county-{n}", retention_days=keeps)
        their_school = make.school(f"County {n} School", partnership=partnership)
        clinic = move_back(session, make.clinic(their_school, officer_user, slots=1), 14 + 60)
        booking = make.booking(clinic.slots[0])
        if keeps == 30:
            expected[partnership.id] = [booking.id]
    with sql_sent() as forty:
        todo = retention.due(session, later)
    session.rollback()
    assert todo["booking"] == expected  # 60 days back: due where kept 30 days, not 120
    assert _selects(forty) == _selects(one)


def _selects(sent: list[str]) -> int:
    return sum(statement.lstrip().upper().startswith("SELECT") for statement in sent)


# --- a coordinator's requests ---------------------------------------------------------------


def test_a_coordinator_finds_exports_and_erases_only_their_partnerships_records(
    app, session, make, admin_client, admin_user, two_counties, northshire
):
    ours, theirs = two_counties["ours"], two_counties["theirs"]
    default_id = admin_user.partnership_id

    page = post_form(admin_client, "/admin/privacy", {"email": EMAIL})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Bookings (1)" in html and "Oakfield clinic" in html
    assert "North clinic" not in html and "Northshire" not in html
    # Each email names the partnership it was sent for: this one's own, never the other's.
    assert "Emails we sent or will send (1)" in html
    assert "Booked: Oakfield clinic" in html and "Booked: North clinic" not in html

    download = post_form(
        admin_client, "/admin/privacy/download.json", {"email": EMAIL}, page_url="/admin/privacy"
    )
    held = json.loads(download.get_data(as_text=True))
    assert [b["clinic"] for b in held["bookings"]] == ["Oakfield clinic"]
    assert held["bookings"][0]["partnership"] == "Default partnership"
    assert held["bookings"][0]["data_controller"] == app.config["DATA_CONTROLLER"]
    assert held["waiting_lists"] == [] and held["feedback"] == []
    assert [(m["subject"], m["partnership"]) for m in held["emails"]] == [
        ("Booked: Oakfield clinic", "Default partnership")
    ]

    confirm = post_form(
        admin_client, "/admin/privacy/erase", {"email": EMAIL}, page_url="/admin/privacy"
    )
    done = admin_client.post(
        "/admin/privacy/erase",
        data={"email": EMAIL, "confirm": "yes", "csrf_token": csrf_token(confirm)},
    )
    assert done.status_code == 200 and "2 records deleted" in done.get_data(as_text=True)
    assert _email_of(session, ours) is None
    assert _email_of(session, theirs) == EMAIL  # Northshire's record stays
    assert session.scalar(sa.select(Feedback.comments)) == NAME
    assert _recipients(session) == {"Booked: Oakfield clinic": "", "Booked: North clinic": EMAIL}

    privacy_events = list(
        session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("privacy.%")))
    )
    assert {e.action for e in privacy_events} == {"privacy.access", "privacy.erase"}
    assert {e.partnership_id for e in privacy_events} == {default_id}

    # Northshire's coordinator still finds theirs, with the email they sent, and erases it.
    their_admin = make.user(role="admin", partnership=northshire, email="north@example.org")
    theirs_client = sign_in(app.test_client(), their_admin)
    html = post_form(theirs_client, "/admin/privacy", {"email": EMAIL}).get_data(as_text=True)
    assert "North clinic" in html and "Oakfield clinic" not in html
    assert "Emails we sent or will send (1)" in html and "Northshire County Council" in html
    confirm = post_form(
        theirs_client, "/admin/privacy/erase", {"email": EMAIL}, page_url="/admin/privacy"
    )
    theirs_client.post(
        "/admin/privacy/erase",
        data={"email": EMAIL, "confirm": "yes", "csrf_token": csrf_token(confirm)},
    )
    assert _email_of(session, theirs) is None
    assert set(_recipients(session).values()) == {""}
    erased = session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "privacy.erase", AuditEvent.partnership_id == northshire.id
        )
    )
    # Northshire's booking, its feedback, its waiting-list place and the email.
    assert erased.details == {"records": 4}


# --- the installation operator's commands ---------------------------------------------------


def test_the_operator_exports_and_erases_across_partnerships_or_for_one(
    app, session, two_counties, northshire
):
    default_id = two_counties["here"].school.partnership_id
    runner = app.test_cli_runner()

    every = runner.invoke(args=["privacy", "export", EMAIL.upper()])
    assert every.exit_code == 0, every.output
    held = json.loads(every.output)
    assert held["partnership"] is None
    assert {(b["clinic"], b["partnership"]) for b in held["bookings"]} == {
        ("Oakfield clinic", "Default partnership"),
        ("North clinic", NORTHSHIRE),
    }
    assert [c["data_controller"] for c in held["controllers"]] == [
        app.config["DATA_CONTROLLER"],
        "Northshire County Council",
    ]
    assert held["feedback"][0]["partnership"] == NORTHSHIRE and len(held["emails"]) == 2

    one = json.loads(
        runner.invoke(args=["privacy", "export", EMAIL, "--partnership", "northshire"]).output
    )
    assert one["partnership"] == NORTHSHIRE
    assert [b["clinic"] for b in one["bookings"]] == ["North clinic"]
    assert [m["subject"] for m in one["emails"]] == ["Booked: North clinic"]

    refused = runner.invoke(args=["privacy", "erase", EMAIL], input="n\n")
    assert refused.exit_code == 1 and "2 bookings" in refused.output
    assert _email_of(session, two_counties["ours"]) == EMAIL

    erased = runner.invoke(args=["privacy", "erase", EMAIL, "--partnership", "northshire", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert _email_of(session, two_counties["theirs"]) is None
    assert _email_of(session, two_counties["ours"]) == EMAIL
    assert _recipients(session) == {"Booked: Oakfield clinic": EMAIL, "Booked: North clinic": ""}

    erased = runner.invoke(args=["privacy", "erase", EMAIL, "--yes"])
    assert erased.exit_code == 0 and "Erased 2 records." in erased.output, erased.output
    assert _email_of(session, two_counties["ours"]) is None
    assert set(_recipients(session).values()) == {""}
    events = [
        (e.action, e.partnership_id, e.details["records"], e.actor_label)
        for e in session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "privacy.erase")
            .order_by(AuditEvent.id)
        )
    ]
    operator = "operator (flask privacy)"
    # Northshire's booking, feedback, waiting-list place and email; then the default
    # partnership's booking and email, each in the log of the partnership it was for.
    assert events == [
        ("privacy.erase", northshire.id, 4, operator),
        ("privacy.erase", default_id, 2, operator),
    ]


def test_a_parent_deleting_one_booking_is_logged_in_its_partnership(
    app, session, two_counties, northshire
):
    from clinic.links import manage_token

    theirs = two_counties["theirs"]
    response = post_form(app.test_client(), f"/booking/{manage_token(theirs)}/delete", {})
    assert response.status_code == 200
    assert _email_of(session, theirs) is None
    assert _email_of(session, two_counties["ours"]) == EMAIL  # the other county's stays
    assert set(_recipients(session).values()) == {EMAIL}  # may be about the other booking
    (event,) = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "privacy.erase"))
    assert event.partnership_id == northshire.id and event.actor_label == "parent"
