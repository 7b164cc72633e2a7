"""Creating a clinic: preview, save as a draft, the presets, bad input, copying."""

import html as html_lib
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from clinic.models import Clinic, Slot
from clinic.schedule import service
from clinic.schedule.service import ClinicDetails
from clinic.schedule.slots import SlotPattern

from .conftest import (
    LONDON,
    actions,
    date_parts,
    field_error,
    future_day,
    new_clinic_form,
    post_page,
)

NEW = "/staff/clinics/new"


def clinic_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Clinic))


def test_create_page_offers_the_defaults(officer_client, school):
    html = officer_client.get(NEW).get_data(as_text=True)
    assert 'value="Parental controls clinic"' in html
    assert "One-to-one appointments" in html and "A group session" in html
    assert "15 minutes each, one household per appointment" in html
    assert "Preview slots" in html and "Save as draft" in html
    assert f'<option value="{school.id}" selected>' in html  # their only school


def test_preview_lists_the_slots_and_saves_nothing(officer_client, school, session):
    day = future_day()
    response = post_page(officer_client, NEW, new_clinic_form(school.id, day, preview="y"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 slots, 4 places" in html
    for shown in ("3:15pm to 3:30pm", "3:30pm to 3:45pm", "3:45pm to 4pm", "4pm to 4:15pm"):
        assert shown in html
    assert 'formaction="/staff/clinics/new#slot-preview"' in html
    assert 'value="3:15pm"' in html  # the answers are kept
    assert clinic_count(session) == 0


def test_save_as_draft_makes_a_draft_with_its_slots(officer_client, school, session, officer_user):
    day = future_day()
    response = post_page(officer_client, NEW, new_clinic_form(school.id, day))
    assert response.status_code == 302
    clinic = session.scalars(select(Clinic)).one()
    assert response.headers["Location"].endswith(f"/staff/clinics/{clinic.id}")
    assert (clinic.status, clinic.officer_id, clinic.school_id) == (
        "draft",
        officer_user.id,
        school.id,
    )
    assert clinic.title == "Parental controls clinic" and clinic.venue == "School library"
    starts = [slot.starts_at.astimezone(LONDON).time() for slot in clinic.slots]
    assert starts == [time(15, 15), time(15, 30), time(15, 45), time(16, 0)]
    assert {slot.capacity for slot in clinic.slots} == {1}
    # Booking: from now until 24 hours before the first slot.
    assert clinic.booking_closes_at == clinic.slots[0].starts_at - timedelta(hours=24)
    assert abs(clinic.booking_opens_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert actions(session) == ["clinic.create"]
    page = officer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Draft saved with 4 slots" in page
    assert "Parents cannot see this clinic until it is published" in page


def test_group_preset_is_one_slot_for_twenty(officer_client, school, session):
    form = new_clinic_form(school.id, format="group", start_time="6pm", end_time="7pm")
    assert post_page(officer_client, NEW, form).status_code == 302
    slot = session.scalars(select(Slot)).one()
    assert slot.capacity == 20
    assert slot.ends_at - slot.starts_at == timedelta(hours=1)


def test_custom_pattern_uses_the_officers_numbers(officer_client, school, session):
    form = new_clinic_form(
        school.id,
        format="custom",
        start_time="15:00",
        end_time="17:00",
        length="25",
        gap="5",
        capacity="2",
    )
    assert post_page(officer_client, NEW, form).status_code == 302
    slots = session.scalars(select(Slot).order_by(Slot.starts_at)).all()
    assert len(slots) == 4 and {s.capacity for s in slots} == {2}
    assert slots[1].starts_at - slots[0].starts_at == timedelta(minutes=30)


@pytest.mark.parametrize("format_", ["one_to_one", "group"])
def test_a_preset_ignores_the_own_numbers_whatever_they_say(
    officer_client, school, session, format_
):
    """Without JavaScript the own-number boxes are on the page under every choice; only
    "custom" reads them, so a preset saves its own numbers even when they are nonsense."""
    form = new_clinic_form(school.id, format=format_, length="lots", gap="-1", capacity="900")
    assert post_page(officer_client, NEW, form).status_code == 302
    slots = session.scalars(select(Slot).order_by(Slot.starts_at)).all()
    if format_ == "one_to_one":
        assert [s.ends_at - s.starts_at for s in slots] == [timedelta(minutes=15)] * 4
        assert {s.capacity for s in slots} == {1}
    else:
        assert len(slots) == 1 and slots[0].capacity == 20


def test_the_own_numbers_are_revealed_under_custom_only(officer_client, school):
    html = officer_client.get(NEW).get_data(as_text=True)
    # GOV.UK conditional reveal: the boxes sit inside the "custom" radio's hidden panel.
    assert 'data-aria-controls="conditional-format-3"' in html
    panel = html[html.index('id="conditional-format-3"') :]
    panel = panel[: panel.index("</fieldset>")]
    assert 'class="govuk-radios__conditional govuk-radios__conditional--hidden"' in html
    for name in ("length", "gap", "capacity"):
        assert f'name="{name}"' in panel


def test_the_booking_window_can_be_set(officer_client, school, session):
    day = future_day()
    opens = day - timedelta(days=10)
    form = new_clinic_form(
        school.id,
        day,
        booking_opens_date=date_parts(opens),
        booking_opens_time="9am",
        booking_closes_date=date_parts(day),
        booking_closes_time="noon",
    )
    assert post_page(officer_client, NEW, form).status_code == 302
    clinic = session.scalars(select(Clinic)).one()
    assert clinic.booking_opens_at.astimezone(LONDON).replace(tzinfo=None) == datetime(
        opens.year, opens.month, opens.day, 9
    )
    assert clinic.booking_closes_at.astimezone(LONDON).time() == time(12)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date": date_parts(future_day(-2))}, "date", "must be today or in the future"),
        ({"date": ["31", "2", "2027"]}, "date", "must be a real date"),
        ({"date": ["", "", ""]}, "date", "Enter the date of the clinic"),
        ({"end_time": "3pm"}, "end_time", "end time must be after the start time"),
        ({"start_time": "25:00"}, "start_time", "Enter a time like 3:30pm or 15:30"),
        (
            {"format": "custom", "length": "90"},
            "length",
            "Each slot is longer than the clinic (60 minutes from start to end)",
        ),
        ({"format": "custom", "capacity": "0"}, "capacity", "between 1 and 50"),
        ({"format": "custom", "capacity": "500"}, "capacity", "between 1 and 50"),
        ({"format": "custom", "capacity": "lots"}, "capacity", "Enter the number of households"),
        (
            {"format": "custom", "start_time": "8am", "end_time": "6pm", "length": "5"},
            "length",
            "a clinic can have up to 60",
        ),
        (
            {
                "booking_closes_date": date_parts(future_day() + timedelta(days=1)),
                "booking_closes_time": "9am",
            },
            "booking_closes_date",
            "Booking must close before the clinic starts",
        ),
        ({"booking_closes_time": "9am"}, "booking_closes_date", "Enter the date as well"),
        (
            {
                "booking_opens_date": date_parts(future_day(20)),
                "booking_opens_time": "9am",
                "booking_closes_date": date_parts(future_day(10)),
                "booking_closes_time": "9am",
            },
            "booking_closes_date",
            "Booking must close after it opens",
        ),
        ({"venue": "  "}, "venue", "Enter where in the school the clinic is"),
    ],
)
def test_bad_input_gets_a_message_by_the_field_and_saves_nothing(
    officer_client, school, session, changes, field, message
):
    response = post_page(officer_client, NEW, new_clinic_form(school.id, future_day(30), **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_error(html, field)
    assert "There is a problem" in html and "<title>Error:" in html
    assert clinic_count(session) == 0


def test_bad_input_in_the_preview_is_shown_too(officer_client, school, session):
    form = new_clinic_form(school.id, end_time="2pm", preview="y")
    form.pop("submit")
    html = post_page(officer_client, NEW, form).get_data(as_text=True)
    assert "end time must be after" in field_error(html, "end_time")
    assert 'id="slot-preview"' not in html


def test_a_school_the_officer_does_not_cover_is_not_found(officer_client, other_school, session):
    assert officer_client.get(f"{NEW}?school={other_school.id}").status_code == 404
    response = post_page(officer_client, NEW, new_clinic_form(other_school.id))
    assert response.status_code == 404
    assert clinic_count(session) == 0


def test_school_staff_and_admins_cannot_create(school_client, admin_client):
    assert school_client.get(NEW).status_code == 404
    assert admin_client.get(NEW).status_code == 404


def test_overlapping_clinic_warns_then_saves_when_told(
    officer_client, school, other_school, make, officer_user, session
):
    officer_user.schools.append(other_school)
    session.commit()
    day = future_day()
    first = post_page(officer_client, NEW, new_clinic_form(school.id, day))
    assert first.status_code == 302
    overlapping = new_clinic_form(other_school.id, day, start_time="4pm", end_time="5pm")

    warned = post_page(officer_client, NEW, overlapping)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "You already have a clinic at this time" in field_error(html, "date")
    assert "Save it anyway: I can run both" in html
    assert clinic_count(session) == 1

    saved = post_page(officer_client, NEW, overlapping | {"allow_overlap": "y"})
    assert saved.status_code == 302
    assert clinic_count(session) == 2


def test_a_colleagues_clinic_at_the_same_time_is_no_overlap(make, school, officer_user, session):
    colleague = make.user(role="officer", schools=[school])
    make.clinic(school, colleague)
    day = future_day(14)
    service.create_clinic(
        session,
        officer_user,
        school=school,
        details=ClinicDetails("Clinic", "", "Hall", day),
        pattern=SlotPattern(time(15), time(16), 15, 0, 1),
    )


# --- copying --------------------------------------------------------------------------------


def test_copy_to_another_date_keeps_details_and_slot_times(officer_client, clinic, session, school):
    new_day = future_day(40)
    url = f"/staff/clinics/{clinic.id}/copy"
    page = officer_client.get(url).get_data(as_text=True)
    assert "same title, description, place and slots" in page
    response = post_page(officer_client, url, {"date": date_parts(new_day)})
    assert response.status_code == 302
    copy = session.scalars(select(Clinic).where(Clinic.id != clinic.id)).one()
    assert (copy.status, copy.date, copy.title, copy.venue) == (
        "draft",
        new_day,
        clinic.title,
        clinic.venue,
    )
    assert copy.uid != clinic.uid
    wall = [(s.starts_at.astimezone(LONDON).time(), s.capacity) for s in copy.slots]
    assert wall == [(s.starts_at.astimezone(LONDON).time(), s.capacity) for s in clinic.slots]
    assert {s.booked for s in copy.slots} == {0}
    assert "clinic.copy" in actions(session)


def test_copy_to_a_past_date_is_refused(officer_client, clinic, session):
    url = f"/staff/clinics/{clinic.id}/copy"
    response = post_page(officer_client, url, {"date": date_parts(future_day(-1))})
    assert "must be today or in the future" in field_error(response.get_data(as_text=True), "date")
    assert clinic_count(session) == 1


# --- weekends and bank holidays ---------------------------------------------------------------

NOVEMBER = datetime(2026, 11, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 12, 25), "Friday 25 December 2026 is a bank holiday (Christmas Day)"),
        (
            date(2026, 12, 28),
            "Monday 28 December 2026 is a bank holiday (the substitute day for Boxing Day)",
        ),
        (date(2026, 12, 26), "Saturday 26 December 2026 is a bank holiday (Boxing Day)"),
        (date(2026, 12, 6), "Sunday 6 December 2026 is a Sunday"),
        (date(2027, 3, 29), "Monday 29 March 2027 is a bank holiday (Easter Monday)"),
    ],
)
def test_a_clinic_on_a_closed_day_warns_then_saves_when_told(
    session, school, officer_user, day, reason
):
    def create(**options):
        return service.create_clinic(
            session,
            officer_user,
            school=school,
            details=ClinicDetails("Clinic", "", "Hall", day),
            pattern=SlotPattern(time(15), time(16), 15, 0, 1),
            now=NOVEMBER,
            **options,
        )

    with pytest.raises(service.ClosedDayWarning) as warned:
        create()
    assert warned.value.field == "date"
    assert str(warned.value).startswith(reason + ", when schools are usually closed")
    assert clinic_count(session) == 0
    assert create(allow_closed_day=True).date == day


