"""Sending attendance lists to schools: when, to whom, once, and what changed since."""

import csv
import io
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.attendance import sending, service
from clinic.filters import format_date
from clinic.models import Booking, Clinic, utcnow
from clinic.outbox.cli import outbox_cli
from tests.helpers import csrf_token
from tests.outbox.support import run_cron_as_in_production, statuses

from .conftest import audit_events, pdf_text
from .test_list import url

LONDON = ZoneInfo("Europe/London")


def attachments(message) -> dict[str, tuple[str, bytes]]:
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def run_worker(app):
    """One round of `flask outbox worker`: it sends the lists asked for, then the mail."""
    result = app.test_cli_runner().invoke(outbox_cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


# --- when a list is due -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clinic_day", "sent_on"),
    [
        (date(2026, 12, 7), date(2026, 12, 4)),  # Monday -> Friday
        (date(2026, 12, 8), date(2026, 12, 7)),  # Tuesday -> Monday
        (date(2026, 12, 12), date(2026, 12, 11)),  # Saturday -> Friday
        (date(2026, 12, 13), date(2026, 12, 11)),  # Sunday -> Friday
        # Bank holidays in England are not working days, substitute days included:
        (date(2026, 12, 29), date(2026, 12, 24)),  # after Christmas, Boxing Day (Mon 28)
        (date(2026, 12, 28), date(2026, 12, 24)),  # the substitute day itself
        (date(2027, 3, 30), date(2027, 3, 25)),  # after Easter Monday -> before Good Friday
        (date(2026, 5, 26), date(2026, 5, 22)),  # after the Spring bank holiday
        (date(2027, 1, 4), date(2026, 12, 31)),  # after New Year's Day (a Friday)
    ],
)
def test_the_list_is_due_at_9am_on_the_working_day_before(clinic_day, sent_on):
    due = sending.list_due_at(clinic_day, time(9, 0), LONDON)

    assert due.astimezone(LONDON).date() == sent_on
    assert due.astimezone(LONDON).time() == time(9, 0)


def test_the_due_time_is_local_time_in_summer_and_winter():
    winter = sending.list_due_at(date(2026, 12, 8), time(9, 0), LONDON)
    summer = sending.list_due_at(date(2026, 6, 9), time(9, 0), LONDON)

    assert (winter.hour, winter.minute) == (9, 0)  # GMT: 9am is 09:00 UTC
    assert (summer.hour, summer.minute) == (8, 0)  # BST: 9am is 08:00 UTC


def test_a_clinic_becomes_due_at_its_time_and_not_before(app, session, clinic):
    due = sending.list_due_at(clinic.date, time(9, 0), LONDON)

    assert sending.due_clinic_ids(session, due - timedelta(minutes=1)) == []
    assert sending.due_clinic_ids(session, due) == [clinic.id]
    assert sending.due_clinic_ids(session, due + timedelta(days=1)) == [clinic.id]


def test_a_list_due_long_before_a_holiday_clinic_is_found(app, session, make, school):
    """Tuesday 29 December 2026: the list is due on Thursday 24th, five days before."""
    officer = make.user(role="officer", schools=[school])
    clinic = make.clinic(school, officer, status="published")
    clinic.date = date(2026, 12, 29)
    session.commit()
    due = sending.list_due_at(clinic.date, time(9, 0), LONDON)
    assert due.astimezone(LONDON).date() == date(2026, 12, 24)

    assert clinic.id not in sending.due_clinic_ids(session, due - timedelta(minutes=1))
    assert clinic.id in sending.due_clinic_ids(session, due)


def test_the_send_time_can_be_set(app, session, clinic):
    app.config["ATTENDANCE_LIST_SEND_AT"] = "16:30"
    due = sending.list_due_at(clinic.date, time(16, 30), LONDON)

    assert sending.due_clinic_ids(session, due - timedelta(minutes=1)) == []
    assert sending.due_clinic_ids(session, due) == [clinic.id]


def test_a_bad_send_time_is_reported_plainly(app):
    app.config["ATTENDANCE_LIST_SEND_AT"] = "9am"

    with pytest.raises(ValueError, match="ATTENDANCE_LIST_SEND_AT must be a time like 09:00"):
        sending.send_time()


def test_drafts_cancelled_sent_and_past_clinics_are_never_due(app, session, clinic_on):
    clinic_on(0, status="draft")
    clinic_on(0, status="cancelled")
    clinic_on(0, list_sent_at=utcnow())
    clinic_on(-1)
    due = clinic_on(0)

    assert sending.due_clinic_ids(session, utcnow()) == [due.id]


