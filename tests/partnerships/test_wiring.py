"""What parents see of their school's partnership (issue 21): its privacy notice and
accessibility statement, its name and languages on the school's pages, its sender name and
Reply-To on every email, its own Notify key for texts; and the finder, narrowed to one
partnership by FINDER_PARTNERSHIP."""

from __future__ import annotations

import uuid
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from clinic.booking.service import book_place
from clinic.models import OutboxMessage
from clinic.partnership import encrypt_secret
from tests.booking.support import details

MOBILE = "+447700900982"


@pytest.fixture
def north(make):
    return make.partnership(
        "North Shire Safeguarding Children Partnership",
        slug="north",
        data_controller="North Shire Police",
        privacy_email="dpo@north.example.org",
        accessibility_email="access@north.example.org",
        sender_name="North Shire clinics",
        reply_to="team@north.example.org",
        lawful_basis="consent",
        languages="en cy",
    )


@pytest.fixture
def south(make):
    return make.partnership(
        "South Vale Partnership",
        slug="south",
        data_controller="South Vale Council",
        privacy_email="dpo@south.example.gov.uk",
    )


@pytest.fixture
def north_school(make, north):
    return make.school("Northfield Primary", partnership=north, urn="111111", slug="northfield")


@pytest.fixture
def south_school(make, south):
    return make.school("Southside Primary", partnership=south, urn="222222", slug="southside")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def test_each_schools_notice_names_its_own_controller(client, north_school, south_school):
    north_notice = page(client, "/privacy?school=northfield")
    south_notice = page(client, "/privacy?school=southside")

    assert "held by North Shire Police" in north_notice
    assert "dpo@north.example.org" in north_notice
    assert "South Vale" not in north_notice and "dpo@south" not in north_notice
    assert 'id="lawful-basis"' in north_notice and "consent" in north_notice.lower()
    assert "held by South Vale Council" in south_notice
    assert "dpo@south.example.gov.uk" in south_notice
    assert "North Shire" not in south_notice


def test_the_installations_notice_is_where_it_was(app, client, north_school):
    notice = page(client, "/privacy")
    assert app.config["DATA_CONTROLLER"] in notice
    assert app.config["PRIVACY_CONTACT_EMAIL"] in notice
    assert "North Shire" not in notice
    # An unknown school: the installation's notice, not an error.
    assert app.config["DATA_CONTROLLER"] in page(client, "/privacy?school=no-such-school")


def test_the_accessibility_statement_is_the_partnerships(client, north_school):
    statement = page(client, "/accessibility?school=northfield")
    assert "North Shire Police" in statement
    assert "access@north.example.org" in statement
    # North has a Reply-To, so the statement may promise that replies are read.
    assert "reply to any email we have sent you" in statement


def test_a_schools_page_is_drawn_for_its_partnership(client, north_school, south_school):
    north_page = page(client, "/schools/northfield")
    assert "North Shire Safeguarding Children Partnership" in north_page
    assert 'href="/privacy?school=northfield"' in north_page
    assert 'href="/accessibility?school=northfield"' in north_page
    # Its languages only: English and Welsh, not the installation's six.
    assert "lang=cy" in north_page and "lang=pl" not in north_page
    assert 'lang="en"' in page(client, "/schools/northfield?lang=pl").split(">")[1]

    south_page = page(client, "/schools/southside")
    assert "South Vale Partnership" in south_page and "North Shire" not in south_page
    assert "lang=pl" in south_page  # no choice of its own: the installation's languages


def test_the_default_partnership_looks_as_before(app, client, school):
    school_page = page(client, f"/schools/{school.slug}")
    assert app.config["SERVICE_NAME"] in school_page
    assert "Default partnership" not in school_page
    # Its notice is the installation's: the link is the one it always was.
    assert 'href="/privacy"' in school_page and "/privacy?school=" not in school_page


def book(session, clinic, **changes):
    booking = book_place(
        session,
        slot_id=clinic.slots[0].id,
        details=details(**changes),
        submission_id=str(uuid.uuid4()),
    )
    session.commit()
    return booking


