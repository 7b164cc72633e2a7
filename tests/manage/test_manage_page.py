"""The manage link: opening it (or any link in the emails) changes nothing; bad links are
a friendly not-found page; cancelled and past bookings are read-only."""

from datetime import timedelta
from urllib.parse import urlsplit

from itsdangerous import URLSafeSerializer

from clinic.links import manage_token, waitlist_token
from clinic.models import Booking, WaitlistEntry, normalise_email, utcnow

from .support import (
    fresh_csrf,
    links_in,
    manage_path,
    path_of,
    read_both,
    set_times,
    snapshot,
)


def test_opening_the_link_shows_the_booking_and_changes_nothing(client, session, booking):
    before = snapshot(session)

    page = client.get(manage_path(booking))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in (
        booking.reference,
        "Parental controls clinic",
        "Oakfield Primary School",
        "School library",
        "3pm to 3:15pm",
        "Booked",
    ):
        assert shown in html, shown
    assert "Move to another time" in html and "Cancel booking" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert snapshot(session) == before


def test_a_mail_scanner_following_every_link_changes_nothing(client, session, smtp, clinic, book):
    booking = book(clinic.slots[0])
    (confirmation,) = smtp.to("ann.parent@example.net")
    everything = links_in(confirmation)
    links = [link for link in everything if link.startswith("http://localhost/")]
    assert any(manage_token(booking) in link for link in links)
    # The rest are the "Add to Google Calendar" and "Add to Outlook" links, not ours to open.
    others = {urlsplit(link).netloc for link in everything if link not in links}
    assert others == {"calendar.google.com", "outlook.live.com"}
    before = snapshot(session)

    for link in links:
        response = client.get(path_of(link))
        assert response.status_code in (200, 302), (link, response.status_code)
    # ...and the pages those lead to: move, cancel, the calendar file.
    token = manage_token(booking)
    for path in (
        f"/booking/{token}/move",
        f"/booking/{token}/cancel",
        f"/booking/{token}/invite.ics",
    ):
        assert client.get(path).status_code == 200, path

    assert snapshot(session) == before
    assert len(smtp.messages) == 1


def _tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


def test_tampered_and_foreign_links_get_a_friendly_not_found_page(
    client, session, make, clinic, booking
):
    other = make.booking(clinic.slots[1])
    entry = WaitlistEntry(
        clinic_id=clinic.id,
        parent_name="W",
        email="w@example.net",
        email_normalised="w@example.net",
        created_at=utcnow(),
    )
    session.add(entry)
    session.commit()
    signed_elsewhere = URLSafeSerializer("another-secret", salt="parent-link:manage").dumps(
        {"i": booking.id, "u": booking.uid[-12:]}
    )
    bad = [
        _tampered(manage_token(booking)),
        manage_token(booking)[:-3],
        signed_elsewhere,
        waitlist_token(entry),  # a waiting-list link is not a booking link
        "not-a-token",
        "%00",
    ]
    before = snapshot(session)

    for token in bad:
        for path in (
            f"/booking/{token}",
            f"/booking/{token}/move",
            f"/booking/{token}/cancel",
            f"/booking/{token}/invite.ics",
        ):
            page = client.get(path)
            assert page.status_code == 404, (path, page.status_code)
            html = page.get_data(as_text=True)
            # A NUL in the path matches no route at all (clinic.inputs): the site's own
            # not-found page, not this link's; every other bad link gets the link's page.
            friendly = "Page not found" if token == "%00" else "We cannot find this link"
            assert friendly in html, (path, friendly)
            assert booking.reference not in html and other.reference not in html
        posted = client.post(f"/booking/{token}/cancel", data={"csrf_token": fresh_csrf(client)})
        assert posted.status_code == 404
    assert snapshot(session) == before


