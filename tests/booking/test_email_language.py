"""Every email and invite to a household is in the language it booked in (issue 17),
whoever sends it: the parent's own booking, an officer cancelling the clinic, the
reminders cron command.

The Polish catalogue is not translated yet, so these tests look for what says the
language whatever the sentences are: ``<html lang="pl">``, the invite's LANGUAGE
parameter, Babel's Polish dates ("grudnia") and ``lang=pl`` on every link to a page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from flask import current_app
from flask_babel import force_locale, gettext
from icalendar import Calendar
from sqlalchemy import select

from clinic.booking.cli import reminders_cli
from clinic.filters import format_datetime
from clinic.localtime import local
from clinic.models import Booking
from clinic.schedule import service as schedule
from tests.booking.support import book, wait_for_mail
from tests.manage.support import post_with_token, set_times

LINK = re.compile(r"https?://[^\s\"<>]+")
REASON = "The hall is flooded."


def days_to_december(today: date | None = None) -> int:
    """Days from today to the next 10 December at least a week away."""
    today = today or date.today()
    target = date(today.year, 12, 10)
    if (target - today).days < 7:
        target = date(today.year + 1, 12, 10)
    return (target - today).days


@pytest.fixture
def december_clinic(make, school, officer):
    return make.clinic(school, officer, days_ahead=days_to_december(), slots=2, capacity=2)


def bodies(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def invite(message):
    (attachment,) = list(message.iter_attachments())
    (event,) = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    return event


def page_links(message) -> list[str]:
    """Every link to one of the service's pages, in both bodies."""
    base = current_app.config["BASE_URL"]
    text, html = bodies(message)
    links = LINK.findall(text) + [link.replace("&amp;", "&") for link in LINK.findall(html)]
    return [link for link in links if link.startswith(base)]


def manage_link(message) -> str:
    """The booking's own link (not its calendar file nor its delete page)."""
    return next(link for link in page_links(message) if re.search(r"/booking/[^/?]+\?", link))


def assert_in_language(message, language: str, *, with_invite: bool = True) -> None:
    """The email, its links and its invite are in ``language``."""
    text, html = bodies(message)
    assert f'<html lang="{language}"' in html
    links = page_links(message)
    assert links
    for link in links:
        lang = parse_qs(urlsplit(link).query).get("lang")
        assert lang == [language], link  # English links say lang=en too
    if with_invite:
        event = invite(message)
        for name in ("SUMMARY", "DESCRIPTION"):
            assert event[name].params["LANGUAGE"] == language
        assert f"lang={language}" in str(event["URL"])


def polish_booking(client, session, smtp, slot, email="ola.nowak@example.net") -> Booking:
    """Ola books through the pages with Polish chosen (``?lang=pl``, then its cookie)."""
    assert client.get("/?lang=pl").status_code == 200
    assert book(client, slot.id, email=email, parent_name="Ola Nowak").status_code == 302
    booking = session.scalars(select(Booking).where(Booking.email == email)).one()
    assert booking.language == "pl"
    return booking


def test_a_polish_booking_gets_its_confirmation_and_invite_in_polish(
    client, session, smtp, december_clinic
):
    slot = december_clinic.slots[0]
    booking = polish_booking(client, session, smtp, slot)
    (message,) = wait_for_mail(smtp, booking.email)

    assert_in_language(message, "pl")
    text, html = bodies(message)
    polish_date = babel_date(local(slot.starts_at), "full", locale="pl")
    assert "grudnia" in polish_date
    assert polish_date in text and polish_date in html
    assert "grudnia" in message["Subject"]
    # The clinic's title and the school's name were typed in English: marked as such.
    assert '<span lang="en" dir="ltr">' in html
    assert 'dir="ltr"' in html.split("<head>")[0]
    # The invite's own sentences come from the caller, in its language; the reference and
    # the link with lang=pl are in its description.
    description = str(invite(message)["DESCRIPTION"])
    assert booking.reference in description and "lang=pl" in description

    # The link opens the booking's page in Polish, and the page keeps Polish for the next.
    other = client.application.test_client()
    manage = manage_link(message)
    page = other.get(urlsplit(manage).path + "?" + urlsplit(manage).query)
    assert page.status_code == 200
    assert '<html lang="pl"' in page.get_data(as_text=True)
    assert "lang=pl" in page.headers.get("Set-Cookie", "")


def test_an_officer_cancelling_the_clinic_tells_each_household_in_its_own_language(
    client, session, smtp, make, december_clinic, officer
):
    slot = december_clinic.slots[0]
    polish = polish_booking(client, session, smtp, slot)
    english = make.booking(slot, email="sam.english@example.net")
    assert english.language == "en"
    smtp.clear()

    schedule.cancel_clinic(
        session, officer, december_clinic, REASON, expected_version=december_clinic.version
    )
    session.commit()

    (to_polish,) = wait_for_mail(smtp, polish.email)
    (to_english,) = wait_for_mail(smtp, english.email)
    assert_in_language(to_polish, "pl")
    assert_in_language(to_english, "en")
    assert invite(to_polish)["STATUS"] == invite(to_english)["STATUS"] == "CANCELLED"
    polish_text, _ = bodies(to_polish)
    english_text, _ = bodies(to_english)
    assert "grudnia" in polish_text and REASON in polish_text
    assert "December" in english_text and "grudnia" not in english_text
    assert "We are sorry: the parental controls clinic at" in english_text
    assert to_english["Subject"] == f"Clinic cancelled – {december_clinic.school.name}"


