"""The booking rules, called directly and posted by hand: what is refused writes nothing."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinic.booking import service
from clinic.booking.places import SlotFull
from clinic.extensions import db
from clinic.links import manage_token
from clinic.models import AuditEvent, Booking, Clinic, OutboxMessage, Slot, utcnow
from tests.booking.support import confirm, details, fill_form, submission_id
from tests.helpers import csrf_token


def written(session) -> dict:
    """What the database holds now (the test's own transaction ended first)."""
    session.commit()
    count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {
        "bookings": count(Booking),
        "emails": count(OutboxMessage),
        "audit": count(AuditEvent),
        "places taken": session.scalar(select(func.coalesce(func.sum(Slot.booked), 0))),
    }


NOTHING = {"bookings": 0, "emails": 0, "audit": 0, "places taken": 0}


def press_confirm(client, slot_id: int, check_page):
    """Press Confirm booking on a check page fetched earlier."""
    return client.post(
        f"/book/{slot_id}/check",
        data={"csrf_token": csrf_token(check_page), "submission_id": submission_id(check_page)},
    )


def book_directly(session, slot, *, submission=None, **changes):
    """``service.book_place`` with the test answers; ``slot`` is a Slot or its id."""
    return service.book_place(
        session,
        slot_id=getattr(slot, "id", slot),
        details=details(**changes),
        submission_id=submission or str(uuid.uuid4()),
    )


# --- one transaction ---------------------------------------------------------------------


def test_booking_email_and_audit_are_one_transaction(session, slot):
    booking = book_directly(session, slot)
    assert booking.id and booking.uid.startswith("booking-") and booking.sequence == 0
    session.rollback()
    assert written(session) == NOTHING

    book_directly(session, slot)
    session.commit()
    assert written(session) == {"bookings": 1, "emails": 1, "audit": 1, "places taken": 1}


def test_references_are_short_and_unambiguous(session, clinic):
    references = {
        book_directly(session, slot, email=f"p{n}@example.net").reference
        for n, slot in enumerate(clinic.slots)
    }
    assert len(references) == 4
    for reference in references:
        assert len(reference) == 8
        assert not set(reference) & set("0O1I")


# --- clinics that cannot be booked -------------------------------------------------------


def _draft(session, clinic):
    clinic.status = "draft"


def _cancelled(session, clinic):
    clinic.status = "cancelled"


def _closed(session, clinic):
    clinic.booking_closes_at = datetime.now(UTC) - timedelta(minutes=1)


def _not_open(session, clinic):
    clinic.booking_opens_at = datetime.now(UTC) + timedelta(days=1)


STATES = {
    "draft": (_draft, service.ClinicNotFound),
    "cancelled": (_cancelled, service.ClinicCancelled),
    "closed": (_closed, service.BookingClosed),
    "not open yet": (_not_open, service.BookingNotOpen),
}


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_refused_by_the_service(session, clinic, slot, state):
    change, error = state
    change(session, clinic)
    session.commit()
    with pytest.raises(error):
        book_directly(session, slot)
    session.rollback()
    assert written(session) == NOTHING


def test_past_slot_refused_by_the_service(session, past_clinic):
    with pytest.raises(service.SlotInPast):
        book_directly(session, past_clinic.slots[0])
    session.rollback()
    assert written(session) == NOTHING


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_refused_when_posted_by_hand(client, session, clinic, slot, state):
    """The parent reached the check page while booking was open; then the clinic changed."""
    fill_form(client, slot.id)
    check = client.get(f"/book/{slot.id}/check")
    change, error = state
    change(session, session.get(Clinic, clinic.id))
    session.commit()

    response = press_confirm(client, slot.id, check)
    expected = 404 if error is service.ClinicNotFound else 409
    assert response.status_code == expected
    if expected == 409:
        assert str(error.message) in response.get_data(as_text=True)
        assert "Nothing has been booked" in response.get_data(as_text=True)
    # The form itself is refused too, on GET and on POST.
    assert client.get(f"/book/{slot.id}").status_code == expected
    form = client.post(f"/book/{slot.id}", data={"parent_name": "x", "csrf_token": "x"})
    assert form.status_code == expected
    assert written(session) == NOTHING


def test_past_clinic_refused_when_posted_by_hand(client, session, past_clinic):
    slot = past_clinic.slots[0]
    response = client.post(f"/book/{slot.id}/check", data={"submission_id": str(uuid.uuid4())})
    assert response.status_code in (200, 409)  # the form's CSRF check or the refusal
    response = client.get(f"/book/{slot.id}")
    assert response.status_code == 409
    assert "This time has already passed" in response.get_data(as_text=True)
    assert written(session) == NOTHING


# --- one household, one live booking per clinic ------------------------------------------


def test_same_household_cannot_book_twice(session, clinic):
    book_directly(session, clinic.slots[0], email="alex@example.net")
    session.commit()
    with pytest.raises(service.AlreadyBooked):
        book_directly(session, clinic.slots[1], email="  ALEX@Example.NET ")
    session.rollback()
    assert written(session)["bookings"] == 1


def test_a_cancelled_booking_does_not_count(session, make, clinic):
    make.booking(clinic.slots[0], email="alex@example.net", status="cancelled")
    book_directly(session, clinic.slots[1], email="alex@example.net")
    session.commit()


def test_same_household_may_book_another_clinic(session, make, clinic, school, officer):
    other = make.clinic(school, officer, days_ahead=21)
    book_directly(session, clinic.slots[0])
    book_directly(session, other.slots[0])
    session.commit()
    assert written(session)["bookings"] == 2


def _page_after_confirm(client, slot_id, **changes) -> tuple[int, str]:
    """What the typist sees: every step's status, then the last page's text."""
    form = fill_form(client, slot_id, **changes)
    done = confirm(client, slot_id)
    final = client.get(done.headers["Location"]) if done.status_code == 302 else done
    steps = (form.status_code, done.status_code, done.headers.get("Location"), final.status_code)
    return steps, final.get_data(as_text=True).replace(changes.get("email", ""), "EMAIL")


def test_the_typist_cannot_tell_whether_an_address_has_a_booking(app, session, make, clinic, smtp):
    existing = make.booking(clinic.slots[0], email="alex.example@example.net")
    smtp.clear()
    already = _page_after_confirm(
        app.test_client(), clinic.slots[1].id, email="Alex.Example@example.net"
    )
    fresh = _page_after_confirm(
        app.test_client(), clinic.slots[1].id, email="someone.new@example.net"
    )
    assert already == fresh
    assert already[0] == (302, 302, "/book/confirmation", 200)
    assert "Check your email" in already[1] and "already a booking" not in already[1].lower()

    # The holder of the address is told, with their booking's link.
    (notice,) = smtp.to("alex.example@example.net")
    assert "already have a place" in notice["Subject"]
    body = notice.get_body(("plain",)).get_content()
    assert manage_token(existing) in body and existing.reference in body
    assert written(session)["bookings"] == 2  # the existing one, and someone.new's


def test_the_notice_goes_at_most_once_an_hour_per_booking(app, session, make, clinic, smtp):
    existing = make.booking(clinic.slots[0], email="alex.example@example.net")
    smtp.clear()
    for _ in range(3):
        _page_after_confirm(app.test_client(), clinic.slots[1].id, email=existing.email)
    assert len(smtp.to(existing.email)) == 1
    assert service.tell_already_booked(
        session, clinic.id, existing.email, now=utcnow() + timedelta(minutes=61)
    )


def test_staff_are_told_next_to_the_email(officer_client, session, make, slot):
    make.booking(slot, email="alex.example@example.net")
    response = fill_form(officer_client, slot.id, "/staff", email="Alex.Example@example.net")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="email-error"' in html and "already has a booking at this clinic" in html


def test_confirm_when_the_household_booked_meanwhile_books_nothing(
    client, session, make, clinic, smtp
):
    fill_form(client, clinic.slots[0].id)
    make.booking(clinic.slots[1], email="alex.example@example.net")  # e.g. in another tab
    response = confirm(client, clinic.slots[0].id)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/book/confirmation"
    )
    assert "Check your email" in client.get("/book/confirmation").get_data(as_text=True)
    assert written(session)["bookings"] == 1
    assert len(smtp.to("alex.example@example.net")) == 1  # the link to the booking they have


