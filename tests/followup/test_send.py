"""`flask followup send`: one email per attended booking of a closed clinic, never two."""

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from clinic.extensions import db
from clinic.followup import service as followup
from clinic.followup.cli import followup_cli
from clinic.models import AuditEvent, Booking, Clinic, GuidanceLink, OutboxMessage, utcnow
from tests.outbox.support import run_cron_as_in_production, statuses

from .support import anonymise_everything, book, clinic_dated, feedback_link_in

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def guidance(session):
    followup.seed_guidance(session)
    session.commit()


@pytest.fixture
def closed(make, session, school, officer_user):
    return clinic_dated(session, school, officer_user, YESTERDAY, slots=2, capacity=4, closed=True)


def run_send(app):
    result = app.test_cli_runner().invoke(followup_cli, ["send"])
    assert result.exit_code == 0, result.output
    return result.output


def follow_ups(session) -> int:
    session.commit()
    return session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "follow_up")
    )


def test_only_attended_bookings_of_closed_clinics_get_an_email(
    app, session, make, smtp, school, officer_user, closed, guidance
):
    came = book(make, closed, "attended", ["iphone-ipad", "roblox"], email="came@example.net")
    book(make, closed, "no_show", email="noshow@example.net")
    book(make, closed, "confirmed", email="unmarked@example.net")
    book(make, closed, "cancelled", email="cancelled@example.net")
    still_open = clinic_dated(session, school, officer_user, YESTERDAY)
    book(make, still_open, "attended", email="notclosed@example.net")

    output = run_send(app)

    assert "Follow-up emails queued: 1." in output
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["came@example.net"]
    session.expire_all()
    assert session.get(Booking, came.id).follow_up_sent_at is not None
    unsent = select(func.count()).where(Booking.follow_up_sent_at.is_(None), Booking.id != came.id)
    assert session.scalar(unsent) == 4
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "booking.follow_up"))
    assert [(e.object_id, e.school_id, e.actor_label) for e in events] == [
        (came.id, school.id, "system")
    ]


def test_the_email_has_the_guidance_for_the_topics_asked_and_a_working_feedback_link(
    app, client, session, make, smtp, closed, guidance
):
    book(
        make,
        closed,
        "attended",
        ["roblox", "iphone-ipad"],
        email="came@example.net",
        parent_name="Jo Bloggs",
    )

    run_send(app)

    (message,) = smtp.to("came@example.net")
    assert message["Subject"] == followup.FOLLOW_UP_SUBJECT
    assert not [part for part in message.iter_attachments()]  # no calendar invite this time
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Jo Bloggs" in text
    assert "Oakfield Primary School" in text
    expected = {
        "https://support.apple.com/en-gb/108806",  # iPhone or iPad
        "https://corp.roblox.com/parents/",  # Roblox
        "https://www.internetmatters.org/parental-controls/",  # every family
        "https://www.net-aware.org.uk/",
    }
    for url in expected:
        assert url in text
        assert f'href="{url}"' in html
    # Nothing for the topics they did not ask about.
    assert "tiktok.com" not in text
    assert "families.google" not in text
    # Sections follow the booking form's order: iPhone before Roblox, general advice last.
    assert text.index("iPhone or iPad") < text.index("Roblox") < text.index("General advice")

    link = feedback_link_in(message)
    assert f'href="{link}"' in html
    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200
    assert "Was the clinic useful?" in page.get_data(as_text=True)


def test_running_twice_sends_once(app, session, make, smtp, closed, guidance):
    for _ in range(3):
        book(make, closed, "attended")

    assert "queued: 3." in run_send(app)
    assert "queued: 0." in run_send(app)

    assert len(smtp.messages) == 3
    assert follow_ups(session) == 3