def test_a_changed_date_is_told_in_each_households_language(
    client, session, smtp, make, december_clinic, officer
):
    slot = december_clinic.slots[0]
    polish = polish_booking(client, session, smtp, slot)
    english = make.booking(slot, email="sam.english@example.net")
    smtp.clear()
    old_date = december_clinic.date
    new_date = old_date + timedelta(days=1)
    if new_date.weekday() >= 5:
        new_date += timedelta(days=7 - new_date.weekday())
    details = schedule.ClinicDetails(
        title=december_clinic.title,
        description=december_clinic.description,
        venue=december_clinic.venue,
        date=new_date,
        booking_opens_at=december_clinic.booking_opens_at,
        booking_closes_at=None,
    )

    changed = schedule.update_clinic(
        session,
        officer,
        december_clinic,
        details,
        expected_version=december_clinic.version,
        confirmed=True,
        allow_closed_day=True,
    )
    session.commit()

    # The officer reads what changed in English; each household in its own language.
    assert changed.changes[0].startswith("The date has changed from ")
    (to_polish,) = wait_for_mail(smtp, polish.email)
    (to_english,) = wait_for_mail(smtp, english.email)
    assert_in_language(to_polish, "pl")
    assert_in_language(to_english, "en")
    polish_text = bodies(to_polish)[0]
    for day in (old_date, new_date):
        assert babel_date(day, "full", locale="pl") in polish_text
    assert "The date has changed from " not in polish_text or "grudnia" in polish_text
    assert changed.changes[0] in bodies(to_english)[0]


def test_the_reminder_from_the_cron_command_is_in_polish(
    app, client, session, smtp, december_clinic
):
    slot = december_clinic.slots[0]
    booking = polish_booking(client, session, smtp, slot)
    set_times(session, december_clinic, starts_in=timedelta(hours=30))
    smtp.clear()

    result = app.test_cli_runner().invoke(reminders_cli, ["send"])

    assert result.exit_code == 0, result.output
    (message,) = wait_for_mail(smtp, booking.email)
    assert_in_language(message, "pl")
    session.refresh(booking)
    polish_date = babel_date(local(booking.slot.starts_at), "full", locale="pl")
    assert polish_date in bodies(message)[0]
    assert polish_date in message["Subject"]


def in_polish(message: str, **values) -> str:
    """``message`` as the Polish catalogue has it (the catalogue must translate it)."""
    with force_locale("pl"):
        translated = gettext(message, **values)
    assert translated != message % values if values else translated != message, (
        f"the Polish catalogue does not translate {message!r}"
    )
    return translated


def test_a_polish_parent_books_moves_and_cancels_through_the_pages_in_polish(
    client, session, smtp, make, december_clinic
):
    """The whole journey in Polish, as a parent makes it: every page, every email and every
    invite (parsed with icalendar) in Polish with Polish dates, while an English booking at
    the same clinic gets English."""
    first, second = december_clinic.slots
    english_client = client.application.test_client()
    assert english_client.get("/?lang=en").status_code == 200
    english_email = "sam.english@example.net"
    assert book(english_client, second.id, email=english_email).status_code == 302
    booking = polish_booking(client, session, smtp, first)
    (confirmed,) = wait_for_mail(smtp, booking.email)
    assert_in_language(confirmed, "pl")
    text, _html = bodies(confirmed)
    assert in_polish("Hello %(name)s,", name=booking.parent_name) in text
    assert confirmed["Subject"] == in_polish(
        "Your place is booked for %(when)s", when=polish_when(first)
    )

    manage = manage_link(confirmed)
    path = urlsplit(manage).path
    page = client.get(f"{path}/move").get_data(as_text=True)
    assert '<html lang="pl"' in page
    assert in_polish("Move to another time") in unescape(page)
    moved = post_with_token(client, f"{path}/move", data={"slot_id": str(second.id)})
    assert moved.status_code == 302
    shown = unescape(client.get(path).get_data(as_text=True))
    assert '<html lang="pl"' in shown
    polish_time = babel_time(local(second.starts_at), "short", locale="pl")
    assert polish_time in shown

    move_email = wait_for_mail(smtp, booking.email, count=2)[-1]
    assert_in_language(move_email, "pl")
    assert babel_date(local(second.starts_at), "full", locale="pl") in move_email["Subject"]
    assert invite(move_email)["SEQUENCE"] == 1

    cancelled = post_with_token(client, f"{path}/cancel")
    assert cancelled.status_code == 302
    shown = unescape(client.get(path).get_data(as_text=True))
    assert in_polish("Your cancelled booking") in shown
    cancel_email = wait_for_mail(smtp, booking.email, count=3)[-1]
    assert_in_language(cancel_email, "pl")
    assert cancel_email["Subject"] == in_polish(
        "Your booking is cancelled: %(title)s", title=december_clinic.title
    )
    event = invite(cancel_email)
    assert event["STATUS"] == "CANCELLED" and event["SUMMARY"].params["LANGUAGE"] == "pl"

    # Nothing of this reached the English household, whose confirmation stayed English.
    (to_english,) = wait_for_mail(smtp, english_email)
    assert_in_language(to_english, "en")
    assert to_english["Subject"].startswith("Your place is booked for ")


def polish_when(slot) -> str:
    """A slot's start as the Polish pages and emails write it."""
    with force_locale("pl"):
        return format_datetime(slot.starts_at)
