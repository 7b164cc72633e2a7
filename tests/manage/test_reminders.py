"""`flask reminders send`: each confirmed parent once, 24–48 hours before their slot,
however often (and however many at once) the command runs."""

import threading
from datetime import timedelta

from sqlalchemy import select

from clinic.booking import reminders
from clinic.booking.cli import reminders_cli
from clinic.extensions import db
from clinic.models import Booking, utcnow
from tests.outbox.support import run_cron_as_in_production, statuses

from .support import calendar_part, links_in, manage_path, read_both, set_times, subject


def test_each_parent_is_reminded_once(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(hours=30))
    due = [make.booking(clinic.slots[0]), make.booking(clinic.slots[1])]
    make.booking(clinic.slots[2], status="cancelled")
    runner = app.test_cli_runner()

    first = runner.invoke(reminders_cli, ["send"])
    second = runner.invoke(reminders_cli, ["send"])

    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[0] == "Reminders sent: 2."
    assert second.output.splitlines() == [
        "Reminders sent: 0.",
        "Sent 0 emails, 0 to retry, 0 failed.",
    ]
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(b.email for b in due)
    message = smtp.to(due[0].email)[0]
    assert subject(message).startswith("Reminder: Parental controls clinic")
    assert any(manage_path(due[0]) in link for link in links_in(message))
    # Like every email about a booking, it carries the booking's current invite (rule 3):
    # the same event, unchanged, so a calendar that lost it gets it back without a copy.
    method, ics = calendar_part(message)
    event = read_both(ics)
    assert method == event["method"] == "REQUEST"
    assert event["uid"] == due[0].uid and event["sequence"] == due[0].sequence
    session.expire_all()
    for booking in due:
        assert session.get(Booking, booking.id).reminder_sent_at is not None


def test_only_slots_starting_in_the_window_are_reminded(
    app, session, smtp, make, school, officer_user
):
    starts = {
        "too soon": timedelta(hours=20),
        "in window": timedelta(hours=47),
        "too late": timedelta(hours=50),
    }
    bookings = {}
    for name, starts_in in starts.items():
        clinic = make.clinic(school, officer_user, slots=1)
        set_times(session, clinic, starts_in=starts_in)
        bookings[name] = make.booking(clinic.slots[0])

    counts = reminders.send_reminders(session)

    assert (counts.due, counts.sent) == (1, 1)
    assert [m["X-Envelope-To"] for m in smtp.messages] == [bookings["in window"].email]


def test_the_window_is_configurable(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(hours=60))
    make.booking(clinic.slots[0])
    app.config["REMINDER_WINDOW_HOURS"] = (48, 72)

    assert reminders.send_reminders(session).sent == 1


def test_two_runs_at_once_never_send_twice(app, session, smtp, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=4, capacity=3)
    set_times(session, clinic, starts_in=timedelta(hours=30))
    emails = [make.booking(slot).email for slot in clinic.slots for _ in range(3)]
    session.commit()
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(reminders.send_reminders(db.session))
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
    session.expire_all()
    sent_at = session.scalars(select(Booking.reminder_sent_at)).all()
    assert None not in sent_at


def test_a_claimed_reminder_is_not_claimed_again(session, smtp, clinic, booking):
    set_times(session, clinic, starts_in=timedelta(hours=30))
    now = utcnow()
    assert reminders.send_reminder(session, booking.id, now=now) is True
    session.commit()
    assert reminders.send_reminder(session, booking.id, now=now) is False
    session.commit()
    assert len(smtp.messages) == 1


def test_the_command_sends_its_reminders_before_it_exits(app, session, smtp, make, clinic):
    """In production the after-commit thread died with the command and left each reminder
    `sending` for ten minutes; now the command sends them itself and says so."""
    set_times(session, clinic, starts_in=timedelta(hours=30))
    due = [make.booking(clinic.slots[0]), make.booking(clinic.slots[1])]

    output = run_cron_as_in_production(app, "reminders", "send")

    assert output.splitlines() == ["Reminders sent: 2.", "Sent 2 emails, 0 to retry, 0 failed."]
    assert statuses(session, "booking_reminder") == ["sent", "sent"]
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(b.email for b in due)


def test_with_sending_off_the_reminders_wait_for_the_worker(app, session, smtp, make, clinic):
    app.config["OUTBOX_SEND_MODE"] = "off"
    set_times(session, clinic, starts_in=timedelta(hours=30))
    make.booking(clinic.slots[0])

    result = app.test_cli_runner().invoke(reminders_cli, ["send"])

    assert "Left 1 email queued for the outbox worker (OUTBOX_SEND_MODE=off)." in result.output
    assert statuses(session, "booking_reminder") == ["pending"]
    assert smtp.messages == []


def test_a_mail_server_away_is_counted_and_left_to_retry(app, session, smtp, make, clinic):
    set_times(session, clinic, starts_in=timedelta(hours=30))
    make.booking(clinic.slots[0])
    smtp.refuse = True

    output = run_cron_as_in_production(app, "reminders", "send")

    assert "Sent 0 emails, 1 to retry, 0 failed." in output
    assert statuses(session, "booking_reminder") == ["pending"]
