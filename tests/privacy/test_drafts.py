"""The answers between the booking form and Confirm stay on the server: the cookie holds
only a random id; the draft goes when the booking is made, is replaced when the form is
sent again, stops working after BOOKING_DRAFT_HOURS and is deleted by the purge."""

from __future__ import annotations

import base64
import zlib
from datetime import timedelta

import sqlalchemy as sa

from clinic.models import BookingDraft, utcnow
from clinic.privacy import purge
from tests.booking.support import ANSWERS, confirm, fill_form
from tests.privacy.support import NEEDLES


def _cookie_text(client) -> str:
    """What anyone with the browser can read from the session cookie (Flask signs it;
    it does not encrypt it)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    payload = cookie.value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        raw = zlib.decompress(raw)
    return raw.decode().lower()


def _drafts(session) -> list[BookingDraft]:
    session.expire_all()
    return list(session.scalars(sa.select(BookingDraft)))


def test_the_cookie_holds_no_answers_and_the_draft_goes_when_booked(
    app, session, make, school, officer_user
):
    clinic = make.clinic(school, officer_user, slots=2, capacity=2)
    client = app.test_client()
    response = fill_form(
        client,
        clinic.slots[0].id,
        parent_name="Zebedee Quarrington",
        email="zebedee.quarrington@example.net",
        phone="020 7946 0321",
    )
    assert response.status_code == 302
    text = _cookie_text(client)
    for needle in (*NEEDLES, "example.net", ANSWERS["access_needs"].lower()):
        assert needle not in text
    (draft,) = _drafts(session)
    first_id = draft.id
    assert draft.answers["parent_name"] == "Zebedee Quarrington"
    assert first_id.lower() in _cookie_text(client)

    # Sent again (Change, then Continue): one draft, the new one.
    again = fill_form(client, clinic.slots[0].id, parent_name="Zebedee Q")
    assert again.status_code == 302
    (replaced,) = _drafts(session)
    assert replaced.id != first_id and replaced.answers["parent_name"] == "Zebedee Q"
    check = client.get(f"/book/{clinic.slots[0].id}/check")
    assert "Zebedee Q" in check.get_data(as_text=True)

    assert confirm(client, clinic.slots[0].id).status_code == 302
    assert _drafts(session) == []


def test_an_old_draft_is_not_used_and_the_purge_deletes_it(
    app, session, make, school, officer_user
):
    clinic = make.clinic(school, officer_user, slots=1, capacity=2)
    client = app.test_client()
    assert fill_form(client, clinic.slots[0].id).status_code == 302
    (draft,) = _drafts(session)
    assert draft.expires_at - draft.created_at == timedelta(hours=app.config["BOOKING_DRAFT_HOURS"])
    session.execute(sa.update(BookingDraft).values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    check = client.get(f"/book/{clinic.slots[0].id}/check")
    assert check.status_code == 302 and check.headers["Location"].endswith(
        f"/book/{clinic.slots[0].id}"
    )
    result = purge.purge(session)
    assert result.counts["booking draft"] == 1
    assert _drafts(session) == []
