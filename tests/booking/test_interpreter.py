"""Interpreters (issue 17): asked for on the booking and waiting-list forms, the officer told
at once by email, marked arranged on the clinic page, shown on the dashboard, and covered by
the purge, erasure and the subject-access export."""

from __future__ import annotations

import html

from sqlalchemy import select

from clinic.booking.interpreters import days_until
from clinic.filters import format_datetime
from clinic.manage import service as manage
from clinic.models import AuditEvent, Booking, OutboxMessage, User, WaitlistEntry, utcnow
from clinic.privacy import purge
from clinic.privacy import service as privacy
from tests.booking.support import book, fill_form, wait_for_mail
from tests.helpers import csrf_token
from tests.manage.support import offer_path, post_with_token
from tests.privacy.support import move

OFFICER = "pc.jones@example.org"  # tests/booking/conftest.py: the clinic's officer
POLISH = {"interpreter": "yes", "interpreter_language": "pl"}


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_form_asks_about_an_interpreter_not_in_free_text(client, slot):
    page = _page(client.get(f"/book/{slot.id}"))
    assert "Would an interpreter help at the clinic?" in page
    assert 'name="interpreter_language"' in page and ">British Sign Language<" in page
    assert ">Another language<" in page and 'name="interpreter_other"' in page
    assert "govuk-radios__conditional" in page  # revealed under Yes (all shown without JS)
    assert "Access needs (optional)" in page
    assert "For example step-free access or a hearing loop." in page
    assert "language for an interpreter" not in page


def test_a_parent_books_an_interpreter_and_the_officer_is_told_at_once(
    client, session, clinic, slot, smtp
):
    check = fill_form(client, slot.id, **POLISH)
    assert check.status_code == 302
    shown = _page(client.get(f"/book/{slot.id}/check"))
    assert "Interpreter" in shown and "Polish" in shown

    assert book(client, slot.id, **POLISH).status_code == 302

    booking = session.scalars(select(Booking)).one()
    assert (booking.interpreter_language, booking.interpreter_other) == ("pl", None)
    assert booking.interpreter_arranged_at is None
    (message,) = wait_for_mail(smtp, OFFICER)
    when = format_datetime(slot.starts_at)
    assert str(message["Subject"]).startswith("Interpreter needed: Polish")
    text = _text(message)
    assert "Interpreter: Polish" in text
    assert f"Time: {when}" in text
    assert f"The clinic is {days_until(slot.starts_at, utcnow())} ({when})." in text
    assert "The clinic is in 14 days" in text  # the factory's clinic is two weeks ahead
    assert f"http://localhost/staff/clinics/{clinic.id}" in text
    assert booking.reference in text and clinic.title in text
    # the parent's own confirmation went too
    wait_for_mail(smtp, booking.email)


def test_another_language_is_typed(client, session, slot, smtp):
    answers = {
        "interpreter": "yes",
        "interpreter_language": "other",
        "interpreter_other": "Amharic",
    }
    assert book(client, slot.id, **answers).status_code == 302
    booking = session.scalars(select(Booking)).one()
    assert (booking.interpreter_language, booking.interpreter_other) == ("other", "Amharic")
    (message,) = wait_for_mail(smtp, OFFICER)
    assert "Interpreter: Amharic" in _text(message)


def test_yes_needs_a_language_and_nothing_is_stored(client, session, slot, smtp):
    response = fill_form(client, slot.id, interpreter="yes")
    assert response.status_code == 200
    page = _page(response)
    assert "Select the language the interpreter should speak" in page
    assert 'href="#interpreter_language"' in page  # the error summary links to the field
    assert 'id="interpreter_language-error"' in page

    other = fill_form(client, slot.id, interpreter="yes", interpreter_language="other")
    assert "Enter the language the interpreter should speak" in _page(other)
    unknown = fill_form(client, slot.id, interpreter="yes", interpreter_language="xx")
    assert "Select a language from the list" in _page(unknown)

    assert session.scalars(select(Booking)).all() == []
    assert session.scalars(select(OutboxMessage)).all() == []


def test_no_interpreter_means_no_language_and_no_officer_email(client, session, slot, smtp):
    # A language chosen, then No: the language is not kept.
    assert book(client, slot.id, interpreter="no", interpreter_language="pl").status_code == 302
    booking = session.scalars(select(Booking)).one()
    assert booking.interpreter_language is None
    wait_for_mail(smtp, booking.email)
    assert smtp.to(OFFICER) == []


def test_staff_choose_the_familys_language_and_the_interpreter(officer_client, session, slot, smtp):
    form = _page(officer_client.get(f"/staff/book/{slot.id}"))
    assert "Which language should we email them in?" in form
    assert "Polski (Polish)" in form and "Cymraeg (Welsh)" in form
    assert '<option value="en" selected>English</option>' in form

    response = book(officer_client, slot.id, "/staff", language="pl", **POLISH)
    assert response.status_code == 302
    booking = session.scalars(select(Booking)).one()
    assert booking.language == "pl" and booking.interpreter_language == "pl"
    wait_for_mail(smtp, OFFICER)


def test_staff_language_defaults_to_english(officer_client, session, slot):
    assert book(officer_client, slot.id, "/staff").status_code == 302
    assert session.scalars(select(Booking)).one().language == "en"