# --- the command (cron) ---------------------------------------------------------------------


def test_send_lists_emails_the_school_and_its_staff_once(
    app, session, smtp, make, todays_clinic, school, school_user, officer_user, tmp_path
):
    make.user(role="school", school=school, email="left@school.example.org", active=False)
    make.user(role="school", school=school, email=school.contact_email.upper())  # same address
    make.booking(todays_clinic.slots[0], parent_name="Amira Early", phone="+447700900982")
    make.booking(todays_clinic.slots[1], parent_name="Zara Late", child_years=["Year 6"])

    result = app.test_cli_runner().invoke(args=["attendance", "send-lists"])

    assert result.exit_code == 0, result.output
    assert "Attendance lists sent for 1 clinic (2 emails)." in result.output
    recipients = sorted(m["To"] for m in smtp.messages)
    assert recipients == sorted([school.contact_email, school_user.email])
    assert not smtp.to(officer_user.email)
    assert not smtp.to("left@school.example.org")

    message = smtp.to(school.contact_email)[0]
    assert message["Subject"] == (
        f"Attendance list for the clinic on {format_date(todays_clinic.date)}"
    )
    text = body(message)
    assert f"http://localhost/staff/attendance/clinics/{todays_clinic.id}" in text
    assert "Booked: 2 of 4 places" in text
    assert "Changes since" not in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="http://localhost/staff/attendance/clinics/{todays_clinic.id}"' in html

    files = attachments(message)
    stem = f"attendance-{todays_clinic.date.isoformat()}-{school.slug}"
    assert set(files) == {f"{stem}.pdf", f"{stem}.csv"}
    pdf_type, pdf = files[f"{stem}.pdf"]
    assert pdf_type == "application/pdf"
    sheet = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Sign-in sheet: Oakfield Primary School" in sheet
    assert "Amira Early" in sheet and "Zara Late" in sheet and "07700 900982" in sheet
    csv_type, data = files[f"{stem}.csv"]
    assert csv_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["Parent or carer"] for row in rows] == ["Amira Early", "Zara Late"]

    session.expire_all()
    sent = session.get(Clinic, todays_clinic.id)
    assert sent.list_sent_at is not None
    assert sorted(sent.list_sent_booking_ids) == sorted(
        b.id for b in session.query(Booking).filter_by(clinic_id=todays_clinic.id)
    )
    (event,) = audit_events(session, "clinic.list_sent")
    assert event.actor_label == "system"
    assert event.school_id == school.id
    assert event.details["recipients"] == 2

    smtp.clear()
    again = app.test_cli_runner().invoke(args=["attendance", "send-lists"])

    assert again.exit_code == 0, again.output
    assert "Attendance lists sent for 0 clinics (0 emails)." in again.output
    assert smtp.messages == []
    assert len(audit_events(session, "clinic.list_sent")) == 1


def test_a_run_that_lost_the_race_sends_nothing(app, session, smtp, todays_clinic):
    """Two cron runs at once: the second finds the list already sent and queues nothing."""
    assert sending.send_list(session, todays_clinic, actor="system", only_if_unsent=True)
    session.commit()
    smtp.clear()

    again = sending.send_list(session, todays_clinic, actor="system", only_if_unsent=True)
    session.commit()

    assert again == []
    assert smtp.messages == []


# --- the button, and re-sending after changes -------------------------------------------------


def test_send_to_school_now_answers_at_once_and_the_worker_sends_it(
    app, officer_client, session, smtp, clinic, school
):
    page = officer_client.get(url(clinic))

    response = officer_client.post(
        url(clinic, "/send"), data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )

    # The button does not wait for the PDF: it asks the worker, and the page says so.
    assert response.status_code == 200
    assert f"The attendance list is being emailed to {school.contact_email}." in response.text
    assert "You asked to send the list at" in response.text
    assert smtp.messages == []
    assert audit_events(session, "clinic.list_sent") == []
    # Pressing it again before the list has gone asks once.
    officer_client.post(url(clinic, "/send"), data={"csrf_token": csrf_token(page)})

    output = run_worker(app)

    assert "Attendance lists sent for 1 clinic (1 email)." in output
    (message,) = smtp.to(school.contact_email)
    assert set(attachments(message)) == {
        service.file_name(clinic, "pdf"),
        service.file_name(clinic, "csv"),
    }
    (event,) = audit_events(session, "clinic.list_sent")
    assert event.actor_label == "officer@example.org"  # who pressed the button
    assert len(audit_events(session, "clinic.list_requested")) == 2
    page = officer_client.get(url(clinic)).text
    assert "You asked to send the list at" not in page
    session.expire_all()
    sent_at = session.get(Clinic, clinic.id).list_sent_at
    assert f"The list was last emailed to the school on {format_date(sent_at)}" in page
    smtp.clear()
    assert "Attendance lists sent" not in run_worker(app)  # once only
    assert smtp.messages == []


