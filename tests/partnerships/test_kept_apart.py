"""Two partnerships on one installation, kept apart (issue 21): what a data protection
officer checking that counties are kept apart would try.

Partnership A (the migration's "Default partnership") and B ("Northshire") each have a
school, a coordinator, an officer, clinics and bookings, with names that give them away.
B's coordinator and officer are shown their own and nothing of A's in each place staff
see families' data: a search, a CSV, a PDF, a calendar feed, the figures, the audit log,
the outbox page, the guidance pages and the emails households get; a record of A's asked
for by its id is not found.  The service owner sees none of it.  On both engines (the
``session`` fixture's databases).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic import audit
from clinic.attendance import sending
from clinic.auth.service import AccountError
from clinic.followup import service as followup
from clinic.invites.bring import bring_for
from clinic.models import BringAdvice, GuidanceLink, OutboxMessage, User, utcnow
from clinic.schedule.feed import issue_calendar_token
from clinic.schools import service as schools
from tests.attendance.conftest import pdf_text
from tests.booking.support import wait_for_mail
from tests.conftest import sign_in
from tests.followup.support import book, clinic_dated
from tests.helpers import csrf_token

# What gives A's records away, wherever they might leak.
A_WORDS = ("Oakfield Primary School", "Alice Aardvark", "alice@example.net", "a-admin@example.org")
A_WORDS += ("Pat Officer", "Ada Admin")
B_SCHOOL = "Far Fields Academy"


class Two:
    """Two partnerships' records, and a signed-in client for each of their staff."""


@pytest.fixture
def two(app, session, make):
    t = Two()
    t.a = make.default_partnership()
    t.b = make.partnership("Northshire Safeguarding Children Partnership", slug="northshire")
    t.a_school = make.school(name="Oakfield Primary School")
    t.b_school = make.school(name=B_SCHOOL, partnership=t.b)
    t.a_admin = make.user(role="admin", email="a-admin@example.org", name="Ada Admin")
    t.b_admin = make.user(
        role="admin", email="b-admin@example.org", name="Bo Admin", partnership=t.b
    )
    t.a_officer = make.user(
        role="officer", email="a-officer@example.org", name="Pat Officer", schools=[t.a_school]
    )
    t.b_officer = make.user(
        role="officer", email="b-officer@example.org", name="Bex Officer", schools=[t.b_school]
    )
    t.a_clinic = make.clinic(t.a_school, t.a_officer, slots=2, capacity=3)
    t.b_clinic = make.clinic(t.b_school, t.b_officer, slots=2, capacity=3)
    t.a_booking = make.booking(
        t.a_clinic.slots[0], parent_name="Alice Aardvark", email="alice@example.net"
    )
    t.b_booking = make.booking(
        t.b_clinic.slots[0], parent_name="Bob Bumblebee", email="bob@example.net"
    )
    t.clients = {}
    for name in ("a_admin", "b_admin", "a_officer", "b_officer"):
        t.clients[name] = sign_in(app.test_client(), getattr(t, name))
    return t


def shows_nothing_of_a(text: str, where: str) -> None:
    leaked = [word for word in A_WORDS if word in text]
    assert not leaked, f"{where} shows partnership A's {leaked}"


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# --- a search, lists, and records by id ------------------------------------------------------


def test_the_school_search_and_the_staff_list_are_the_partnerships_own(two):
    b = two.clients["b_admin"]
    every = b.get("/admin/schools").get_data(as_text=True)
    assert B_SCHOOL in every
    shows_nothing_of_a(every, "B's school list")
    searched = b.get("/admin/schools?q=Oakfield").get_data(as_text=True)
    assert "Oakfield Primary School" not in searched
    by_urn = b.get(f"/admin/schools?q={two.a_school.urn}").get_data(as_text=True)
    assert "Oakfield Primary School" not in by_urn
    staff = b.get("/admin/staff").get_data(as_text=True)
    assert "Bex Officer" in staff
    shows_nothing_of_a(staff, "B's staff list")
    # and A's coordinator sees A's, not B's
    mine = two.clients["a_admin"].get("/admin/schools").get_data(as_text=True)
    assert "Oakfield Primary School" in mine and B_SCHOOL not in mine
    assert "Bex Officer" not in two.clients["a_admin"].get("/admin/staff").get_data(as_text=True)


