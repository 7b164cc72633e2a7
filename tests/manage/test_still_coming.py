""" "Still coming?": CONFIRM_ATTENDANCE_DAYS before the clinic each family with a booking is
asked once (``flask reminders still-coming``); the page's two buttons say yes or give the
place back (the usual cancellation); the officer's pages show the answers."""

import threading
from datetime import timedelta

from sqlalchemy import select

from clinic.booking import still_coming
from clinic.booking.cli import reminders_cli
from clinic.extensions import db
from clinic.models import AuditEvent, Booking, Slot, WaitlistEntry, utcnow
from tests.helpers import csrf_token
from tests.outbox.support import run_cron_as_in_production, statuses

from .support import (
    calendar_part,
    links_in,
    manage_path,
    path_of,
    read_both,
    set_times,
    snapshot,
    subject,
)

LONG_AGO = timedelta(days=20)


def early_booking(make, slot, **fields):
    """A booking made well before the ask time (the families who are asked)."""
    return make.booking(slot, created_at=utcnow() - LONG_AGO, **fields)


def page(booking) -> str:
    return f"{manage_path(booking)}/still-coming"


def press(client, booking, button: str):
    """Open the page and press one of its buttons, as a browser without JavaScript does."""
    shown = client.get(page(booking))
    assert shown.status_code == 200, shown.get_data(as_text=True)[:2000]
    return client.post(page(booking), data={"csrf_token": csrf_token(shown), button: "x"})


def reload(session, booking) -> Booking:
    session.expire_all()
    return session.get_one(Booking, booking.id)


# --- who is asked, and once ------------------------------------------------------------


def test_each_family_is_asked_once_with_a_link_to_the_page(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2, hours=20))
    due = [early_booking(make, clinic.slots[0]), early_booking(make, clinic.slots[1])]
    early_booking(make, clinic.slots[2], status="cancelled")
    runner = app.test_cli_runner()

    first = runner.invoke(reminders_cli, ["still-coming"])
    second = runner.invoke(reminders_cli, ["still-coming"])

    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "Families asked if they are still coming: 2."
    assert second.output.splitlines() == [
        "Families asked if they are still coming: 0.",
        "Sent 0 emails, 0 to retry, 0 failed.",
    ]
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(b.email for b in due)
    message = smtp.to(due[0].email)[0]
    assert subject(message).startswith("Are you still coming? Parental controls clinic")
    links = [path_of(link) for link in links_in(message)]
    assert f"{page(due[0])}?lang=en" in links
    # The footer's link to delete the family's details, as in every parent email.
    assert f"{manage_path(due[0])}/delete?lang=en" in links
    text = message.get_body(("plain",)).get_content()
    assert "If you do not answer, your booking stays as it is." in text
    method, ics = calendar_part(message)
    assert method == read_both(ics)["method"] == "REQUEST"
    for booking in due:
        assert reload(session, booking).still_coming_asked_at is not None
    assert (
        session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "booking.still_coming_asked")
        ).all()
        == ["booking.still_coming_asked"] * 2
    )


def test_only_slots_in_the_window_booked_before_the_ask_time_are_asked(
    app, session, smtp, make, school, officer_user
):
    starts = {
        "too soon": timedelta(hours=10),
        "in window": timedelta(days=2),
        "edge": timedelta(days=3) - timedelta(minutes=5),
        "too late": timedelta(days=3, hours=2),
    }
    bookings = {}
    for name, starts_in in starts.items():
        clinic = make.clinic(school, officer_user, slots=2)
        set_times(session, clinic, starts_in=starts_in)
        bookings[name] = early_booking(make, clinic.slots[0])
        if name == "in window":
            # Booked yesterday, two days before: they have just told us they are coming.
            bookings["booked late"] = make.booking(
                clinic.slots[1], created_at=utcnow() - timedelta(hours=12)
            )
    draft = make.clinic(school, officer_user, slots=1, status="draft")
    set_times(session, draft, starts_in=timedelta(days=2))
    early_booking(make, draft.slots[0])
    past = make.clinic(school, officer_user, slots=1)
    set_times(session, past, starts_in=-timedelta(hours=2))
    early_booking(make, past.slots[0])

    counts = still_coming.ask_all(session)

    assert (counts.due, counts.sent) == (2, 2)
    asked = sorted(m["X-Envelope-To"] for m in smtp.messages)
    assert asked == sorted([bookings["in window"].email, bookings["edge"].email])