@pytest.mark.parametrize("day", [date(2026, 12, 24), date(2026, 12, 29), date(2027, 3, 30)])
def test_a_working_day_next_to_a_holiday_does_not_warn(session, school, officer_user, day):
    clinic = service.create_clinic(
        session,
        officer_user,
        school=school,
        details=ClinicDetails("Clinic", "", "Hall", day),
        pattern=SlotPattern(time(15), time(16), 15, 0, 1),
        now=NOVEMBER,
    )
    assert clinic.date == day


def test_the_create_page_warns_about_a_bank_holiday_with_save_anyway(
    officer_client, school, session
):
    christmas = date(date.today().year + 1, 12, 25)
    form = new_clinic_form(school.id, christmas)
    warned = post_page(officer_client, NEW, form)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "is a bank holiday (Christmas Day)" in field_error(html, "date")
    assert "Save it anyway: the school is open that day" in html
    assert clinic_count(session) == 0
    saved = post_page(officer_client, NEW, form | {"allow_closed_day": "y"})
    assert saved.status_code == 302
    assert clinic_count(session) == 1


def _next_day(keep) -> date:
    """The first day from next week on (the clinic is still in the future) that ``keep`` takes."""
    day = date.today() + timedelta(days=7)
    while not keep(day):
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("bank holiday on a weekday", "Only if the school really is open on {holiday}"),
        ("bank holiday on a Saturday", "Only if the school really is open on {holiday}"),
        ("Saturday", "For example, a school open on a Saturday for a family event."),
    ],
)
def test_save_anyway_is_right_after_the_date_and_names_the_reason(
    officer_client, school, session, kind, hint
):
    """At 320 px the box was about 2,700 px below its warning, and on Christmas Day its
    hint talked about Saturdays: it now follows the date's error, worded from the reason."""
    from clinic.workdays import bank_holiday

    day = _next_day(
        {
            "bank holiday on a weekday": lambda d: bank_holiday(d) and d.weekday() < 5,
            "bank holiday on a Saturday": lambda d: bank_holiday(d) and d.weekday() == 5,
            "Saturday": lambda d: not bank_holiday(d) and d.weekday() == 5,
        }[kind]
    )
    holiday = (bank_holiday(day) or "").replace(" (observed)", "")
    html = post_page(officer_client, NEW, new_clinic_form(school.id, day)).get_data(as_text=True)
    assert "when schools are usually closed" in field_error(html, "date")
    error = html.index('id="date-error"')
    box = html.index('id="allow_closed_day-hint"')  # the hint, then the box
    assert error < box < html.index('name="allow_closed_day"') < html.index('name="start_time"')
    shown = html_lib.unescape(re.sub(r"\s+", " ", html[box : html.index('name="start_time"')]))
    assert hint.format(holiday=holiday) in shown
    assert ("Saturday" in shown) == (kind == "Saturday")
    assert clinic_count(session) == 0
    for url in ("edit", "copy"):  # the edit and copy pages: the same place after the date
        page = "schedule/edit_clinic.html" if url == "edit" else "schedule/copy_clinic.html"
        source = officer_client.application.jinja_env.loader.get_source(
            officer_client.application.jinja_env, page
        )[0]
        assert (
            source.index("form.date(")
            < source.index("_closed_day.html")
            < source.index("_window.html")
        )


