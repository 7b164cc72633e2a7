"""Two people changing one clinic: the second never silently overwrites the first."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from clinic.extensions import db
from clinic.models import Clinic, User
from clinic.schedule import service
from clinic.schedule.service import ClinicDetails, SlotTimes
from tests.helpers import csrf_token

from .conftest import LONDON, date_parts, post_page


def details_of(clinic: Clinic, **changes) -> ClinicDetails:
    values = dict(
        title=clinic.title,
        description=clinic.description,
        venue=clinic.venue,
        date=clinic.date,
        booking_opens_at=clinic.booking_opens_at,
        booking_closes_at=clinic.booking_closes_at,
    )
    return ClinicDetails(**(values | changes))


def colleague_changes_venue(clinic_id: int, venue: str) -> None:
    """Another officer saves the clinic in their own session (their own request)."""
    db.session.commit()  # the test's own transaction holds SQLite's write lock
    with Session(db.engine) as other:
        clinic = other.get(Clinic, clinic_id)
        clinic.venue = venue
        other.commit()


def test_an_edit_from_an_old_page_shows_their_change_and_saves_nothing(
    officer_client, clinic, session
):
    url = f"/staff/clinics/{clinic.id}/edit"
    seen_version = clinic.version
    colleague_changes_venue(clinic.id, "Main hall")
    form = {
        "version": str(seen_version),
        "title": clinic.title,
        "venue": "Music room",
        "date": date_parts(clinic.date),
    }
    response = post_page(officer_client, url, form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Someone else changed this clinic while you were working on it" in html
    assert "Main hall" in html  # their version, shown
    assert ">Music room</textarea>" in html  # what this officer typed, kept
    session.expire_all()
    current = session.get(Clinic, clinic.id)
    assert current.venue == "Main hall"
    assert f'name="version" type="hidden" value="{current.version}"' in html

    again = post_page(officer_client, url, form | {"version": str(current.version)})
    assert again.status_code == 302  # sent again knowingly, it saves
    session.expire_all()
    assert session.get(Clinic, clinic.id).venue == "Music room"


def test_a_change_saved_between_reading_and_writing_is_caught(clinic, officer_user):
    """The posted version matched when read, but another save landed before ours was written:
    the UPDATE's version check (StaleDataError) stops it."""
    clinic_id, officer_id = clinic.id, officer_user.id
    db.session.commit()
    with Session(db.engine, expire_on_commit=False) as mine:
        ours = mine.get(Clinic, clinic_id)
        me = mine.get(User, officer_id)
        _ = ours.slots, ours.school
        mine.commit()  # (SQLite: let go of the write lock, as between two requests)
        colleague_changes_venue(clinic_id, "Main hall")
        with pytest.raises(service.StaleClinic):
            service.update_clinic(
                mine, me, ours, details_of(ours, venue="Music room"), expected_version=ours.version
            )
        mine.rollback()
    db.session.expire_all()
    assert db.session.get(Clinic, clinic_id).venue == "Main hall"


def test_a_slot_change_from_an_old_page_is_refused(officer_client, clinic, session):
    slot = clinic.slots[0]
    seen_version = clinic.version
    colleague_changes_venue(clinic.id, "Main hall")
    url = f"/staff/clinics/{clinic.id}/slots/{slot.id}/edit"
    local_start = slot.starts_at.astimezone(LONDON)
    form = {
        "version": str(seen_version),
        "start_time": f"{local_start:%H:%M}",
        "end_time": f"{local_start + timedelta(minutes=15):%H:%M}",
        "capacity": "3",
    }
    html = post_page(officer_client, url, form).get_data(as_text=True)
    assert "Someone else changed this clinic" in html
    session.expire_all()
    assert session.get(Clinic, clinic.id).slots[0].capacity == 1


def test_slot_changes_count_as_changes_to_the_clinic(clinic, session, officer_user):
    version = clinic.version
    slot = clinic.slots[0]
    local_start = slot.starts_at.astimezone(LONDON)
    times = SlotTimes(local_start.time(), (local_start + timedelta(minutes=15)).time(), 2)
    service.update_slot(session, officer_user, slot, times, expected_version=version)
    session.commit()
    assert clinic.version == version + 1
    with pytest.raises(service.StaleClinic):
        service.update_slot(session, officer_user, slot, times, expected_version=version)


def test_publishing_from_an_old_page_is_refused(
    officer_client, make, school, officer_user, session
):
    draft = make.clinic(school, officer_user, status="draft")
    url, seen_version = f"/staff/clinics/{draft.id}", draft.version
    page = officer_client.get(url)
    colleague_changes_venue(draft.id, "Main hall")
    response = officer_client.post(
        f"{url}/publish", data={"csrf_token": csrf_token(page), "version": str(seen_version)}
    )
    shown = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone else changed this clinic" in shown
    session.expire_all()
    assert session.get(Clinic, draft.id).status == "draft"
