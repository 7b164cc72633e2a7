"""The school and home pages are drawn once per worker while nothing on them changes
(``clinic.pagecache``): the places left are right the moment a booking or cancellation
commits, signed-in staff and flashed messages are never served from it, and a booking
window opening changes the page."""

import re
from datetime import UTC, datetime, timedelta

from clinic import changes
from clinic.booking import service
from clinic.manage.service import cancel_booking
from clinic.pagecache import pages, store
from tests.booking.support import details, fill_form
from tests.conftest import sign_in
from tests.helpers import sql_sent


def places(client, school) -> list[str]:
    response = client.get(f"/schools/{school.slug}")
    assert response.status_code == 200
    return re.findall(r'<td class="govuk-table__cell">\s*(\d+)\s*</td>', response.text)


def test_places_left_are_right_as_soon_as_a_booking_or_cancellation_commits(
    app, client, session, school, clinic
):
    assert places(client, school) == ["2", "2", "2", "2"]
    assert places(client, school) == ["2", "2", "2", "2"]  # from the cache
    with app.app_context():
        assert len(pages()._pages) == 1

    booking = service.book_place(
        session, slot_id=clinic.slots[1].id, details=details(), submission_id="s1"
    )
    session.commit()
    assert places(client, school) == ["2", "1", "2", "2"]

    cancel_booking(session, booking, actor="parent")
    session.commit()
    assert places(client, school) == ["2", "2", "2", "2"]


def test_a_change_to_the_clinic_shows_at_once(client, session, school, clinic):
    assert "Homework club room" not in client.get(f"/schools/{school.slug}").text
    clinic.venue = "Homework club room"
    session.commit()
    assert "Homework club room" in client.get(f"/schools/{school.slug}").text


def test_a_new_school_name_or_more_places_show_at_once(client, session, school, clinic):
    """The key is read in one statement (``finder.school_page_key``): the school's row and
    each slot's capacity are in it as they are stored."""
    assert places(client, school) == ["2", "2", "2", "2"]
    clinic.slots[2].capacity = 5
    session.commit()
    assert places(client, school) == ["2", "2", "5", "2"]
    school.name = "Renamed Primary School"
    session.commit()
    assert "Renamed Primary School" in client.get(f"/schools/{school.slug}").text


def test_an_unknown_school_is_not_found(client):
    assert client.get("/schools/no-such-school").status_code == 404


def test_a_booking_window_opening_changes_the_page(client, session, school, clinic):
    clinic.booking_opens_at = datetime.now(UTC) + timedelta(seconds=2)
    session.commit()
    assert "Booking opens on" in client.get(f"/schools/{school.slug}").text

    clinic.booking_opens_at = datetime.now(UTC) - timedelta(seconds=1)  # as time passes
    session.commit()
    assert "Booking opens on" not in client.get(f"/schools/{school.slug}").text


def test_staff_are_never_served_the_shared_page(app, client, make, school, clinic, officer):
    client.get(f"/schools/{school.slug}")  # cached for parents
    staff = sign_in(app.test_client(), officer)

    html = staff.get(f"/schools/{school.slug}").text

    assert "Book for a parent" in html
    assert "Book for a parent" not in client.get(f"/schools/{school.slug}").text


def test_a_flashed_message_is_shown_and_never_cached(app, client, school, clinic):
    client.get(f"/schools/{school.slug}")
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Your booking is cancelled.")]

    assert "Your booking is cancelled." in client.get(f"/schools/{school.slug}").text
    assert "Your booking is cancelled." not in client.get(f"/schools/{school.slug}").text
    other = app.test_client()
    assert "Your booking is cancelled." not in other.get(f"/schools/{school.slug}").text


def test_the_home_page_is_drawn_once(app, client):
    first = client.get("/").text
    again = client.get("/")
    assert again.text == first
    assert again.content_type == "text/html; charset=utf-8"
    with app.app_context():
        # Each language kept apart; the page is kept as the bytes sent, not re-encoded.
        assert pages()._pages[("en", "home")] == again.data


def _kept(app) -> str:
    """Everything the pages store holds, as text (pages are bytes, fragments text)."""
    with app.app_context():
        values = pages()._pages.values()
        return "".join(v.decode() if isinstance(v, bytes) else v for v in values)


def test_a_school_page_is_kept_under_the_values_it_shows(app, client, school, clinic):
    client.get(f"/schools/{school.slug}")
    with app.app_context():
        ((language, key),) = pages()._pages
    # The values themselves (exact, hashed by the dictionary), not a digest of their repr.
    assert language == "en" and key[0] == "school"
    assert isinstance(key, tuple)


def test_only_the_blank_household_form_is_kept(app, client, slot):
    blank = client.get(f"/book/{slot.id}").text
    assert 'value="Alex Example"' not in blank

    # A form sent with an error comes back with what was typed and the message...
    answer = fill_form(client, slot.id, email="not an email")
    assert answer.status_code == 200
    assert 'value="Alex Example"' in answer.text
    assert "govuk-error-message" in answer.text
    # ...and none of it is kept: the next parent gets the blank form.
    other = app.test_client().get(f"/book/{slot.id}").text
    assert 'value="Alex Example"' not in other and "govuk-error-message" not in other
    kept = _kept(app)
    assert "Alex Example" not in kept and "alex.example" not in kept


def test_the_finder_keeps_only_pages_that_found_schools(app, client, school, clinic):
    found = client.get(f"/schools?q={school.name.split()[0]}").text
    assert school.name in found
    client.get("/schools?q=Alex+Example+07700900982")  # typed, matching nothing

    kept = _kept(app)
    assert school.name in kept
    assert "Alex Example" not in kept and "07700900982" not in kept


def test_a_school_page_reads_as_many_queries_for_80_slots_as_for_1(
    app, client, make, school, officer, other_school
):
    for _ in range(10):
        make.clinic(school, officer, slots=8)
    make.clinic(other_school, make.user(role="officer", schools=[other_school]), slots=1)
    assert changes.signal(app).wait_connected(10)
    counts = {}
    for name, slug in (("big", school.slug), ("small", other_school.slug)):
        with app.app_context():
            pages().clear()
            store("unchanged pages").clear()
        with sql_sent() as drawn:
            client.get(f"/schools/{slug}")
        with sql_sent() as kept:
            client.get(f"/schools/{slug}")
        counts[name] = (len(drawn), len(kept))

    assert counts["big"] == counts["small"]
    drawn, kept = counts["big"]
    assert kept < drawn  # the kept page skips reading the clinics as objects
    # Nothing changed since it was drawn: not even the key is read (clinic.changes).
    assert kept == 0