def test_the_closed_day_hint_follows_the_reason():
    assert service.closed_day_hint(date(2026, 12, 25)).startswith(
        "Only if the school really is open on Christmas Day"
    )
    saturday_christmas = service.closed_day_hint(date(2027, 12, 25))
    assert "Christmas Day" in saturday_christmas and "Saturday" not in saturday_christmas
    assert "substitute day for Boxing Day" in service.closed_day_hint(date(2026, 12, 28))
    assert "a Sunday" in service.closed_day_hint(date(2026, 12, 6))


def test_copying_or_moving_onto_a_weekend_warns(officer_client, clinic, session):
    saturday = future_day(40)
    saturday += timedelta(days=5 - saturday.weekday())
    for url, form in (
        (f"/staff/clinics/{clinic.id}/copy", {"date": date_parts(saturday)}),
        (
            f"/staff/clinics/{clinic.id}/edit",
            {
                "version": str(clinic.version),
                "title": clinic.title,
                "venue": clinic.venue,
                "date": date_parts(saturday),
            },
        ),
    ):
        html = post_page(officer_client, url, form).get_data(as_text=True)
        assert "is a Saturday, when schools are usually closed" in field_error(html, "date")
        assert "Save it anyway: the school is open that day" in html
        # (the copy made first is then at the same time: the overlap is said yes to too)
        saved = post_page(
            officer_client, url, form | {"allow_closed_day": "y", "allow_overlap": "y"}
        )
        assert saved.status_code == 302, re.findall(r"govuk-error-message.*?</p>", saved.text, re.S)
    session.expire_all()
    assert session.get(Clinic, clinic.id).date == saturday