def test_a_record_of_another_partnership_is_not_found(two):
    b = two.clients["b_admin"]
    for url in (
        f"/admin/schools/{two.a_school.id}",
        f"/admin/schools/{two.a_school.id}/edit",
        f"/admin/staff/{two.a_officer.id}",
        f"/admin/staff/{two.a_officer.id}/role",
        f"/staff/clinics/{two.a_clinic.id}",
        f"/staff/attendance/clinics/{two.a_clinic.id}",
        f"/staff/attendance/clinics/{two.a_clinic.id}/list.csv",
        f"/staff/attendance/clinics/{two.a_clinic.id}/sheet.pdf",
        f"/staff/figures?school={two.a_school.id}",
    ):
        assert b.get(url).status_code == 404, url
        assert two.clients["b_officer"].get(url).status_code == 404, url
    assert b.get(f"/admin/schools/{two.b_school.id}").status_code == 200


def test_the_dashboard_lists_the_partnerships_own_clinics_and_schools(two):
    for who in ("b_admin", "b_officer"):
        page = two.clients[who].get("/staff/clinics/").get_data(as_text=True)
        assert B_SCHOOL in page
        shows_nothing_of_a(page, f"{who}'s dashboard")
    asked = two.clients["b_admin"].get(f"/staff/clinics/?school={two.a_school.id}")
    shows_nothing_of_a(asked.get_data(as_text=True), "B's dashboard filtered by A's school")


# --- staff: inviting, roles, officers' schools -------------------------------------------------


def test_a_coordinator_cannot_put_staff_into_another_partnerships_school(two, session):
    b = two.clients["b_admin"]
    page = b.get("/admin/staff/invite")
    assert "Oakfield Primary School" not in page.get_data(as_text=True)
    sent = b.post(
        "/admin/staff/invite",
        data={
            "csrf_token": csrf_token(page),
            "email": "sneaky@example.org",
            "name": "Sneaky Person",
            "role": "school",
            "school": str(two.a_school.id),
        },
    )
    assert sent.status_code == 200  # the form again, with its error
    assert session.scalar(select(User).where(User.email == "sneaky@example.org")) is None
    page = b.get(f"/admin/staff/{two.b_officer.id}")
    b.post(
        f"/admin/staff/{two.b_officer.id}/schools",
        data={"csrf_token": csrf_token(page), "schools": [str(two.a_school.id)]},
    )
    session.expire_all()
    assert [s.name for s in session.get(User, two.b_officer.id).schools] == [B_SCHOOL]

    # the service refuses it too, whatever a form lets through
    with pytest.raises(AccountError):
        schools.invite_staff(
            session,
            two.b_admin,
            email="x@example.org",
            name="X",
            role="school",
            school=two.a_school,
        )
    with pytest.raises(AccountError):
        schools.set_officer_schools(session, two.b_admin, two.b_officer, [two.a_school])
    with pytest.raises(AccountError):
        schools.change_role(session, two.b_admin, two.b_officer, "school", two.a_school)
    with pytest.raises(AccountError):
        schools.change_role(session, two.b_admin, two.b_officer, "owner")
    session.rollback()


# --- a CSV, a PDF, a feed, a figure ------------------------------------------------------------


def test_the_figures_and_their_csv_count_the_partnerships_own(two, session, make):
    day = date.today() - timedelta(days=10)
    a_past = clinic_dated(session, two.a_school, two.a_officer, day, capacity=5)
    b_past = clinic_dated(session, two.b_school, two.b_officer, day, capacity=5)
    for _ in range(3):
        book(make, a_past, "attended", ["roblox"])
    book(make, b_past, "attended", ["tiktok"])
    for who in ("b_admin", "b_officer"):
        client = two.clients[who]
        page = client.get("/staff/figures").get_data(as_text=True)
        assert B_SCHOOL in page
        shows_nothing_of_a(page, f"{who}'s figures")
        rows = csv_rows(client.get("/staff/figures.csv"))
        assert {row["School"] for row in rows} == {B_SCHOOL}
        assert sum(int(row["Attended"]) for row in rows) == 1
        assert sum(int(row["Asked about: Roblox"]) for row in rows) == 0
    a_rows = csv_rows(two.clients["a_admin"].get("/staff/figures.csv"))
    assert {row["School"] for row in a_rows} == {"Oakfield Primary School"}
    assert sum(int(row["Attended"]) for row in a_rows) == 3


