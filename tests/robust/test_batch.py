"""Every batch command handles each record on its own (design rule 8): one bad record among
good ones is logged (by id, with no personal data) and skipped, the others are done, and
the command exits 1.

A record is broken the way only a path past every check could break it: raw SQL puts a
line break in an email address (``queue_email`` refuses such an address, and the model's
``OneLine`` columns would have mended it on any ordinary write).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from clinic import batch
from clinic.manage import service as manage
from clinic.models import Booking, Clinic, OutboxMessage, Slot, WaitlistEntry, utcnow
from clinic.waitlist import service as waitlist
from tests.followup.support import clinic_dated
from tests.manage.support import set_times

BROKEN = "broken.parent@example.net\r\nBcc: someone@example.org"


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def break_email(session, table: str, row_id: int, column: str = "email") -> None:
    session.execute(
        text(f"UPDATE {table} SET {column} = :bad WHERE id = :id"), {"bad": BROKEN, "id": row_id}
    )
    session.commit()
    session.expire_all()


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def assert_logged_without_personal_data(log, kind: str, record_id: int, *personal: str):
    line = f"{kind} {record_id} failed and was skipped"
    assert line in log.text, log.text
    for value in ("broken.parent", "someone@example.org", *personal):
        assert value not in log.text


# --- the helper itself ---------------------------------------------------------------------


def test_each_record_commits_alone_and_failures_are_rolled_back(app, session, make, school):
    schools = [make.school(name=f"School {n}") for n in range(3)]

    def rename(session, school_id):
        if school_id == schools[1].id:
            session.execute(update(Clinic).values(title="never kept"))
            raise RuntimeError("Ann Parent, ann@example.net")  # an error text with data in it
        session.get(type(school), school_id).town = "Renamed"
        return True

    result = batch.Run("test")
    answers = result.each(session, "school", [s.id for s in schools], rename)

    assert answers == [True, True] and result.done == 2
    assert result.failed == [f"school {schools[1].id}"]
    assert not result
    session.expire_all()
    towns = [session.get(type(school), s.id).town for s in schools]
    assert towns == ["Renamed", "Exampleton", "Renamed"]


def test_the_log_line_names_the_record_not_the_error_text(app, session, log):
    def fail(session, record_id):
        raise ValueError("Ann Parent <ann@example.net>")

    batch.Run("test").each(session, "booking", [7], fail)

    assert "test: booking 7 failed and was skipped (ValueError at test_batch.py:" in log.text
    assert "Ann" not in log.text and "ann@example.net" not in log.text


# --- the commands ----------------------------------------------------------------------------


def test_reminders_skip_the_broken_booking_and_send_the_rest(
    app, session, smtp, make, school, officer_user, log
):
    clinic = make.clinic(school, officer_user, slots=3, capacity=1)
    set_times(session, clinic, starts_in=timedelta(hours=30))
    good = [make.booking(clinic.slots[0]), make.booking(clinic.slots[2])]
    bad = make.booking(clinic.slots[1], parent_name="Brenda Broken")
    break_email(session, "booking", bad.id)

    result = run(app, "reminders", "send")

    assert result.exit_code == 1, result.output
    assert "Reminders sent: 2. Failed: 1." in result.output
    assert f"booking {bad.id}" in result.output
    for booking in good:
        assert len(smtp.to(booking.email)) == 1
    assert len(smtp.messages) == 2
    session.expire_all()
    assert session.get(Booking, bad.id).reminder_sent_at is None  # rolled back: tried again
    assert_logged_without_personal_data(log, "booking", bad.id, "Brenda")


def test_followup_skips_the_broken_booking_and_sends_the_rest(
    app, session, smtp, make, school, officer_user, log
):
    closed = clinic_dated(
        session,
        school,
        officer_user,
        utcnow().date() - timedelta(days=1),
        closed=True,
        slots=1,
        capacity=3,
    )
    good = [make.booking(closed.slots[0], status="attended") for _ in range(2)]
    bad = make.booking(closed.slots[0], status="attended")
    break_email(session, "booking", bad.id)

    result = run(app, "followup", "send")

    assert result.exit_code == 1, result.output
    assert "Follow-up emails queued: 2." in result.output
    assert all(len(smtp.to(b.email)) == 1 for b in good)
    session.expire_all()
    assert session.get(Booking, bad.id).follow_up_sent_at is None
    assert_logged_without_personal_data(log, "booking", bad.id)


def test_attendance_lists_skip_the_broken_school_and_send_the_rest(
    app, session, smtp, make, officer_user, log
):
    good_school, bad_school = make.school(name="Good School"), make.school(name="Bad School")
    officer_user.schools = [good_school, bad_school]
    clinics = [make.clinic(s, officer_user, slots=1) for s in (good_school, bad_school)]
    for clinic in clinics:
        clinic.list_requested_at = utcnow()
    session.commit()
    break_email(session, "school", bad_school.id, "contact_email")

    result = run(app, "attendance", "send-lists")

    assert result.exit_code == 1, result.output
    assert "Attendance lists sent for 1 clinic (1 email). Failed: 1." in result.output
    assert len(smtp.to(good_school.contact_email)) == 1
    assert len(smtp.messages) == 1
    session.expire_all()
    bad = session.get(Clinic, clinics[1].id)
    assert bad.list_sent_at is None and bad.list_requested_at is not None  # asked again later
    assert_logged_without_personal_data(log, "clinic", bad.id)


def test_waitlist_offers_skip_the_broken_entry_and_pass_the_rest_on(
    app, session, smtp, make, school, officer_user, log
):
    def full_clinic_with_line(n: int):
        clinic = make.clinic(school, officer_user, slots=1, capacity=1, title=f"Clinic {n}")
        booking = make.booking(clinic.slots[0])
        entries = []
        for position in range(2):
            details = {
                "parent_name": f"Waiting {n}{position}",
                "email": f"waiting{n}{position}@example.net",
                "phone": None,
                "child_years": ["Year 3"],
                "topics": ["roblox"],
                "other_topic": None,
                "access_needs": None,
            }
            minutes = 10 - position
            entries.append(
                waitlist.join(session, clinic, details, now=utcnow() - timedelta(minutes=minutes))
            )
            session.commit()
        manage.cancel_booking(session, booking, actor="parent")  # offered to the first
        session.commit()
        return clinic, entries

    good_clinic, good_line = full_clinic_with_line(1)
    bad_clinic, bad_line = full_clinic_with_line(2)
    break_email(session, "waitlist_entry", bad_line[1].id)  # the next in line cannot be told
    later = utcnow() + timedelta(hours=13)
    session.execute(update(WaitlistEntry).values(offer_expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    smtp.clear()

    result = run(app, "waitlist", "expire-offers")

    assert result.exit_code == 1, result.output
    assert "Offers passed on: 1." in result.output and "Failed: 1." in result.output
    session.expire_all()
    statuses = lambda line: [session.get(WaitlistEntry, e.id).status for e in line]  # noqa: E731
    assert statuses(good_line) == ["expired", "offered"]
    assert statuses(bad_line) == ["offered", "waiting"]  # untouched: tried again next run
    assert len(smtp.to("waiting11@example.net")) == 1
    for clinic in (good_clinic, bad_clinic):
        assert session.get(Slot, clinic.slots[0].id).booked == 1  # still held, once
    assert_logged_without_personal_data(log, "waitlist entry", bad_line[0].id)
    assert later  # the offers ended by the clock above


def test_outbox_send_sends_the_good_messages_past_a_broken_one(app, session, smtp, make, log):
    from clinic.outbox.queue import queue_email

    app.config["OUTBOX_SEND_MODE"] = "off"
    for n in range(3):
        queue_email(
            session,
            to=f"person{n}@example.org",
            subject="Hello",
            template="staff_invite",
            context={"user": None, "link": "http://localhost/x", "name": "Staff"},
            kind="test",
        )
    session.commit()
    ids = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    break_email(session, "outbox_message", ids[1], "recipient")

    result = run(app, "outbox", "send")

    assert result.exit_code == 1, result.output
    assert "Sent 2, will try again 1, failed 0." in result.output
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == [
        "person0@example.org",
        "person2@example.org",
    ]
    session.expire_all()
    broken = session.get(OutboxMessage, ids[1])
    assert (broken.status, broken.attempts) == ("pending", 1)
    assert (
        session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
        == 2
    )
    assert_logged_without_personal_data(log, "outbox message", ids[1])
