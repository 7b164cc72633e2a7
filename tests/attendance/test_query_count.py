"""A clinic with 1,000 bookings is read with as many queries as one with 10."""

import pytest
from sqlalchemy import update

from clinic.extensions import db
from clinic.models import Booking, WalkIn
from tests.helpers import sql_sent

from .conftest import add_bookings
from .test_list import url


def fill(session, clinic, bookings: int, prefix: str, marker) -> None:
    """Bookings (some marked by the officer) and a walk-in, like a clinic on the day."""
    add_bookings(session, clinic, bookings, prefix=prefix)
    session.execute(
        update(Booking)
        .where(Booking.clinic_id == clinic.id, Booking.id % 3 == 0)
        .values(status="attended", checked_in_by_id=marker.id, checked_in_at=db.func.now())
        .execution_options(synchronize_session=False)
    )
    session.add(WalkIn(clinic_id=clinic.id, child_years=["Year 1"], topics=["roblox"]))
    session.commit()


@pytest.mark.parametrize("suffix", ["", "/list.csv", "/check-in"])
def test_queries_do_not_grow_with_the_bookings(
    officer_client, session, clinic_on, officer_user, suffix
):
    small, large = clinic_on(0), clinic_on(0)
    fill(session, small, 10, "Small", officer_user)
    fill(session, large, 1000, "Large", officer_user)
    small_url, large_url = url(small, suffix), url(large, suffix)
    officer_client.get(small_url)  # warm up: nothing first-time is counted

    with sql_sent() as for_small:
        small_page = officer_client.get(small_url)
    with sql_sent() as for_large:
        large_page = officer_client.get(large_url)

    assert small_page.status_code == large_page.status_code == 200
    assert len(large_page.data) > len(small_page.data)
    assert len(for_large) == len(for_small), "\n\n".join(for_large)
    # the staff session, the user, the clinic, its bookings, the PDF row...: a few, never per row
    assert len(for_large) <= 9, "\n\n".join(for_large)