# --- the booking window: the hint, the rule and the school page agree ------------------------


def test_the_hint_says_the_rule_of_the_default_booking_window(officer_client, school):
    html = officer_client.get(NEW).get_data(as_text=True)
    assert "closes 24 hours before the first slot" in html
    assert "less than 24 hours before it starts can be booked until it starts" in html
    assert service.CLOSE_BEFORE_START == timedelta(hours=24)


@pytest.mark.parametrize(
    ("hours_ahead", "closes_before_start", "school_page_says"),
    [
        (72, timedelta(hours=24), "You can book until {closes}."),
        (30, timedelta(hours=24), "You can book until {closes}."),
        (10, timedelta(0), "You can book until the clinic starts."),
    ],
)
def test_a_default_window_closes_as_the_hint_says_and_the_school_page_shows_it(
    client, session, school, officer_user, hours_ahead, closes_before_start, school_page_says
):
    from clinic.filters import format_datetime

    now = datetime.now(UTC)
    start = (now + timedelta(hours=hours_ahead)).astimezone(LONDON).replace(second=0, microsecond=0)
    if start.hour == 23 and start.minute >= 45:
        pytest.skip("a 15-minute slot would cross midnight at this time of day")
    clinic = service.create_clinic(
        session,
        officer_user,
        school=school,
        details=ClinicDetails("Clinic", "", "Hall", start.date()),
        pattern=SlotPattern(start.time(), (start + timedelta(minutes=15)).time(), 15, 0, 1),
        allow_closed_day=True,
        now=now,
    )
    service.publish_clinic(session, officer_user, clinic, expected_version=clinic.version)
    session.commit()
    first = clinic.slots[0].starts_at
    assert clinic.booking_closes_at == first - closes_before_start

    html = client.get(f"/schools/{school.slug}").get_data(as_text=True)
    expected = school_page_says.format(closes=format_datetime(clinic.booking_closes_at))
    assert expected in html
    assert "Book<span" in html  # and it is open now, as the page says
