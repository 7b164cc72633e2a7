"""Every email a parent receives carries the link to delete their details, as the privacy
notice promises ("Open the link in any email we sent you and choose Delete my details"),
and the link opens the delete page in the email's language (issue 18)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from clinic.booking import reminders, still_coming
from clinic.booking.service import book_place, tell_already_booked
from clinic.followup import service as followup
from clinic.manage import service as manage
from clinic.models import OutboxMessage, utcnow
from clinic.schedule import service as schedule
from clinic.waitlist import service as waitlist
from tests.core.test_translations import STAFF_TEMPLATES
from tests.followup.support import book as book_in
from tests.followup.support import clinic_dated

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"
# Every email template a parent may get: all but the staff's own and the partials.
PARENT_KINDS = sorted(
    path.stem
    for path in TEMPLATES.glob("*.txt")
    if not path.name.startswith("_") and f"email/{path.name}" not in STAFF_TEMPLATES
)
TEXT_LINK = re.compile(r"Delete my details:\n(\S+)")
HTML_LINK = re.compile(r'<a href="([^"]+)"[^>]*>Delete my details</a>')


def household(name: str) -> dict:
    return {
        "parent_name": f"{name} Parent",
        "email": f"{name.lower()}@example.net",
        "phone": None,
        "child_years": ["Year 4"],
        "topics": ["roblox"],
        "other_topic": None,
        "access_needs": None,
    }


def every_parent_email(session, make, school, officer) -> None:
    """Each kind of parent email, made by the service's own functions."""
    clinic = make.clinic(school, officer, slots=3, capacity=1, days_ahead=10)
    first, second, third = clinic.slots
    ann = book_place(session, slot_id=first.id, details=household("Ann"), submission_id="ann")
    session.commit()  # booking_confirmed
    assert tell_already_booked(session, clinic.id, ann.email)  # already_booked
    session.commit()
    manage.move_booking(session, ann, third.id, actor="parent")  # booking_moved
    session.commit()
    assert reminders.send_reminder(session, ann.id, now=utcnow())  # booking_reminder
    session.commit()
    assert still_coming.ask(session, ann.id, now=utcnow())  # still_coming
    session.commit()
    ben = make.booking(first, email="ben@example.net")
    make.booking(second, email="cat@example.net")
    early = utcnow() - timedelta(hours=2)
    wendy = waitlist.join(session, clinic, household("Wendy"), now=early)  # waitlist_joined
    session.commit()
    assert waitlist.tell_already_waiting(session, clinic, wendy.email)  # ..._already_waiting
    waitlist.join(session, clinic, household("Will"))
    session.commit()
    # booking_cancelled, and the freed place is offered to Wendy (waitlist_offer)
    manage.cancel_booking(session, ben, actor="parent")
    session.commit()
    details = schedule.ClinicDetails(
        title=clinic.title,
        description=clinic.description,
        venue="The sports hall",
        date=clinic.date,
        booking_opens_at=clinic.booking_opens_at,
        booking_closes_at=clinic.booking_closes_at,
    )
    schedule.update_clinic(  # clinic_changed
        session, officer, clinic, details, expected_version=clinic.version, confirmed=True
    )
    session.commit()
    # clinic_cancelled, and waitlist_clinic_cancelled to Will
    schedule.cancel_clinic(session, officer, clinic, "Unwell", expected_version=clinic.version)
    session.commit()
    past = clinic_dated(session, school, officer, date.today() - timedelta(days=1), closed=True)
    book_in(make, past, "attended", email="dee@example.net")
    followup.send_follow_ups(session)  # follow_up
    session.commit()


def test_every_parent_email_has_a_working_link_to_delete_their_details(
    app, client, session, make, school, officer_user, smtp
):
    every_parent_email(session, make, school, officer_user)

    messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    sent = {message.kind for message in messages}
    assert set(PARENT_KINDS) <= sent, set(PARENT_KINDS) - sent  # none left untested
    assert len(PARENT_KINDS) >= 12
    for message in messages:
        if message.kind not in PARENT_KINDS:
            continue
        (link,) = TEXT_LINK.findall(message.text_body)
        assert message.html_body is not None
        (html_link,) = HTML_LINK.findall(message.html_body)
        assert unescape(html_link) == link, message.kind
        parts = urlsplit(link)
        assert parts.path.endswith("/delete"), (message.kind, link)
        assert parse_qs(parts.query)["lang"] == ["en"]
        page = client.get(f"{parts.path}?{parts.query}")
        assert page.status_code == 200, (message.kind, page.status_code)
        assert "Are you sure you want to delete your details?" in unescape(
            page.get_data(as_text=True)
        )
    # They went out as real emails, each to its one parent.
    assert len(smtp.messages) == len([m for m in messages if m.status == "sent"])


def test_staff_emails_have_no_delete_link(app, session, make, school, officer_user):
    """The footer's link needs a household: the staff's own emails never get one."""
    every_parent_email(session, make, school, officer_user)
    for message in session.scalars(select(OutboxMessage)):
        if message.kind not in PARENT_KINDS:
            assert "Delete my details" not in message.text_body


def test_the_delete_link_opens_the_page_in_the_emails_language(
    app, client, session, make, school, officer_user, smtp
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    booking = make.booking(clinic.slots[0], email="ola@example.net", language="pl")
    assert tell_already_booked(session, clinic.id, booking.email)
    session.commit()

    message = session.scalars(select(OutboxMessage)).one()
    (link,) = re.findall(r"https?://\S+/delete\?lang=pl", message.text_body)
    page = client.get(urlsplit(link).path + "?lang=pl")
    assert page.status_code == 200
    assert '<html lang="pl"' in page.get_data(as_text=True)
