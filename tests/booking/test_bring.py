"""What to bring follows what the parent asked help with: the confirmation and the reminder
(both bodies and the invite's description), and the confirmation page; coordinators edit
it next to the guidance links. The defaults come with migration 0006_bring_advice (the
test database is built by the migrations)."""

from __future__ import annotations

import icalendar
import pytest
from sqlalchemy import select

from clinic.booking.reminders import send_reminder
from clinic.invites.bring import bring_for, bring_list
from clinic.models import AuditEvent, Booking, BringAdvice, Partnership, utcnow
from tests.booking.support import book, wait_for_mail
from tests.helpers import csrf_token

EMAIL = "alex.example@example.net"
# What the defaults say for an iPhone and Discord, and what they say for other topics.
WANTED = ["charged", "Apple ID", "Screen Time passcode", "Discord login"]
NOT_WANTED = ["Family Link", "router", "family account", "TikTok", "Roblox"]


def default_id(session) -> int:
    """The migration's partnership, whose texts the shipped defaults are."""
    return session.scalar(select(Partnership.id).where(Partnership.slug == "default"))


def bodies_and_invite(message) -> tuple[str, str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    calendar = icalendar.Calendar.from_ical(part.get_content())
    (event,) = calendar.walk("VEVENT")
    return text, html, str(event["DESCRIPTION"])


def says_only_what_was_asked(*texts: str) -> None:
    for text in texts:
        for wanted in WANTED:
            assert wanted in text
        for other in NOT_WANTED:
            assert other not in text


def test_bring_list_is_everyones_then_each_topics_once():
    advice = {
        "general": "Your child's phone, charged\n",
        "iphone-ipad": "- Your Apple ID\n\n  The Screen Time passcode ",
        "youtube": "Your Google account",
        "android": "Your Google account\nYour child's Google account",
    }
    assert bring_list(["iphone-ipad"], advice) == [
        "Your child's phone, charged",
        "Your Apple ID",
        "The Screen Time passcode",
    ]
    assert bring_list(["youtube", "android", "other"], advice) == [
        "Your child's phone, charged",
        "Your Google account",  # said once, though two topics need it
        "Your child's Google account",
    ]
    assert bring_list(None, {}) == []


def test_confirmation_and_reminder_list_what_an_iphone_and_discord_need(
    client, session, clinic, slot, smtp
):
    assert book(client, slot.id, topics=["iphone-ipad", "discord"]).status_code == 302
    (confirmation,) = wait_for_mail(smtp, EMAIL)
    says_only_what_was_asked(*bodies_and_invite(confirmation))
    page = client.get("/book/confirmation").get_data(as_text=True)
    says_only_what_was_asked(page.split("What to bring", 1)[1].split("If plans change")[0])

    booking = session.scalars(select(Booking)).one()
    assert send_reminder(session, booking.id, now=utcnow())
    session.commit()
    reminder = wait_for_mail(smtp, EMAIL, count=2)[1]
    assert reminder["Subject"].startswith("Reminder:")
    says_only_what_was_asked(*bodies_and_invite(reminder))


def test_router_topic_asks_for_the_router_password(client, clinic, slot, smtp):
    assert book(client, slot.id, topics=["home-broadband"], other_topic=None).status_code == 302
    (message,) = wait_for_mail(smtp, EMAIL)
    for text in bodies_and_invite(message):
        assert "admin password of your home broadband router" in text
        assert "Apple ID" not in text


def test_a_coordinator_changes_what_to_bring_on_the_guidance_pages(
    admin_client, client, session, clinic, slot, smtp
):
    listed = admin_client.get("/admin/guidance").get_data(as_text=True)
    assert 'id="what-to-bring"' in listed and "Screen Time passcode" in listed
    page = admin_client.get("/admin/guidance/bring/discord")
    assert "Discord login" in page.get_data(as_text=True)

    too_long = admin_client.post(
        "/admin/guidance/bring/discord", data={"csrf_token": csrf_token(page), "text": "x" * 1001}
    )
    assert too_long.status_code == 200 and "1000 characters or fewer" in too_long.get_data(
        as_text=True
    )
    saved = admin_client.post(
        "/admin/guidance/bring/discord",
        data={"csrf_token": csrf_token(page), "text": "The Discord app, signed in\r\n\r\n"},
    )
    assert saved.status_code == 302
    session.expire_all()
    assert (
        session.get(BringAdvice, (default_id(session), "discord", "en")).text
        == "The Discord app, signed in"
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "guidance.bring")).one()
    assert event.details == {"topic": "discord", "language": "en"}

    assert book(client, slot.id, topics=["discord"]).status_code == 302
    (message,) = wait_for_mail(smtp, EMAIL)
    for text in bodies_and_invite(message):
        assert "The Discord app, signed in" in text and "Discord login" not in text


