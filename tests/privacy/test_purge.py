"""`flask privacy purge`: after the retention time nothing a parent typed is left in any
table, the figures are exactly the same, and two runs at once do each record once."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from clinic.attendance import checkin
from clinic.extensions import db
from clinic.figures.service import figures
from clinic.localtime import local_today
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
from tests.privacy.support import (
    EMAIL,
    NAME,
    book_as_household,
    cancel,
    find_everywhere,
    give_feedback,
    join_waitlist,
    live_booking,
    move,
)


def _figures(session, admin, today):
    result = figures(session, admin, today=today)
    return [vars(row) for row in result.rows], vars(result.total)


def _whole_story(app, session, make, school, officer, admin):
    """Book, move, cancel, book again, join a waiting list, walk in, give feedback."""
    clinic = make.clinic(school, officer, slots=3, capacity=1)
    full = make.clinic(school, officer, slots=1, capacity=1, title="Full clinic")
    make.booking(full.slots[0])
    client = app.test_client()

    book_as_household(client, clinic.slots[0].id)
    booking = live_booking(session)
    move(client, booking, clinic.slots[1].id)
    cancel(client, session.get(Booking, booking.id))
    book_as_household(client, clinic.slots[2].id)
    again = live_booking(session)
    join_waitlist(client, full.id)

    checkin.add_walk_in(
        session,
        clinic,
        actor=officer,
        parent_name=NAME,
        child_years=["Year 2"],
        topics=["xbox"],
        now=clinic.slots[0].starts_at,
    )
    session.execute(sa.update(Booking).where(Booking.id == again.id).values(status="attended"))
    session.commit()
    give_feedback(client, session.get(Booking, again.id))
    return clinic, full


def test_purge_leaves_nothing_of_the_household_and_the_same_figures(
    app, session, make, school, officer_user, admin_user, smtp
):
    clinic, full = _whole_story(app, session, make, school, officer_user, admin_user)
    assert find_everywhere(), "the story should have stored the household's details"
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) >= 4
    assert smtp.to(EMAIL), "the emails were sent"

    later = utcnow() + timedelta(days=14 + app.config["PRIVACY_KEEP_DAYS"] + 2)
    today = local_today(later)
    before = _figures(session, admin_user, today)
    assert before[1]["booked"] >= 1 and before[1]["walk_ins"] == 1

    result = retention.purge(session, now=later)
    assert result.run, str(result.run)
    assert result.counts["booking"] >= 3 and result.counts["walk-in"] == 1
    assert result.counts["feedback"] == 1 and result.counts["waiting-list entry"] == 1

    assert find_everywhere() == []
    session.expire_all()
    assert _figures(session, admin_user, today) == before
    feedback = session.scalar(sa.select(Feedback))
    assert feedback.useful == 5 and feedback.comments is None
    assert all(m.recipient == "" and m.purged_at for m in session.scalars(sa.select(OutboxMessage)))

    again = retention.purge(session, now=later)
    assert sum(again.counts.values()) == 0 and again.run


def test_purge_keeps_what_is_not_yet_due(app, session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=1, capacity=2)
    booking = make.booking(clinic.slots[0], parent_name=NAME, email=EMAIL)
    entry = WaitlistEntry(clinic_id=clinic.id, parent_name=NAME, email=EMAIL, status="waiting")
    session.add_all([entry, WalkIn(clinic_id=clinic.id, parent_name=NAME)])
    session.add(
        OutboxMessage(
            kind="test",
            recipient=EMAIL,
            subject="s",
            text_body=NAME,
            status="sent",
            sent_at=utcnow() - timedelta(days=app.config["PRIVACY_KEEP_SENT_EMAIL_DAYS"] - 1),
        )
    )
    # Written with Core, so the test's sender does not send it at the commit.
    session.execute(
        sa.insert(OutboxMessage).values(
            kind="test",
            recipient=EMAIL,
            subject="s",
            text_body=NAME,
            status="pending",
            attempts=3,
            attachments=[],
            next_attempt_at=utcnow() + timedelta(days=999),
            created_at=utcnow() - timedelta(days=400),
        )
    )
    session.add(
        AuditEvent(
            actor_label="parent",
            action="x",
            object_type="booking",
            object_id=booking.id,
            details={"reason": NAME, "slot_id": 1},
        )
    )
    session.add(
        AuditEvent(
            actor_label="officer@example.org",
            action="y",
            object_type="clinic",
            object_id=clinic.id,
            details={"reason": f"{NAME} asked", "bookings": [1]},
        )
    )
    session.commit()

    result = retention.purge(session)
    assert sum(result.counts.values()) == 0
    assert find_everywhere() != []
    # The clinic is 14 days ahead: it is due PRIVACY_KEEP_DAYS days after its date.
    due = utcnow() + timedelta(days=14 + app.config["PRIVACY_KEEP_DAYS"] + 1)
    result = retention.purge(session, now=due)
    assert result.counts["booking"] == 1 and result.counts["audit event"] == 1
    # A message not yet sent is never blanked: it still has to go.
    assert [
        m.status
        for m in session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient != ""))
    ] == ["pending"]
    events = {e.action: e.details for e in session.scalars(sa.select(AuditEvent))}
    assert events == {"x": {"slot_id": 1}, "y": {"bookings": [1]}}


def test_two_purges_at_once_do_each_record_once(app, session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=2, capacity=20)
    for n in range(30):
        make.booking(clinic.slots[n % 2])
    later = utcnow() + timedelta(days=14 + app.config["PRIVACY_KEEP_DAYS"] + 1)
    session.commit()
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(retention.purge(db.session, now=later))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert all(result.run for result in results), [str(r.run) for r in results]
    assert sum(result.counts["booking"] for result in results) == 30
    session.expire_all()
    left = session.scalar(sa.select(sa.func.count()).where(Booking.anonymised_at.is_(None)))
    assert left == 0