def test_zero_days_asks_nobody(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    early_booking(make, clinic.slots[0])
    app.config["CONFIRM_ATTENDANCE_DAYS"] = 0

    result = app.test_cli_runner().invoke(reminders_cli, ["still-coming"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Nobody is asked: CONFIRM_ATTENDANCE_DAYS is 0."
    assert smtp.messages == []


def test_the_number_of_days_is_configurable(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=6))
    early_booking(make, clinic.slots[0])
    assert still_coming.ask_all(session).sent == 0
    app.config["CONFIRM_ATTENDANCE_DAYS"] = 7
    assert still_coming.ask_all(session).sent == 1


def test_a_claimed_question_is_not_asked_again(session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0])
    now = utcnow()
    assert still_coming.ask(session, booking.id, now=now) is True
    session.commit()
    assert still_coming.ask(session, booking.id, now=now) is False
    session.commit()
    assert len(smtp.messages) == 1


def test_two_runs_at_once_never_ask_twice(app, session, smtp, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=4, capacity=3)
    set_times(session, clinic, starts_in=timedelta(days=2))
    emails = [early_booking(make, slot).email for slot in clinic.slots for _ in range(3)]
    session.commit()
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(still_coming.ask_all(db.session))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(counts.sent for counts in results) == len(emails) == 12
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(emails)


def test_the_command_sends_its_emails_before_it_exits(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    early_booking(make, clinic.slots[0])

    output = run_cron_as_in_production(app, "reminders", "still-coming")

    assert output.splitlines() == [
        "Families asked if they are still coming: 1.",
        "Sent 1 email, 0 to retry, 0 failed.",
    ]
    assert statuses(session, "still_coming") == ["sent"]


def test_the_email_is_in_the_bookings_language(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0], language="cy")

    still_coming.ask_all(session)

    (message,) = smtp.messages
    assert f"{page(booking)}?lang=cy" in [path_of(link) for link in links_in(message)]


# --- the page ----------------------------------------------------------------------------


def test_opening_the_page_changes_nothing(client, session, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0])
    before = snapshot(session)

    shown = client.get(page(booking))

    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "Are you still coming?" in html
    assert "Yes, we&#39;re coming" in html or "Yes, we're coming" in html
    assert "We can&#39;t come — give our place to another family" in html or (
        "We can't come — give our place to another family" in html
    )
    assert shown.headers["Cache-Control"] == "no-store"
    assert snapshot(session) == before
    assert reload(session, booking).still_coming_answer is None


def test_a_post_without_a_csrf_token_changes_nothing(client, session, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0])
    before = snapshot(session)

    for button in ("coming", "cannot_come"):
        response = client.post(page(booking), data={button: "x"})
        assert "This form was open for too long" in response.get_data(as_text=True)

    assert snapshot(session) == before
    booking = reload(session, booking)
    assert (booking.status, booking.still_coming_answer) == ("confirmed", None)


def test_yes_is_recorded_and_thanked(client, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0])

    response = press(client, booking, "coming")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(page(booking))
    thanked = client.get(page(booking)).get_data(as_text=True)
    assert "Thank you, we will see you there" in thanked
    assert "You told us you are coming on" in thanked
    booking = reload(session, booking)
    assert booking.status == "confirmed" and booking.still_coming_answer == "yes"
    first = booking.still_coming_answered_at
    assert first is not None
    assert smtp.messages == []  # nothing to email: their booking is as it was

    again = press(client, booking, "coming")  # pressing it again is harmless
    assert again.status_code == 302
    booking = reload(session, booking)
    assert booking.still_coming_answer == "yes" and booking.still_coming_answered_at >= first
    assert session.get_one(Slot, clinic.slots[0].id).booked == 1


def test_we_cannot_come_is_the_usual_cancellation(client, session, smtp, make, clinic, book):
    set_times(session, clinic, starts_in=timedelta(days=2), closes_before=None)
    booking = book(clinic.slots[0])
    waiting = WaitlistEntry(
        clinic_id=clinic.id,
        parent_name="Wendy Waiting",
        email="wendy@example.net",
        email_normalised="wendy@example.net",
        child_years=["Year 5"],
        topics=["roblox"],
        consent_at=utcnow(),
        consent_version="2026-11",
    )
    session.add(waiting)
    session.commit()
    smtp.clear()

    response = press(client, booking, "cannot_come")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(manage_path(booking))
    shown = client.get(manage_path(booking)).get_data(as_text=True)
    assert "Thank you for letting us know. Your booking is cancelled" in shown
    assert "Your cancelled booking" in shown
    booking = reload(session, booking)
    assert booking.status == "cancelled" and booking.still_coming_answer == "no"
    (cancelled,) = smtp.to("ann.parent@example.net")
    method, ics = calendar_part(cancelled)
    assert method == read_both(ics)["method"] == "CANCEL"
    # The freed place is offered to the family waiting, and held for them.
    assert session.get_one(WaitlistEntry, waiting.id).status == "offered"
    assert session.get_one(Slot, clinic.slots[0].id).booked == 1
    assert smtp.to("wendy@example.net")