@pytest.mark.parametrize("topic", ["nonsense", "general"])
def test_unknown_topics_are_not_found_and_everyone_has_a_row(admin_client, topic):
    status = admin_client.get(f"/admin/guidance/bring/{topic}").status_code
    assert status == (200 if topic == "general" else 404)


def test_only_coordinators_edit_it(officer_client, client):
    assert officer_client.get("/admin/guidance/bring/discord").status_code == 404
    assert client.get("/admin/guidance/bring/discord").status_code in (302, 404)


# --- per language ---------------------------------------------------------------------------

POLISH_IPHONE = "Kod Czasu przed ekranem"


def test_bring_list_falls_back_to_english_topic_by_topic():
    polish = {"general": "Naładowany telefon", "discord": "  "}
    english = {"general": "A charged phone", "discord": "Discord login", "roblox": "Roblox login"}

    items = bring_list(["discord", "roblox"], polish, language="pl", english=english)

    assert items == ["Naładowany telefon", "Discord login", "Roblox login"]
    assert items.language == "pl" and items.fallback
    assert [item.language for item in items] == ["pl", "en", "en"]
    only_polish = bring_list([], polish, language="pl", english=english)
    assert [i.language for i in only_polish] == ["pl"] and not only_polish.fallback


def test_a_polish_booking_is_told_in_polish_with_english_where_polish_has_none(
    client, session, clinic, slot, smtp
):
    # A coordinator cleared the Polish Discord text: Polish parents get the English.
    session.delete(session.get(BringAdvice, (default_id(session), "discord", "pl")))
    session.commit()
    client.set_cookie("lang", "pl")

    assert book(client, slot.id, topics=["iphone-ipad", "discord"]).status_code == 302

    booking = session.scalars(select(Booking)).one()
    assert booking.language == "pl"
    items = bring_for(session, booking)
    assert items.language == "pl"
    assert [item.language for item in items] == ["pl", "pl", "pl", "pl", "en"]
    (confirmation,) = wait_for_mail(smtp, EMAIL)
    for text in bodies_and_invite(confirmation):
        assert POLISH_IPHONE in text and "Naładowany telefon" in text
        assert "Discord login" in text  # the English, as Polish has none
        assert "Screen Time passcode" not in text and "charged" not in text


def test_an_english_booking_next_to_it_stays_english(client, session, clinic, slot, smtp):
    assert book(client, slot.id, topics=["iphone-ipad", "discord"]).status_code == 302
    (confirmation,) = wait_for_mail(smtp, EMAIL)
    says_only_what_was_asked(*bodies_and_invite(confirmation))
    for text in bodies_and_invite(confirmation):
        assert POLISH_IPHONE not in text
    items = bring_for(session, session.scalars(select(Booking)).one())
    assert items.language == "en" and not items.fallback


def texts(session, topic: str) -> dict[str, str]:
    session.expire_all()
    rows = session.scalars(select(BringAdvice).where(BringAdvice.topic == topic))
    return {row.language: row.text for row in rows}


def test_editing_the_polish_text_changes_only_polish_and_clearing_it_falls_back(
    admin_client, session
):
    before = texts(session, "discord")
    assert set(before) == {"en", "cy", "pl", "ro", "ur", "ar"}
    listed = admin_client.get("/admin/guidance?language=pl").get_data(as_text=True)
    assert '<option value="pl" selected>Polski (Polish)</option>' in listed
    assert "Dane logowania dziecka do Discorda" in listed and 'lang="pl"' in listed
    assert "/admin/guidance/bring/discord?language=pl" in listed

    page = admin_client.get("/admin/guidance/bring/discord?language=pl")
    body = page.get_data(as_text=True)
    assert "Dane logowania dziecka do Discorda" in body and "Polski (Polish)" in body
    assert "Discord login" in body  # the English it falls back to, shown beside it
    saved = admin_client.post(
        "/admin/guidance/bring/discord?language=pl",
        data={"csrf_token": csrf_token(page), "text": "Aplikacja Discord, zalogowana"},
    )
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith("/admin/guidance?language=pl#what-to-bring")
    after = texts(session, "discord")
    assert after == {**before, "pl": "Aplikacja Discord, zalogowana"}
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "guidance.bring")).one()
    assert event.details == {"topic": "discord", "language": "pl"}

    cleared = admin_client.post(
        "/admin/guidance/bring/discord?language=pl",
        data={"csrf_token": csrf_token(page), "text": "  "},
    )
    assert cleared.status_code == 302
    after = texts(session, "discord")
    assert "pl" not in after and after == {k: v for k, v in before.items() if k != "pl"}
    listed = admin_client.get("/admin/guidance?language=pl").get_data(as_text=True)
    assert '<ul class="govuk-list" lang="en"><li>Your child&#39;s Discord login' in listed
    english = admin_client.get("/admin/guidance").get_data(as_text=True)
    assert "Dane logowania" not in english and "Your child&#39;s Discord login" in english