def test_an_attendance_csv_pdf_and_email_hold_one_partnerships_households(
    app, two, session, smtp, tmp_path
):
    own = two.clients["b_officer"].get(f"/staff/attendance/clinics/{two.b_clinic.id}/list.csv")
    assert own.status_code == 200
    text = own.get_data(as_text=True)
    assert "Bob Bumblebee" in text
    shows_nothing_of_a(text, "B's attendance CSV")

    sending.send_list(session, two.b_clinic, actor="system")
    session.commit()
    (message,) = wait_for_mail(smtp, two.b_school.contact_email)
    assert {m["To"] for m in smtp.messages} == {two.b_school.contact_email}
    files = {
        part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()
    }
    (pdf_name,) = [name for name in files if name.endswith(".pdf")]
    sheet = pdf_text(files[pdf_name], tmp_path)
    assert "Bob Bumblebee" in sheet and B_SCHOOL in sheet
    shows_nothing_of_a(sheet, "B's sign-in sheet PDF")
    body = message.get_body(preferencelist=("plain",)).get_content()
    shows_nothing_of_a(body, "B's attendance email")
    queued = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "attendance_list"))
    assert {m.partnership_id for m in queued} == {two.b.id}


def test_an_officers_calendar_feed_holds_their_partnerships_clinics_only(two, session, app):
    # A stale row names B's officer on A's clinic: the feed still leaves it out.
    two.a_clinic.officer_id = two.b_officer.id
    session.commit()
    token = issue_calendar_token(session, two.b_officer)
    session.commit()
    feed = app.test_client().get(f"/staff/clinics/feed/{token}.ics")
    assert feed.status_code == 200
    text = feed.get_data(as_text=True)
    assert B_SCHOOL in text
    shows_nothing_of_a(text, "B's officer's calendar feed")


# --- the audit log and the outbox page --------------------------------------------------------


def test_the_audit_log_shows_the_partnerships_own_events(two, session):
    audit.record(session, two.a_admin, "user.deactivate", two.a_officer)
    audit.record(session, two.b_admin, "user.reactivate", two.b_officer)
    audit.record(session, "system", "school.update", two.a_school, changed=["name"])
    session.commit()
    b = two.clients["b_admin"]
    page = b.get("/admin/audit").get_data(as_text=True)
    assert "user.reactivate" in page and "b-admin@example.org" in page
    assert "user.deactivate" not in page  # not even among the actions to filter by
    shows_nothing_of_a(page, "B's audit log")
    searched = b.get("/admin/audit?actor=a-admin").get_data(as_text=True)
    shows_nothing_of_a(searched, "B's audit log searched for A's coordinator")
    by_object = b.get(f"/admin/audit?object_type=school&object_id={two.a_school.id}")
    assert "school.update" not in by_object.get_data(as_text=True)
    a_page = two.clients["a_admin"].get("/admin/audit").get_data(as_text=True)
    assert "user.deactivate" in a_page and "b-admin@example.org" not in a_page


def test_the_outbox_page_shows_the_partnerships_own_emails(two, session):
    def failed(to: str, partnership_id: int) -> OutboxMessage:
        return OutboxMessage(
            kind="booking_confirmed",
            recipient=to,
            subject="Your place is booked",
            text_body="Hello",
            status="failed",
            attempts=8,
            next_attempt_at=utcnow(),
            partnership_id=partnership_id,
        )

    a_message, b_message = (
        failed("alice@example.net", two.a.id),
        failed("bob@example.net", two.b.id),
    )
    session.add_all([a_message, b_message])
    session.commit()
    b = two.clients["b_admin"]
    page = b.get("/admin/outbox/failed")
    html = page.get_data(as_text=True)
    assert "bob@example.net" in html
    shows_nothing_of_a(html, "B's email problems")
    retry = b.post(f"/admin/outbox/{a_message.id}/retry", data={"csrf_token": csrf_token(page)})
    assert retry.status_code == 404
    session.expire_all()
    assert session.get(OutboxMessage, a_message.id).status == "failed"
    assert "alice@example.net" in two.clients["a_admin"].get("/admin/outbox/failed").text