def test_a_yes_can_become_we_cannot_come(client, session, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0])
    press(client, booking, "coming")

    thanked = client.get(page(booking)).get_data(as_text=True)
    assert "If you find you cannot come after all" in thanked
    press(client, booking, "cannot_come")

    booking = reload(session, booking)
    assert (booking.status, booking.still_coming_answer) == ("cancelled", "no")


def test_a_cancelled_booking_is_shown_as_it_is(client, session, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0])
    shown = client.get(page(booking))
    token = csrf_token(shown)
    press(client, booking, "cannot_come")
    before = snapshot(session)

    opened = client.get(page(booking))
    assert opened.status_code == 200
    assert "This booking has been cancelled" in opened.get_data(as_text=True)
    late = client.post(page(booking), data={"csrf_token": token, "coming": "x"})

    assert late.status_code == 409
    assert "This booking has been cancelled" in late.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_past_booking_cannot_be_answered(client, session, make, clinic):
    set_times(session, clinic, starts_in=timedelta(days=2))
    booking = early_booking(make, clinic.slots[0])
    token = csrf_token(client.get(page(booking)))
    set_times(session, clinic, starts_in=-timedelta(hours=3))
    before = snapshot(session)

    opened = client.get(page(booking))
    late = client.post(page(booking), data={"csrf_token": token, "coming": "x"})

    assert opened.status_code == 200
    assert "This clinic has finished" in opened.get_data(as_text=True)
    assert late.status_code == 409
    assert snapshot(session) == before
    assert reload(session, booking).still_coming_answer is None


def test_an_unknown_link_finds_nothing(client, session, make, clinic):
    booking = early_booking(make, clinic.slots[0])
    tampered = page(booking).replace("/booking/", "/booking/x")
    assert client.get(tampered).status_code == 404
    assert client.get("/booking/nonsense/still-coming").status_code == 404


# --- what the officer sees --------------------------------------------------------------


def _three_answers(client, session, make, clinic):
    """Three families asked: one says yes, one gives the place back, one does not answer."""
    set_times(session, clinic, starts_in=timedelta(days=2))
    yes = early_booking(make, clinic.slots[0], parent_name="Yasmin Yes")
    back = early_booking(make, clinic.slots[1], parent_name="Nora Notcoming")
    silent = early_booking(make, clinic.slots[2], parent_name="Sam Silent")
    early_booking(make, clinic.slots[3], parent_name="Lena Late")
    still_coming.ask_all(session)
    lena = session.scalar(select(Booking).where(Booking.parent_name == "Lena Late"))
    lena.still_coming_asked_at = None  # as if booked after the question went
    session.commit()
    press(client, yes, "coming")
    press(client, back, "cannot_come")
    return yes, back, silent


def test_the_officers_clinic_page_shows_the_answers(
    app, client, officer_client, session, make, clinic
):
    _three_answers(client, session, make, clinic)

    html = officer_client.get(f"/staff/clinics/{clinic.id}").get_data(as_text=True)

    section = html.split('id="still-coming"', 1)[1].split("</table>", 1)[0]
    assert "3 families were asked if they are still coming: 1 said yes, 1 have not " in section
    rows = {
        name: section.split(name, 1)[1].split("</tr>", 1)[0]
        for name in ("Yasmin Yes", "Nora Notcoming", "Sam Silent")
    }
    assert 'govuk-tag--green">Coming' in rows["Yasmin Yes"]
    assert 'govuk-tag--red">Gave their place back' in rows["Nora Notcoming"]
    assert 'govuk-tag--yellow">Not answered' in rows["Sam Silent"]
    assert "Lena Late" not in section


def test_the_attendance_list_shows_the_answers(client, officer_client, session, make, clinic):
    _three_answers(client, session, make, clinic)

    html = officer_client.get(f"/staff/attendance/clinics/{clinic.id}").get_data(as_text=True)
    csv = officer_client.get(f"/staff/attendance/clinics/{clinic.id}/list.csv").get_data(
        as_text=True
    )

    def row_of(name):
        return html.split(name, 1)[1].split("</tr>", 1)[0]

    assert "Still coming?" in html
    assert 'govuk-tag--green">Coming' in row_of("Yasmin Yes")
    assert 'govuk-tag--red">Gave their place back' in row_of("Nora Notcoming")
    assert 'govuk-tag--yellow">Not answered' in row_of("Sam Silent")
    assert "govuk-tag--" not in row_of("Lena Late").split("Booked", 1)[1]
    lines = {line.split(",")[1]: line for line in csv.splitlines()[1:]}
    assert csv.splitlines()[0].endswith("Booking reference,Still coming?")
    assert lines["Yasmin Yes"].endswith(",Coming")
    assert lines["Nora Notcoming"].endswith(",Gave their place back")
    assert lines["Sam Silent"].endswith(",Not answered")
    assert lines["Lena Late"].endswith(",")