def test_two_runs_at_once_send_each_email_once(app, session, make, smtp, closed, guidance):
    parents = [book(make, closed, "attended", slot=i % 2).email for i in range(8)]
    session.commit()
    start = threading.Barrier(2)
    sent, errors = [], []

    def run():
        try:
            with app.app_context():
                start.wait(timeout=10)
                sent.append(followup.send_follow_ups(db.session))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert [run.failed for run in sent] == [[], []]
    assert sum(run.done for run in sent) == 8
    assert follow_ups(session) == 8
    for address in parents:
        assert len(smtp.to(address)) == 1, address


def test_a_clinic_closed_weeks_ago_gets_no_follow_up(app, session, make, smtp, closed, guidance):
    book(make, closed, "attended")
    session.execute(
        update(Clinic)
        .where(Clinic.id == closed.id)
        .values(closed_at=utcnow() - followup.FOLLOW_UP_WITHIN - timedelta(minutes=1))
    )
    session.commit()

    assert "queued: 0." in run_send(app)
    assert smtp.messages == []


def test_anonymised_bookings_are_skipped(app, session, make, smtp, closed, guidance):
    book(make, closed, "attended")
    anonymise_everything(session)

    assert "queued: 0." in run_send(app)
    assert smtp.messages == []


def test_without_guidance_links_the_email_still_asks_for_feedback(app, session, make, smtp, closed):
    book(make, closed, "attended", email="came@example.net")

    run_send(app)

    (message,) = smtp.to("came@example.net")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "These guides" not in text
    assert feedback_link_in(message)


def test_a_booking_marked_after_the_first_run_is_sent_by_the_next(
    app, session, make, smtp, closed, guidance
):
    booking = book(make, closed, "confirmed", email="late@example.net")
    assert "queued: 0." in run_send(app)

    session.execute(update(Booking).where(Booking.id == booking.id).values(status="attended"))
    session.commit()

    assert "queued: 1." in run_send(app)
    assert len(smtp.to("late@example.net")) == 1


def test_a_polish_household_gets_the_polish_links_and_english_where_polish_has_none(
    app, session, make, smtp, closed, guidance
):
    # Polish has no Roblox link now: that topic falls back to the English one.
    session.execute(
        delete(GuidanceLink).where(GuidanceLink.language == "pl", GuidanceLink.topic == "roblox")
    )
    session.commit()
    book(make, closed, "attended", ["roblox", "iphone-ipad"], email="pl@example.net", language="pl")
    book(make, closed, "attended", ["roblox"], email="en@example.net")

    run_send(app)

    (polish,) = smtp.to("pl@example.net")
    text = polish.get_body(preferencelist=("plain",)).get_content()
    assert "Apple: Czas przed ekranem na iPhonie lub iPadzie dziecka" in text
    assert "Internet Matters: instrukcje krok po kroku" in text
    assert "Roblox: guide for parents and carers" in text  # the English fallback
    assert "Apple: use Screen Time" not in text and "step-by-step" not in text
    (english,) = smtp.to("en@example.net")
    text = english.get_body(preferencelist=("plain",)).get_content()
    assert "Roblox: guide for parents and carers" in text and "instrukcje" not in text

    guides = followup.guides_by_topic(session, closed.school.partnership_id)
    sections = followup.guidance_for(["roblox", "iphone-ipad"], guides, "pl")
    assert [(s.topic, s.language) for s in sections] == [
        ("iphone-ipad", "pl"),
        ("roblox", "en"),
        ("general", "pl"),
    ]
    assert {g.language for s in sections for g in s.guides} == {"pl", "en"}


def test_the_command_sends_its_follow_ups_before_it_exits(
    app, session, make, smtp, closed, guidance
):
    book(make, closed, "attended", email="came@example.net")

    output = run_cron_as_in_production(app, "followup", "send")

    assert output.splitlines() == [
        "Follow-up emails queued: 1.",
        "Sent 1 email, 0 to retry, 0 failed.",
    ]
    assert statuses(session, "follow_up") == ["sent"]
    assert len(smtp.to("came@example.net")) == 1
