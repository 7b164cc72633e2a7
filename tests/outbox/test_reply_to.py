"""A working reply route (issue 18): with ``MAIL_REPLY_TO`` every email a parent gets has
it as Reply-To, and the accessibility statement says to reply to any email; without it
no Reply-To is set and nothing promises that a reply is read."""

from __future__ import annotations

from html import unescape

from clinic.booking.service import book_place
from clinic.waitlist import service as waitlist

TEAM = "Clinics team <clinics-team@example.org>"
REPLY_PROMISE = "reply to any email we have sent you"


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


def parent_emails(session, smtp, make, school, officer) -> list:
    """A booking's confirmation and a waiting-list email, as the parents receive them."""
    clinic = make.clinic(school, officer, slots=1, capacity=1)
    book_place(session, slot_id=clinic.slots[0].id, details=household("Ann"), submission_id="a")
    session.commit()
    waitlist.join(session, clinic, household("Wendy"))
    session.commit()
    emails = smtp.to("ann@example.net") + smtp.to("wendy@example.net")
    assert len(emails) == 2
    return emails


def test_with_a_reply_address_every_parent_email_has_it(
    app, client, session, smtp, make, school, officer_user
):
    app.config["MAIL_REPLY_TO"] = TEAM

    for email in parent_emails(session, smtp, make, school, officer_user):
        assert email["Reply-To"] == TEAM
        assert email["From"] == app.config["MAIL_DEFAULT_SENDER"]

    page = unescape(client.get("/accessibility").get_data(as_text=True))
    assert REPLY_PROMISE in page


def test_without_one_no_reply_to_and_no_promise(
    app, client, session, smtp, make, school, officer_user
):
    assert app.config["MAIL_REPLY_TO"] is None

    for email in parent_emails(session, smtp, make, school, officer_user):
        assert email["Reply-To"] is None

    page = unescape(client.get("/accessibility").get_data(as_text=True))
    assert "reply to" not in page.lower()
    contact = app.config["PRIVACY_CONTACT_EMAIL"]
    assert f'href="mailto:{contact}"' in page
    for notice in ("/privacy", "/"):
        assert "reply to" not in unescape(client.get(notice).get_data(as_text=True)).lower()