# --- guidance and the emails households get ----------------------------------------------------


def test_a_new_partnership_starts_with_the_shipped_guidance(two, session):
    assert followup.seed_guidance(session, two.b) > 0
    session.commit()
    count = select(func.count()).select_from(BringAdvice)
    b_texts = session.scalar(count.where(BringAdvice.partnership_id == two.b.id))
    a_texts = session.scalar(count.where(BringAdvice.partnership_id == two.a.id))
    assert b_texts == a_texts > 0  # the migrations' defaults, for A, are the shipped ones
    b_links = session.scalar(
        select(func.count())
        .select_from(GuidanceLink)
        .where(GuidanceLink.partnership_id == two.b.id)
    )
    assert b_links > 0
    assert followup.seed_guidance(session, two.b) == 0  # once


def test_each_partnership_edits_its_own_guidance_and_its_households_get_it(
    app, two, session, smtp, make
):
    followup.seed_guidance(session, two.b)
    a_link = followup.add_guidance(
        session,
        two.a_admin,
        topic="roblox",
        title="Oakfield's own Roblox advice",
        url="https://oakfield.example/roblox",
        position=0,
    )
    session.commit()
    b = two.clients["b_admin"]
    index = b.get("/admin/guidance")
    assert "Oakfield's own Roblox advice" not in index.get_data(as_text=True)
    assert b.get(f"/admin/guidance/{a_link.id}/edit").status_code == 404
    assert b.get(f"/admin/guidance/{a_link.id}/delete").status_code == 404
    form = b.get("/admin/guidance/bring/roblox")
    saved = b.post(
        "/admin/guidance/bring/roblox",
        data={"csrf_token": csrf_token(form), "text": "Northshire's Roblox checklist"},
    )
    assert saved.status_code == 302
    session.expire_all()
    assert "Northshire's Roblox checklist" in bring_for(session, two.b_booking)
    assert "Northshire's Roblox checklist" not in bring_for(session, two.a_booking)

    # The follow-up email: each household gets its own partnership's links.
    yesterday = date.today() - timedelta(days=1)
    a_closed = clinic_dated(session, two.a_school, two.a_officer, yesterday, closed=True)
    b_closed = clinic_dated(session, two.b_school, two.b_officer, yesterday, closed=True)
    book(make, a_closed, "attended", ["roblox"], email="alice-came@example.net")
    book(make, b_closed, "attended", ["roblox"], email="bob-came@example.net")
    result = app.test_cli_runner().invoke(args=["followup", "send"])
    assert result.exit_code == 0, result.output
    (to_b,) = wait_for_mail(smtp, "bob-came@example.net")
    (to_a,) = wait_for_mail(smtp, "alice-came@example.net")
    b_text = to_b.get_body(preferencelist=("plain",)).get_content()
    a_text = to_a.get_body(preferencelist=("plain",)).get_content()
    assert "Oakfield's own Roblox advice" in a_text
    assert "Oakfield's own Roblox advice" not in b_text
    assert "Roblox: guide for parents and carers" in b_text  # B's shipped link


# --- the service owner ---------------------------------------------------------------------------


def test_the_service_owner_lands_on_their_own_page_and_sees_no_familys_data(app, two, make):
    owner = make.user(role="owner", email="owner@example.org", name="Olu Owner")
    client = sign_in(app.test_client(), owner)
    landing = client.get("/staff/sign-in")  # signed in already: sent to their first page
    assert landing.status_code == 302
    assert landing.headers["Location"].endswith("/owner/partnerships")
    home = client.get(landing.headers["Location"])
    assert home.status_code == 200
    assert "you see only these counts" in home.get_data(as_text=True)
    for url in (
        "/staff/clinics/",
        f"/staff/clinics/{two.a_clinic.id}",
        "/admin/schools",
        "/admin/staff",
        "/admin/audit",
        "/admin/outbox/failed",
        "/admin/guidance",
        "/staff/figures",
        "/staff/figures.csv",
        f"/staff/attendance/clinics/{two.a_clinic.id}/list.csv",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/staff/account").status_code == 200