# --- double submit -----------------------------------------------------------------------


def test_double_click_makes_one_booking(client, session, slot, smtp):
    fill_form(client, slot.id)
    check = client.get(f"/book/{slot.id}/check")
    data = {"csrf_token": csrf_token(check), "submission_id": submission_id(check)}
    before_first = client.get_cookie("session").value

    first = client.post(f"/book/{slot.id}/check", data=data)
    again = client.post(f"/book/{slot.id}/check", data=data)  # the answer already came back
    client.set_cookie("session", before_first)  # the browser sent both clicks at once
    third = client.post(f"/book/{slot.id}/check", data=data)

    for response in (first, again, third):
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/book/confirmation")
    (booking,) = session.scalars(select(Booking)).all()
    assert "Check your email" in client.get("/book/confirmation").get_data(as_text=True)
    assert written(session) == {"bookings": 1, "emails": 1, "audit": 1, "places taken": 1}
    assert len(smtp.messages) == 1


def test_same_submission_returns_the_same_booking(session, clinic):
    submission = str(uuid.uuid4())
    first = book_directly(session, clinic.slots[0], submission=submission)
    session.commit()
    assert book_directly(session, clinic.slots[1], submission=submission).id == first.id
    session.commit()
    assert written(session)["bookings"] == 1


# --- full slots --------------------------------------------------------------------------


def test_full_slot_refused_and_nothing_written(session, make, slot):
    make.booking(slot)
    make.booking(slot)
    before = written(session)
    with pytest.raises(SlotFull):
        book_directly(session, slot)
    session.rollback()
    assert written(session) == before
    assert session.get(Slot, slot.id).booked == 2


