"""The findings of issue 12 about bad input, reproduced as a person (or a script) met them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from clinic.booking import reminders
from clinic.models import Booking, Clinic, School, utcnow
from tests.helpers import csrf_token
from tests.manage.support import manage_path, post_with_token, set_times


def test_a_json_body_on_the_booking_form_is_refused_not_a_500(client, make, school, officer_user):
    clinic = make.clinic(school, officer_user)
    slot_id = clinic.slots[0].id
    token = csrf_token(client.get(f"/book/{slot_id}"))

    response = client.post(
        f"/book/{slot_id}",
        json={"csrf_token": token, "parent_name": "A", "email": {"a": 1}, "consent": "y"},
    )

    assert response.status_code == 415
    assert "Sorry" in response.get_data(as_text=True)


@pytest.mark.parametrize("slot_id", ["2147483648", str(2**63), "1" + "0" * 40, "-1"])
def test_moving_to_a_slot_id_too_big_for_the_column_is_a_message(
    session, client, make, school, officer_user, slot_id
):
    clinic = make.clinic(school, officer_user, slots=3)
    booking = make.booking(clinic.slots[0])
    path = manage_path(booking) + "/move"

    response = post_with_token(client, path, data={"slot_id": slot_id})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and "Choose one of the times shown" in page
    session.expire_all()
    assert session.get(Booking, booking.id).slot_id == clinic.slots[0].id


def _crlf_title(session, clinic: Clinic, school: School) -> None:
    """A line break stored by a path that skips every check (raw SQL)."""
    session.execute(
        text("UPDATE clinic SET title = :t WHERE id = :id"),
        {"t": "Clinic\r\nBcc: someone@example.org", "id": clinic.id},
    )
    session.execute(
        text("UPDATE school SET name = :n WHERE id = :id"),
        {"n": "Oakfield\nPrimary", "id": school.id},
    )
    session.commit()
    session.expire_all()


def test_cancel_works_when_the_clinic_title_holds_a_line_break(
    session, client, smtp, make, school, officer_user
):
    clinic = make.clinic(school, officer_user)
    booking = make.booking(clinic.slots[0])
    _crlf_title(session, clinic, school)

    response = post_with_token(client, manage_path(booking) + "/cancel")

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"
    (message,) = smtp.to(booking.email)
    assert "\n" not in str(message["Subject"]).replace("\n ", "")
    assert message["Bcc"] is None


def test_reminders_go_out_when_a_clinic_title_holds_a_line_break(
    app, session, smtp, make, school, officer_user
):
    crlf = make.clinic(school, officer_user, slots=1)
    plain = make.clinic(make.school(name="Hillside Primary School"), officer_user, slots=1)
    for clinic in (crlf, plain):
        set_times(session, clinic, starts_in=timedelta(hours=30))
    first = make.booking(crlf.slots[0])
    second = make.booking(plain.slots[0])
    _crlf_title(session, crlf, school)

    result = app.test_cli_runner().invoke(args=["reminders", "send"])

    assert result.exit_code == 0, result.output
    assert len(smtp.to(first.email)) == 1
    assert len(smtp.to(second.email)) == 1
    session.expire_all()
    assert all(b.reminder_sent_at is not None for b in session.scalars(select(Booking))), (
        "every due booking was reminded"
    )
    assert reminders.due_bookings(session, utcnow()) == []


def test_confirm_with_the_database_away_is_the_friendly_503(tmp_path):
    """PostgreSQL stopped (here: nothing listens on its port): Confirm gets the 503 page,
    not the generic 500 (the gunicorn test in test_database_away.py stops a real one)."""
    from clinic import create_app
    from tests.robust.pgserver import free_port

    away = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x"}
    )
    client = away.test_client()
    token = csrf_token(client.get("/staff/sign-in"))
    with client.session_transaction() as cookie:
        cookie["booking_answers"] = "a-draft-id"

    response = client.post(
        "/book/1/check",
        data={"csrf_token": token, "submission_id": "8a1e2f3c-7a1b-4c3d-9e8f-0a1b2c3d4e5f"},
    )

    assert response.status_code == 503
    # Flask-Limiter raises Retry-After to its own window's end on a limited route.
    assert int(response.headers["Retry-After"]) >= 30
    page = response.get_data(as_text=True)
    assert "Sorry, the service is unavailable" in page
    assert "pressing the button again is safe" in page
    assert client.get("/schools?q=oak").status_code == 503


def test_a_school_filter_too_big_for_an_id_shows_every_school(officer_client):
    response = officer_client.get(f"/staff/clinics/?school={2**70}")

    assert response.status_code == 200
