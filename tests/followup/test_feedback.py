"""The feedback form: a signed link, two questions, one answer per booking."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from clinic.followup import service as followup
from clinic.forms import CSRF_MESSAGE
from clinic.links import manage_token
from clinic.models import AuditEvent, Feedback
from tests.helpers import csrf_token, post_form

from .support import anonymise_everything, book, clinic_dated

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def booking(make, session, school, officer_user):
    clinic = clinic_dated(session, school, officer_user, YESTERDAY, closed=True)
    return book(make, clinic, "attended")


@pytest.fixture
def url(booking):
    return f"/feedback/{followup.feedback_token(booking)}"


def answers(session) -> list[tuple]:
    session.commit()
    return session.execute(
        select(Feedback.booking_id, Feedback.clinic_id, Feedback.useful, Feedback.comments)
    ).all()


def test_the_form_asks_two_questions(client, url):
    page = client.get(url).get_data(as_text=True)

    assert "Was the clinic useful?" in page
    for _, words in followup.USEFUL_CHOICES:
        assert words in page
    assert "Anything else you would like to tell us? (optional)" in page
    assert 'name="useful" type="radio" value="5"' in page
    assert "Oakfield Primary School" in page
    assert "noindex" in page


def test_answers_are_saved_once_and_audited(client, session, booking, url):
    response = post_form(client, url, {"useful": "4", "comments": "  Very helpful, thank you. "})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)
    assert answers(session) == [(booking.id, booking.clinic_id, 4, "Very helpful, thank you.")]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.give"))
    assert (event.actor_label, event.school_id, event.details) == (
        "parent",
        booking.clinic.school_id,
        {"useful": 4},
    )
    thanks = client.get(url).get_data(as_text=True)
    assert "Thank you for your feedback" in thanks
    assert "Was the clinic useful?" not in thanks


def test_a_second_answer_is_not_stored(client, session, booking, url):
    page = client.get(url)
    token = csrf_token(page)
    client.post(url, data={"csrf_token": token, "useful": "5"})

    again = client.post(url, data={"csrf_token": token, "useful": "1", "comments": "Changed"})

    assert "Thank you for your feedback" in again.get_data(as_text=True)
    assert answers(session) == [(booking.id, booking.clinic_id, 5, None)]


def test_the_service_refuses_a_second_answer(session, booking):
    followup.save_feedback(session, booking, useful=3, comments=None)
    session.commit()

    with pytest.raises(followup.AlreadyAnswered):
        followup.save_feedback(session, booking, useful=5, comments="again")
    session.rollback()
    assert len(answers(session)) == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "useful", "Select how useful the clinic was"),
        ({"useful": "9"}, "useful", "Select how useful the clinic was"),
        ({"useful": "abc"}, "useful", "Select how useful the clinic was"),
        (
            {"useful": "3", "comments": "x" * 1001},
            "comments",
            "Keep this to 1000 characters or fewer",
        ),
    ],
)
def test_bad_answers_are_shown_next_to_the_question(client, session, url, data, field, message):
    response = post_form(client, url, data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert f'href="#{field}"' in page  # the summary links to the question
    assert f'id="{field}-error"' in page
    assert message in page
    assert page.count(message) == 2  # in the summary and next to the question
    assert answers(session) == []


def test_a_long_answer_is_kept_when_the_score_is_missing(client, url):
    page = post_form(client, url, {"comments": "We liked the console part"}).get_data(as_text=True)
    assert "We liked the console part" in page


def test_a_form_without_its_token_saves_nothing(client, session, url):
    response = client.post(url, data={"useful": "5"})

    assert CSRF_MESSAGE in response.get_data(as_text=True)
    assert answers(session) == []


@pytest.mark.parametrize("change", ["tamper", "truncate", "manage-link", "junk"])
def test_a_bad_link_is_a_friendly_not_found(client, session, booking, url, change):
    token = url.removeprefix("/feedback/")
    bad = {
        "tamper": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "truncate": token[: len(token) // 2],
        "manage-link": manage_token(booking),  # signed, but for another purpose
        "junk": "not-a-token",
    }[change]

    for response in (client.get(f"/feedback/{bad}"), client.post(f"/feedback/{bad}")):
        assert response.status_code == 404
        assert "This feedback link does not work" in response.get_data(as_text=True)
    assert answers(session) == []


def test_a_link_is_bound_to_its_booking_not_only_its_number(client, session, booking, url):
    """A booking restored under the same id (a new uid) does not answer to the old link."""
    booking.uid = "booking-00000000-0000-0000-0000-000000000000@clinics.safer-schools"
    session.commit()

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("status", ["confirmed", "no_show", "cancelled"])
def test_only_a_booking_marked_as_attended_can_answer(client, make, session, booking, status):
    other = book(make, booking.clinic, status, slot=0)
    response = client.get(f"/feedback/{followup.feedback_token(other)}")
    assert response.status_code == 404


def test_the_link_still_works_after_anonymisation(client, session, booking, url):
    anonymise_everything(session)

    response = post_form(client, url, {"useful": "5"})

    assert response.status_code == 302
    assert answers(session) == [(booking.id, booking.clinic_id, 5, None)]


def test_a_blank_comment_is_stored_as_nothing(session, booking):
    followup.save_feedback(session, booking, useful=2, comments="")
    session.commit()
    count = select(func.count()).select_from(Feedback).where(Feedback.comments.is_(None))
    assert session.scalar(count) == 1