def test_the_calendar_file_is_a_download_of_the_same_event(client, booking):
    response = client.get(f"{manage_path(booking)}/invite.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="clinic-{booking.reference}.ics"'
    )
    event = read_both(response.data)
    assert event["method"] == "PUBLISH"
    assert event["uid"] == booking.uid
    assert event["sequence"] == booking.sequence
    assert event["attendees"] == []  # a plain import: nobody's address in it
    assert (event["start"], event["end"]) == (booking.slot.starts_at, booking.slot.ends_at)


def _refused_everywhere(client, session, booking, message):
    before = snapshot(session)
    page = client.get(manage_path(booking))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert message in html
    assert "Move to another time" not in html and "Cancel booking" not in html

    for action in ("cancel", "move"):
        response = client.post(
            f"{manage_path(booking)}/{action}",
            data={"csrf_token": fresh_csrf(client), "slot_id": str(booking.clinic.slots[-1].id)},
        )
        assert response.status_code == 409
        assert "Nothing has been changed" in response.get_data(as_text=True)
        assert message in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_cancelled_booking_is_read_only(client, session, make, clinic):
    booking = make.booking(clinic.slots[0], status="cancelled", cancelled_at=utcnow())
    _refused_everywhere(client, session, booking, "This booking has been cancelled")
    assert client.get(f"{manage_path(booking)}/invite.ics").status_code == 302


def test_a_past_booking_is_read_only(client, session, clinic, booking):
    set_times(session, clinic, starts_in=-timedelta(hours=3))
    _refused_everywhere(client, session, booking, "This clinic has finished")


def test_a_booking_whose_time_has_started_is_read_only(client, session, clinic, booking):
    set_times(session, clinic, starts_in=-timedelta(minutes=5))
    _refused_everywhere(client, session, booking, "Your appointment time has started")


def test_a_post_without_a_csrf_token_changes_nothing(client, session, clinic, booking):
    before = snapshot(session)

    cancel = client.post(f"{manage_path(booking)}/cancel", data={})
    move = client.post(f"{manage_path(booking)}/move", data={"slot_id": str(clinic.slots[1].id)})

    for response in (cancel, move):
        assert "This form was open for too long" in response.get_data(as_text=True)
    assert snapshot(session) == before
    assert session.get(Booking, booking.id).status == "confirmed"


def test_the_same_household_is_not_found_by_email(client, session, booking):
    """The page is reached by the signed link only: nothing looks a booking up by email."""
    assert normalise_email(booking.email) == booking.email_normalised
    assert client.get(f"/booking/{booking.email}").status_code == 404


def test_the_booking_page_lists_what_this_household_brings(client, session, clinic, book):
    """The same tailored list as the email (the devices and apps asked about), not a
    general one; in the booking's language, each line marked where it is in another."""
    from markupsafe import escape

    from clinic.invites.bring import bring_for

    booking = book(clinic.slots[0], topics=["iphone-ipad", "discord"])
    html = client.get(manage_path(booking)).get_data(as_text=True)
    wanted = bring_for(session, booking)
    assert wanted and all(item.language == "en" for item in wanted)
    listed = html.split("What to bring", 1)[1].split("</ul>", 1)[0]
    for item in wanted:
        assert f"<li>{escape(item)}</li>" in listed, item
    assert "Apple ID" in listed and "Discord" in listed
    assert "Roblox" not in listed and "Family Link" not in listed  # not asked about
    assert "the passwords for your child's accounts" not in html  # the old general list

    # A Polish booking's list is in Polish (English where Polish has none), shown so on an
    # English page, each line marked with its language.
    polish = book(clinic.slots[1], email="ola@example.net", topics=["iphone-ipad"])
    polish.language = "pl"
    session.commit()
    items = bring_for(session, polish)
    assert items.language == "pl" and any(item.language == "pl" for item in items)
    page = client.get(manage_path(polish)).get_data(as_text=True)
    for item in items:
        assert f'<li><span lang="{item.language}" dir="ltr">{escape(item)}</span></li>' in page