def test_slot_filled_meanwhile_offers_the_other_times(client, session, make, clinic):
    wanted, other = clinic.slots[0], clinic.slots[2]
    fill_form(client, wanted.id)
    check = client.get(f"/book/{wanted.id}/check")
    make.booking(wanted)
    make.booking(wanted)
    make.booking(clinic.slots[1])
    make.booking(clinic.slots[1])

    response = press_confirm(client, wanted.id, check)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Sorry, this time is now full" in html and "Nothing has been booked" in html
    assert f'href="/book/{other.id}/check"' in html  # answers kept: straight to the check
    assert f'href="/book/{clinic.slots[1].id}/check"' not in html  # full as well

    assert confirm(client, other.id).status_code == 302
    booking = session.scalars(
        select(Booking).where(Booking.email == "alex.example@example.net")
    ).one()
    assert booking.slot_id == other.id


def test_a_refused_confirm_is_one_transaction_and_reads_the_answers_once(
    app, client, session, make, clinic
):
    """The rush's common case (190 of 200 parents): the "now full" page's reads share the
    transaction that tried (one write lock on SQLite), the saved answers are read once,
    and the page, holding nothing of the parent, is drawn once for everyone refused."""
    from sqlalchemy import event

    wanted = clinic.slots[0]
    fill_form(client, wanted.id)
    check = client.get(f"/book/{wanted.id}/check")
    other = app.test_client()  # a second parent at the same moment
    fill_form(other, wanted.id, email="sam.example@example.net")
    other_check = other.get(f"/book/{wanted.id}/check")
    make.booking(wanted)
    make.booking(wanted)
    slot_id = wanted.id  # read now: the test's own session would read it again
    statements: list[str] = []
    transactions: list[str] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        statements.append(sql)

    def begin(conn):
        transactions.append("begin")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        response = press_confirm(client, slot_id, check)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)
    assert response.status_code == 409
    assert "Sorry, this time is now full" in response.get_data(as_text=True)
    assert len(transactions) == 1
    drafts_read = [sql for sql in statements if "FROM booking_draft" in sql]
    assert len(drafts_read) == 1
    looked_up = [sql for sql in statements if "booking.submission_id =" in sql]
    assert len(looked_up) == (1 if engine.dialect.name == "sqlite" else 2)

    # The next parent refused at the same time gets the same page, not drawn again.
    again = press_confirm(other, slot_id, other_check)
    assert again.status_code == 409 and again.data == response.data
    assert session.get(Slot, slot_id).booked == 2


def test_full_clinic_offers_the_waiting_list(app, client, session, make, school, officer):
    clinic = make.clinic(school, officer, slots=1, capacity=1)
    fill_form(client, clinic.slots[0].id)
    check = client.get(f"/book/{clinic.slots[0].id}/check")
    make.booking(clinic.slots[0])
    response = press_confirm(client, clinic.slots[0].id, check)
    assert client.get(f"/book/{clinic.slots[0].id}/check").status_code == 409  # the page too
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Every time at this clinic is now taken" in html
    assert "Join the waiting list" in html
    assert f'href="/booking/clinics/{clinic.id}/waitlist"' in html


# --- races the checks cannot see: the database decides -----------------------------------


def _race(app, first, second):
    """Run ``first`` and keep its transaction open while ``second`` runs in another thread
    (it waits on the database), then commit ``first``. Returns the first booking's id and
    the second's, or the error the second raised.  The test's own session must hold no
    transaction (on SQLite it would hold the write lock)."""
    outcome = {}

    def run_second():
        with app.app_context(), Session(db.engine) as other:
            try:
                outcome["value"] = second(other).id
                other.commit()
            except (service.BookingError, SlotFull) as exc:
                other.rollback()
                outcome["value"] = exc

    with Session(db.engine) as one:
        made = first(one)
        thread = threading.Thread(target=run_second)
        thread.start()
        time.sleep(0.5)  # the second request reaches the database and waits
        one.commit()
        thread.join(timeout=20)
        return made.id, outcome["value"]


def test_race_same_household_two_slots(app, session, clinic):
    a, b = clinic.slots[0].id, clinic.slots[1].id
    session.commit()
    _, second = _race(
        app,
        lambda s: book_directly(s, a, email="alex@example.net"),
        lambda s: book_directly(s, b, email="Alex@example.net"),
    )
    assert isinstance(second, service.AlreadyBooked)
    assert written(session) == {"bookings": 1, "emails": 1, "audit": 1, "places taken": 1}


@pytest.mark.parametrize("capacity", [1, 2])
def test_race_double_click(app, session, make, school, officer, capacity):
    clinic = make.clinic(school, officer, slots=1, capacity=capacity)
    slot = clinic.slots[0].id
    submission = str(uuid.uuid4())
    session.commit()
    first_id, second = _race(
        app,
        lambda s: book_directly(s, slot, submission=submission),
        lambda s: book_directly(s, slot, submission=submission),
    )
    if isinstance(second, service.AlreadySubmitted):  # PostgreSQL: the unique index caught it
        assert second.booking_id == first_id
    else:  # the second request saw the first booking (SQLite queues, or the slot was full)
        assert second == first_id
    assert written(session) == {"bookings": 1, "emails": 1, "audit": 1, "places taken": 1}