def test_marking_the_interpreter_arranged(
    app, officer_client, school_client, client, make, session, clinic, slot, other_school
):
    needing = make.booking(slot, interpreter_language="ar", parent_name="Amina Parent")
    make.booking(slot)  # no interpreter
    path = f"/staff/clinics/{clinic.id}"

    page = _page(officer_client.get(path))
    assert "1 interpreter needed, 0 arranged." in page
    assert "Amina Parent" in page and "Arabic" in page and "Not arranged" in page
    dashboard = _page(officer_client.get("/staff/clinics/"))
    assert "1 interpreter needed, 0 arranged" in dashboard

    action = f"{path}/bookings/{needing.id}/interpreter"
    response = officer_client.post(
        action, data={"csrf_token": csrf_token(officer_client.get(path)), "arranged": "1"}
    )
    assert response.status_code == 302
    session.expire_all()
    booking = session.get(Booking, needing.id)
    assert booking.interpreter_arranged_at is not None
    officer = session.scalar(select(User).where(User.email == "officer@example.org"))
    assert booking.interpreter_arranged_by_id == officer.id
    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "booking.interpreter_arranged")
    )
    assert event.object_id == needing.id and event.school_id == clinic.school_id
    page = _page(officer_client.get(path))
    assert "1 interpreter needed, 1 arranged." in page and "Not arranged yet" in page
    assert "1 interpreter needed, 1 arranged" in _page(officer_client.get("/staff/clinics/"))

    # the school's own staff may undo it
    response = school_client.post(
        action, data={"csrf_token": csrf_token(school_client.get(path)), "arranged": "0"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Booking, needing.id).interpreter_arranged_at is None

    # without a CSRF token nothing changes; a parent or another school gets not found
    officer_client.post(action, data={"arranged": "1"})
    session.expire_all()
    assert session.get(Booking, needing.id).interpreter_arranged_at is None
    assert client.post(action, data={"arranged": "1"}).status_code in (302, 404)
    outsider = make.user(role="school", email="other@example.org", school=other_school)
    from tests.conftest import sign_in

    other = sign_in(app.test_client(), outsider)
    # (the school is checked before the form: no token is needed to be told "not found")
    assert other.post(action, data={"arranged": "1"}).status_code == 404
    session.expire_all()
    assert session.get(Booking, needing.id).interpreter_arranged_at is None


def test_moving_a_booking_that_needs_an_interpreter_tells_the_officer(
    client, session, clinic, slot, smtp
):
    assert book(client, slot.id, **POLISH).status_code == 302
    booking = session.scalars(select(Booking)).one()
    wait_for_mail(smtp, OFFICER)
    later = clinic.slots[2]
    move(client, booking, later.id)
    messages = wait_for_mail(smtp, OFFICER, count=2)
    moved = messages[-1]
    assert str(moved["Subject"]).startswith("Interpreter moved: Polish")
    assert format_datetime(later.starts_at) in _text(moved)


def test_a_claimed_waiting_list_offer_carries_the_interpreter(
    client, session, smtp, make, school, officer_user
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    leaving = make.booking(clinic.slots[0])
    path = f"/booking/clinics/{clinic.id}/waitlist"
    form = _page(client.get(path))
    assert "Would an interpreter help at the clinic?" in form
    data = {
        "parent_name": "Wendy Waiting",
        "email": "wendy@example.net",
        "child_years": ["Year 2"],
        "topics": ["tiktok"],
        "consent": "y",
        "interpreter": "yes",
        "interpreter_language": "uk",
    }
    assert post_with_token(client, path, data=data).status_code == 302
    entry = session.scalars(select(WaitlistEntry)).one()
    assert entry.interpreter_language == "uk"
    assert smtp.to("officer@example.org") == []  # nobody is booked yet

    manage.cancel_booking(session, leaving, actor="parent")
    session.commit()
    assert post_with_token(client, offer_path(entry)).status_code == 302
    session.expire_all()
    booking = session.get(Booking, session.get(WaitlistEntry, entry.id).booking_id)
    assert booking.interpreter_language == "uk"
    (message,) = wait_for_mail(smtp, "officer@example.org")
    assert "Interpreter: Ukrainian" in _text(message)


def test_purge_erasure_and_export_cover_the_interpreter(session, make, slot):
    purged = make.booking(slot, interpreter_language="other", interpreter_other="Amharic")
    purge.anonymise(purge.CLINIC_RECORDS["booking"], session, purged.id, now=utcnow())
    entry = WaitlistEntry(
        clinic_id=slot.clinic_id,
        parent_name="W",
        email="w@example.net",
        email_normalised="w@example.net",
        child_years=[],
        topics=[],
        interpreter_language="so",
        status="removed",
    )
    session.add(entry)
    session.commit()
    purge.anonymise(purge.CLINIC_RECORDS["waiting-list entry"], session, entry.id, now=utcnow())
    session.commit()
    session.expire_all()
    for record in (session.get(Booking, purged.id), session.get(WaitlistEntry, entry.id)):
        assert (record.interpreter_language, record.interpreter_other) == (None, None)

    kept = make.booking(slot, email="kept@example.net", interpreter_language="pl")
    exported = privacy.export(session, privacy.holdings(session, "kept@example.net"))
    (row,) = exported["bookings"]
    assert row["interpreter_language"] == "pl"
    assert row["interpreter_language_name"] == "Polish"

    privacy.erase_booking(session, kept, actor="parent")
    session.commit()
    session.expire_all()
    assert session.get(Booking, kept.id).interpreter_language is None