def test_a_list_asked_for_is_not_sent_once_the_clinic_is_cancelled(
    app, officer_client, session, smtp, clinic, officer_user
):
    sending.request_list(session, clinic, actor=officer_user)
    clinic.status = "cancelled"
    session.commit()

    run_worker(app)

    assert smtp.messages == []
    assert audit_events(session, "clinic.list_sent") == []
    session.expire_all()
    assert session.get(Clinic, clinic.id).list_requested_at is None


def test_the_send_button_needs_its_csrf_token(officer_client, smtp, clinic):
    response = officer_client.post(url(clinic, "/send"))

    assert response.status_code == 400
    assert smtp.messages == []


def test_a_draft_clinics_list_is_not_sent(
    officer_client, session, smtp, make, school, officer_user, clinic
):
    draft = make.clinic(school, officer_user, status="draft")
    assert "Send to school now" not in officer_client.get(url(draft)).text
    token = csrf_token(officer_client.get(url(clinic)))  # the button of a published clinic

    response = officer_client.post(
        url(draft, "/send"), data={"csrf_token": token}, follow_redirects=True
    )

    assert "Only a published clinic&#39;s attendance list can be sent." in response.text
    assert smtp.messages == []
    assert audit_events(session, "clinic.list_sent") == []


def test_a_list_sent_again_says_what_changed(
    officer_client, session, smtp, make, clinic, school, tmp_path
):
    stays = make.booking(clinic.slots[0], parent_name="Stays Put")
    leaves = make.booking(clinic.slots[1], parent_name="Cath Cancels")
    sending.send_list(session, clinic, actor="system")
    session.commit()
    smtp.clear()
    make.booking(clinic.slots[2], parent_name="Larry Late")
    leaves.status = "cancelled"
    leaves.slot.booked -= 1
    session.commit()

    page = officer_client.get(url(clinic))
    assert "1 new booking: Larry Late" in page.text
    assert "1 cancelled: Cath Cancels" in page.text
    assert "Send the updated list to the school" in page.text
    officer_client.post(url(clinic, "/send"), data={"csrf_token": csrf_token(page)})
    run_worker(officer_client.application)

    (message,) = smtp.to(school.contact_email)
    assert message["Subject"] == (
        f"Updated attendance list for the clinic on {format_date(clinic.date)}"
    )
    text = body(message)
    assert "Changes since the list we sent on" in text
    assert "- 1 new booking: Larry Late" in text
    assert "- 1 cancelled: Cath Cancels" in text
    assert "Stays Put" not in text  # unchanged bookings are only in the attachments
    session.expire_all()
    assert sorted(session.get(Clinic, clinic.id).list_sent_booking_ids) == sorted(
        [stays.id, session.query(Booking).filter_by(parent_name="Larry Late").one().id]
    )
    (first, second) = audit_events(session, "clinic.list_sent")
    assert (second.details["added"], second.details["cancelled"]) == (1, 1)


def test_a_list_sent_again_with_no_changes_says_so(officer_client, session, smtp, clinic, school):
    sending.send_list(session, clinic, actor="system")
    session.commit()
    smtp.clear()

    page = officer_client.get(url(clinic))
    assert "Nobody has booked or cancelled since then." in page.text
    officer_client.post(url(clinic, "/send"), data={"csrf_token": csrf_token(page)})
    run_worker(officer_client.application)

    (message,) = smtp.to(school.contact_email)
    assert message["Subject"].startswith("Updated attendance list")
    assert "- Nobody has booked or cancelled." in body(message)


def test_the_page_says_when_the_list_will_go(officer_client, clinic):
    due = sending.list_due_at(clinic.date, time(9, 0), LONDON)

    page = officer_client.get(url(clinic))

    assert (
        f"The list will be emailed to the school and its staff on {format_date(due)} at 9am"
        in page.text
    )


def test_the_command_sends_its_lists_before_it_exits(
    app, session, smtp, make, todays_clinic, school
):
    make.booking(todays_clinic.slots[0])

    output = run_cron_as_in_production(app, "attendance", "send-lists")

    assert "Attendance lists sent for 1 clinic (1 email)." in output
    assert "Sent 1 email, 0 to retry, 0 failed." in output
    assert statuses(session, "attendance_list") == ["sent"]
    assert len(smtp.to(school.contact_email)) == 1
