"""Signed parent links: one module makes and checks every kind, and links already in
parents' inboxes (made before the links moved into ``clinic.links``) keep working."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer

from clinic import links
from clinic.models import WaitlistEntry, utcnow


def _as_sent_before(app, salt: str, payload: dict) -> str:
    """A link exactly as the earlier code signed it (its salt and payload keys)."""
    return URLSafeSerializer(app.config["SECRET_KEY"], salt=salt).dumps(payload)


@pytest.fixture
def entry(session, make, school, officer_user):
    clinic = make.clinic(school, officer_user, slots=1, capacity=1)
    entry = WaitlistEntry(
        clinic_id=clinic.id,
        parent_name="Wendy Waiting",
        email="wendy@example.net",
        email_normalised="wendy@example.net",
        consent_at=utcnow(),
        status="waiting",
        created_at=utcnow(),
    )
    session.add(entry)
    session.commit()
    return entry


def test_links_sent_before_still_open_their_records(
    app, session, make, school, officer_user, entry
):
    clinic = make.clinic(school, officer_user, slots=1)
    booking = make.booking(clinic.slots[0], status="attended")
    tag = booking.uid.partition("@")[0][-12:]
    manage = _as_sent_before(app, "parent-link:manage", {"i": booking.id, "u": tag})
    feedback = _as_sent_before(app, "feedback", {"b": booking.id, "u": tag})
    waiting = _as_sent_before(
        app,
        "parent-link:waitlist",
        {"i": entry.id, "u": f"{entry.created_at.timestamp():.6f}"},
    )

    assert links.booking_for_token(session, manage).id == booking.id
    assert links.booking_for_feedback_token(session, feedback).id == booking.id
    assert links.waitlist_entry_for_token(session, waiting).id == entry.id
    # and the links made now are the same strings
    assert links.manage_token(booking) == manage
    assert links.feedback_token(booking) == feedback
    assert links.waitlist_token(entry) == waiting


def test_a_link_opens_only_its_own_purpose(app, session, make, school, officer_user, entry):
    clinic = make.clinic(school, officer_user, slots=1)
    booking = make.booking(clinic.slots[0])
    manage = links.manage_token(booking)
    for load in (links.booking_for_feedback_token, links.waitlist_entry_for_token):
        with pytest.raises(links.InvalidLink):
            load(session, manage)
    with pytest.raises(links.InvalidLink):
        links.booking_for_token(session, links.waitlist_token(entry))


@pytest.mark.parametrize(
    "payload",
    [{"i": "1", "u": "x"}, {"i": None}, ["i", 1], "text", {"i": 2**40, "u": "x"}, {}],
)
def test_a_signed_but_odd_payload_is_not_found(app, session, payload):
    token = _as_sent_before(app, "parent-link:manage", payload)
    with pytest.raises(links.InvalidLink):
        links.booking_for_token(session, token)


def test_a_link_for_a_reused_id_does_not_open_the_new_record(
    app, session, make, school, officer_user
):
    clinic = make.clinic(school, officer_user, slots=1)
    booking = make.booking(clinic.slots[0])
    stale = _as_sent_before(app, "parent-link:manage", {"i": booking.id, "u": "000000000000"})
    with pytest.raises(links.InvalidLink):
        links.booking_for_token(session, stale)