def test_emails_go_out_under_the_schools_partnership(
    app, session, smtp, make, officer_user, north_school, south_school, school
):
    app.config["MAIL_REPLY_TO"] = "Installation team <team@example.org>"
    north_clinic = make.clinic(north_school, officer_user, slots=1, capacity=3)
    south_clinic = make.clinic(south_school, officer_user, slots=1, capacity=3)
    default_clinic = make.clinic(school, officer_user, slots=1, capacity=3)
    book(session, north_clinic, email="nora@example.net")
    book(session, south_clinic, email="sid@example.net")
    book(session, default_clinic, email="dee@example.net")

    (north_email,) = smtp.to("nora@example.net")
    assert north_email["From"] == "North Shire clinics <clinics@example.org>"
    assert north_email["Reply-To"] == "team@north.example.org"
    html = north_email.get_body(("html",)).get_content()
    assert "/privacy?school=northfield" in unescape(html)
    # The name shown on its emails is the partnership's.
    text = north_email.get_body(("plain",)).get_content()
    assert "North Shire Safeguarding Children Partnership" in text

    # South set no sender or Reply-To: the installation's.
    (south_email,) = smtp.to("sid@example.net")
    assert south_email["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert south_email["Reply-To"] == "Installation team <team@example.org>"
    (default_email,) = smtp.to("dee@example.net")
    assert default_email["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert app.config["SERVICE_NAME"] in default_email.get_body(("plain",)).get_content()

    kept = {
        m.recipient: m.partnership_id
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email"))
    }
    assert kept["nora@example.net"] == north_school.partnership_id
    assert kept["sid@example.net"] == south_school.partnership_id


def test_staff_emails_name_the_staff_members_partnership(app, session, smtp, make, north_school):
    """A coordinator's or officer's own emails (sign-in link, password, account changes,
    a new set-password link) name their partnership in the subject and the body, and go
    with its sender name, as its parents' emails do."""
    from clinic.auth.notify import notify_account_change
    from clinic.auth.service import request_password_reset, request_sign_in_link
    from clinic.schools.service import send_password_link

    staff = make.user("officer", schools=[north_school], email="nia@north.example.org")
    admin = make.user("admin", partnership=north_school.partnership)
    request_sign_in_link(session, staff.email)
    request_password_reset(session, staff.email)
    notify_account_change(session, staff, "password")
    send_password_link(session, admin, staff)
    session.commit()

    name = "North Shire Safeguarding Children Partnership"
    emails = smtp.to(staff.email)
    assert sorted(" ".join(str(e["Subject"]).split()) for e in emails) == sorted(
        [
            f"Your sign-in link for {name}",
            f"Reset your password for {name}",
            f"Your password was changed: {name}",
            f"A new link to set your password for {name}",
        ]
    )
    for email in emails:
        assert email["From"] == "North Shire clinics <clinics@example.org>"
        assert app.config["SERVICE_NAME"] not in email["Subject"]


def test_texts_use_the_partnerships_own_notify_key(
    app, session, make, officer_user, north, north_school, south_school, notify
):
    north.notify_api_key = encrypt_secret(notify.api_key)
    session.commit()
    app.config["NOTIFY_API_KEY"] = None  # the installation has none: files
    north_clinic = make.clinic(north_school, officer_user, slots=1, capacity=3)
    south_clinic = make.clinic(south_school, officer_user, slots=1, capacity=3)

    book(session, north_clinic, phone=MOBILE, texts=True, email="nora@example.net")
    book(session, south_clinic, phone=MOBILE, texts=True, email="sid@example.net")

    (sent,) = notify.sent  # North's, through Notify with North's key
    assert "Northfield" in sent["personalisation"]["body"]
    (written,) = Path(app.config["SMS_FILE_DIR"]).glob("*.txt")  # South's: no key anywhere
    assert "Southside" in written.read_text()
    statuses = session.scalars(
        select(OutboxMessage.status).where(OutboxMessage.channel == "sms")
    ).all()
    assert statuses == ["sent", "sent"]


def test_the_finder_searches_every_partnership_unless_one_is_set(
    app, client, north_school, south_school
):
    found = page(client, "/schools?q=primary")
    assert "Northfield Primary" in found and "Southside Primary" in found

    app.config["FINDER_PARTNERSHIP"] = "south"
    found = page(client, "/schools?q=primary")
    assert "Southside Primary" in found and "Northfield Primary" not in found


def test_the_finder_of_an_installation_run_for_one_is_drawn_in_its_name(
    app, client, session, north, north_school, south_school
):
    """With FINDER_PARTNERSHIP, the finder is that partnership's page: its name, its
    languages, and its privacy notice behind the footer's link; a change to it shows on
    the next search (the page is kept per worker until the database changes)."""
    app.config["FINDER_PARTNERSHIP"] = "north"
    for _ in range(2):  # drawn, then kept
        found = page(client, "/schools?q=primary")
        assert "North Shire Safeguarding Children Partnership" in found
        assert "Northfield Primary" in found and "Southside Primary" not in found
        assert "lang=cy" in found and "lang=pl" not in found
    assert "North Shire Police" in page(client, "/privacy")

    north.name = "North Shire Children's Partnership"
    session.commit()
    found = page(client, "/schools?q=primary")
    assert "North Shire Children's Partnership" in found
    assert "North Shire Safeguarding Children Partnership" not in found


def test_the_booking_form_and_a_parents_pages_are_the_partnerships(
    client, session, make, officer_user, north_school
):
    from clinic.links import feedback_token, manage_token, waitlist_token
    from tests.schedule.test_cancel import waiting

    clinic = make.clinic(north_school, officer_user, slots=1, capacity=3)
    form = page(client, f"/book/{clinic.slots[0].id}")
    assert "North Shire Safeguarding Children Partnership" in form
    assert "/privacy?school=northfield" in form
    assert "lang=cy" in form and "lang=pl" not in form

    booking = book(session, clinic, email="nora@example.net")
    manage = page(client, f"/booking/{manage_token(booking)}")
    assert "/privacy?school=northfield" in manage
    assert "North Shire Safeguarding Children Partnership" in manage

    # Deleting one's details (from the booking and from a waiting-list place), and the
    # feedback form after the clinic, are the partnership's pages too.
    entry = waiting(session, clinic, "Wyn Waiting")
    came = book(session, clinic, email="cai@example.net")
    came.status = "attended"
    session.commit()
    for url in (
        f"/booking/{manage_token(booking)}/delete",
        f"/booking/waitlist/{waitlist_token(entry)}/delete",
        f"/feedback/{feedback_token(came)}",
    ):
        shown = page(client, url)
        assert "North Shire Safeguarding Children Partnership" in shown, url
        assert "/privacy?school=northfield" in shown and 'href="/privacy"' not in shown, url
        assert "lang=cy" in shown and "lang=pl" not in shown, url
