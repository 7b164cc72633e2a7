"""The data ``make bench`` needs, built through the migrations and the app's own models.

Every figure has a "large" case (the issue's sizes) and, for the queries-per-page check,
a small twin: the number of queries a page makes must not grow with its data.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_migrate import upgrade

from clinic import create_app
from clinic.auth.service import hash_password
from clinic.extensions import db
from clinic.models import (
    Booking,
    Clinic,
    Partnership,
    School,
    Slot,
    User,
    normalise_email,
    officer_schools,
)
from clinic.partnership import partnership_for

from .burst import ROOT

ZONE = ZoneInfo("Europe/London")
FINDER_WORD = "benchfind"  # in the name of every school the finder search should match
PASSWORD = "bench password, not a secret"  # invented staff for a benchmark


@dataclass(frozen=True)
class Sizes:
    school_clinics: int = 10  # published clinics on the school page
    slots_per_clinic: int = 8
    finder_matches: int = 30
    other_schools: int = 200  # schools the finder search must not match
    flow_slots: int = 32  # the booking flow books into these, one per load connection
    burst_capacity: int = 10
    attendance_bookings: int = 1000
    attendance_slots: int = 40
    feed_clinics: int = 500
    # Issue 21: partnerships and schools in all (``spread``); the measured pages are the
    # first partnership's.  0 schools: the bench's own only.
    partnerships: int = 1
    schools: int = 0


QUICK = Sizes(
    school_clinics=10,
    finder_matches=30,
    other_schools=20,
    attendance_bookings=60,
    attendance_slots=6,
    feed_clinics=40,
)


@dataclass(frozen=True)
class Seeded:
    school_slug: str
    small_school_slug: str  # one clinic
    finder_query: str
    small_finder_query: str  # one match
    flow_slot_ids: tuple[int, ...]
    burst_slot_id: int
    attendance_clinic_id: int
    small_attendance_clinic_id: int  # a handful of bookings
    officer_email: str
    officer_password: str
    feed_officer_id: int
    feed_token: str
    small_feed_token: str  # an officer with one clinic
    coordinator_email: str  # the measured partnership's coordinator (staff dashboard)
    small_officer_email: str  # an officer with one clinic (the dashboard's small twin)

    def as_dict(self) -> dict:
        return asdict(self)


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZONE).astimezone(UTC)


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class _Maker:
    def __init__(self):
        self.n = 0
        self.now = datetime.now(UTC)
        self.password_hash = hash_password(PASSWORD)
        self.partnership = partnership_for(db.session, None)  # the measured one

    def school(self, name: str, town: str = "Benchton") -> School:
        self.n += 1
        school = School(
            partnership=self.partnership,
            name=name,
            urn=f"{700000 + self.n:06d}",
            address=f"{self.n} Bench Lane",
            town=town,
            postcode=f"BE{self.n % 90 + 1} {self.n % 9}AB",
            slug=f"{name.lower().replace(' ', '-')}-{self.n}",
            contact_email=f"office{self.n}@school.bench.example.org",
        )
        db.session.add(school)
        return school

    def officer(self, name: str, schools: list[School]) -> User:
        self.n += 1
        user = User(
            email=f"officer{self.n}@bench.example.org",
            name=name,
            role="officer",
            password_hash=self.password_hash,
            active=True,
            partnership=self.partnership,
        )
        user.schools = schools
        db.session.add(user)
        return user

    def coordinator(self, name: str) -> User:
        self.n += 1
        user = User(
            email=f"coordinator{self.n}@bench.example.org",
            name=name,
            role="admin",
            password_hash=self.password_hash,
            active=True,
            partnership=self.partnership,
        )
        db.session.add(user)
        return user

    def clinic(
        self,
        school: School,
        officer: User,
        day: date,
        *,
        slots: int,
        capacity: int,
        minutes: int = 15,
        start: time = time(15, 0),
    ) -> Clinic:
        first = _local(day, start)
        clinic = Clinic(
            school=school,
            officer=officer,
            title="Parental controls clinic",
            description="Bring your child's phone, tablet or console and the passwords.",
            venue="School library. Sign in at the main office.",
            date=day,
            status="published",
            booking_opens_at=self.now - timedelta(days=1),
            booking_closes_at=first - timedelta(hours=2),
        )
        for i in range(slots):
            begins = first + timedelta(minutes=minutes * i)
            ends = begins + timedelta(minutes=minutes)
            clinic.slots.append(Slot(starts_at=begins, ends_at=ends, capacity=capacity))
        db.session.add(clinic)
        return clinic

    def bookings(self, clinic: Clinic, count: int) -> None:
        db.session.flush()
        for i in range(count):
            slot = clinic.slots[i % len(clinic.slots)]
            slot.booked += 1
            email = f"parent{clinic.id}-{i}@bench.example.net"
            db.session.add(
                Booking(
                    reference=f"B{clinic.id:04d}{i:05d}"[:12],
                    clinic_id=clinic.id,
                    slot_id=slot.id,
                    parent_name=f"Parent {i:04d} Bench",
                    email=email,
                    email_normalised=normalise_email(email),
                    phone="+447700900123" if i % 3 else "+33612345678",
                    child_years=["Year 3", "Year 5"],
                    topics=["roblox", "tiktok", "iphone-ipad"],
                    access_needs="Step-free access" if i % 10 == 0 else None,
                    consent_at=self.now,
                    consent_version="bench",
                )
            )


def seed(database_url: str, sizes: Sizes) -> Seeded:
    """Migrate an empty database and fill it; returns what the load scripts need."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_SEND_MODE": "off"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        make = _Maker()
        today = datetime.now(ZONE).date()
        soon = [_weekday(today + timedelta(days=7 + 7 * week)) for week in range(60)]

        # The school page: published clinics, each with its slots, some places taken.
        school = make.school("Bench Primary School")
        small_school = make.school("Small Bench Primary School")
        officer = make.officer("PC Bench", [school, small_school])
        for week in range(sizes.school_clinics):
            make.clinic(school, officer, soon[week], slots=sizes.slots_per_clinic, capacity=2)
        make.clinic(small_school, officer, soon[0], slots=sizes.slots_per_clinic, capacity=2)

        # The finder: schools that match the search (half with a clinic coming), and others.
        for i in range(sizes.finder_matches):
            found = make.school(f"{FINDER_WORD.title()} Primary {i:02d}")
            if i % 2 == 0:
                make.clinic(found, officer, soon[i % 8], slots=2, capacity=2)
        make.school("Onlyone Benchsolo Academy")
        for i in range(sizes.other_schools):
            make.school(f"Elsewhere School {i:03d}", town="Othertown")

        # The booking flow (no contention: one slot per load connection) and the burst.
        flow_school = make.school("Flow Bench School")
        flow_officer = make.officer("PC Flow", [flow_school])
        flow = make.clinic(
            flow_school, flow_officer, soon[1], slots=sizes.flow_slots, capacity=100_000
        )
        burst = make.clinic(
            flow_school, flow_officer, soon[2], slots=1, capacity=sizes.burst_capacity
        )

        # The attendance list: one clinic with many bookings, one with a few.
        attendance_school = make.school("Attendance Bench School")
        officer.schools.append(attendance_school)
        attendance = make.clinic(
            attendance_school,
            officer,
            soon[3],
            slots=sizes.attendance_slots,
            capacity=-(-sizes.attendance_bookings // sizes.attendance_slots),
            minutes=10,
        )
        make.bookings(attendance, sizes.attendance_bookings)
        small_attendance = make.clinic(attendance_school, officer, soon[4], slots=2, capacity=5)
        make.bookings(small_attendance, 5)

        # The officer feed: many clinics over the coming year and a half, one slot each.
        feed_schools = [make.school(f"Feed Bench School {i:02d}") for i in range(20)]
        feed_officer = make.officer("PC Feed", feed_schools)
        feed_officer.calendar_token = secrets.token_urlsafe(32)
        for i in range(sizes.feed_clinics):
            day = today + timedelta(days=1 + i * 540 // sizes.feed_clinics)
            make.clinic(feed_schools[i % 20], feed_officer, day, slots=1, capacity=8, minutes=90)
        lone = make.school("Feed Lone School")
        lone_officer = make.officer("PC Lone", [lone])
        lone_officer.calendar_token = secrets.token_urlsafe(32)
        make.clinic(lone, lone_officer, soon[0], slots=1, capacity=8)
        coordinator = make.coordinator("Bench Coordinator")

        db.session.flush()
        spread(db.session, sizes, make.partnership.id, make.password_hash, soon)
        db.session.commit()
        seeded = Seeded(
            school_slug=school.slug,
            small_school_slug=small_school.slug,
            finder_query=FINDER_WORD,
            small_finder_query="benchsolo",
            flow_slot_ids=tuple(slot.id for slot in flow.slots),
            burst_slot_id=burst.slots[0].id,
            attendance_clinic_id=attendance.id,
            small_attendance_clinic_id=small_attendance.id,
            officer_email=officer.email,
            officer_password=PASSWORD,
            feed_officer_id=feed_officer.id,
            feed_token=feed_officer.calendar_token,
            small_feed_token=lone_officer.calendar_token,
            coordinator_email=coordinator.email,
            small_officer_email=lone_officer.email,
        )
        db.engine.dispose()
    return seeded


# --- many partnerships (issue 21) ---------------------------------------------------------

PLACES = (
    "Ashcombe",
    "Brackley",
    "Carrow",
    "Dunmere",
    "Eastleigh",
    "Farnworth",
    "Greyfield",
    "Holbrook",
    "Ingleby",
    "Kelvedon",
    "Langport",
    "Marston",
    "Northam",
    "Oakridge",
    "Penrith",
    "Radstock",
    "Selby",
    "Thornbury",
    "Upton",
    "Wexcombe",
)  # invented or common English place names: none holds a finder word of the bench
KINDS = (
    "Primary School",
    "Infant School",
    "Junior School",
    "CofE Primary School",
    "Academy",
    "High School",
    "Community College",
    "St Mary's Catholic Primary School",
)
OFFICERS_PER_PARTNERSHIP = 4  # each covers a quarter of its partnership's schools
CLINICS_PER_PARTNERSHIP = 12  # at a few of its schools, over the coming weeks
BOOKINGS_PER_CLINIC = 5


def school_shares(sizes: Sizes) -> list[int]:
    """How many schools each partnership holds: ``sizes.schools`` spread evenly (the first
    partnership, whose pages are measured, at least its own bench schools)."""
    count = max(sizes.partnerships, 1)
    share, extra = divmod(sizes.schools, count)
    return [share + (1 if k < extra else 0) for k in range(count)]


def _insert(connection, model, rows: list[dict]) -> list[int]:
    """One executemany INSERT of ``rows`` (Core, no ORM objects); the new ids, in order."""
    if not rows:
        return []
    table = model.__table__ if hasattr(model, "__table__") else model
    if "id" not in table.c:
        connection.execute(table.insert(), rows)
        return []
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars())


def spread(session, sizes: Sizes, first_id: int, password_hash: str, soon: list[date]) -> None:
    """Fill the installation out to ``sizes.partnerships`` partnerships and
    ``sizes.schools`` schools in all, in bulk: the measured partnership (``first_id``)
    gets filler schools up to its share; every other one its share of schools, a
    coordinator, officers covering its schools, and a few published clinics with slots
    and bookings.  Nothing here is on the measured pages, except through the queries
    that must not read it."""
    shares = school_shares(sizes)
    connection = session.connection()
    now = datetime.now(UTC)
    own = session.scalar(
        db.select(db.func.count(School.id)).where(School.partnership_id == first_id)
    )
    partnership_ids = [first_id] + _insert(
        connection,
        Partnership,
        [
            {
                "name": f"{PLACES[k % len(PLACES)]} Safeguarding Children Partnership {k:02d}",
                "slug": f"bench-partnership-{k:02d}",
                "data_controller": f"{PLACES[k % len(PLACES)]} Council {k:02d}",
                "created_at": now,
            }
            for k in range(1, len(shares))
        ],
    )
    schools, urn = [], 400000  # clear of the bench's own (700001 on) and the tests' (100001 on)
    for k, (partnership_id, share) in enumerate(zip(partnership_ids, shares, strict=True)):
        for j in range(share - own if k == 0 else share):
            place = PLACES[(k * 7 + j) % len(PLACES)]
            urn += 1
            schools.append(
                {
                    "partnership_id": partnership_id,
                    "name": f"{place} {KINDS[j % len(KINDS)]} {j + 1}",
                    "urn": f"{urn:06d}",
                    "address": f"{j + 1} School Road",
                    "town": place,
                    "postcode": f"ZZ{k % 99 + 1} {j % 10}{chr(65 + j % 26)}{chr(65 + k % 26)}",
                    "slug": f"p{k:02d}-school-{j + 1}",
                    "contact_email": f"office{urn}@school.bench.example.org",
                    "created_at": now,
                }
            )
    school_ids = _insert(connection, School, schools)
    by_partnership: dict[int, list[int]] = {}
    for row, school_id in zip(schools, school_ids, strict=True):
        by_partnership.setdefault(row["partnership_id"], []).append(school_id)

    # Every other partnership: its staff, and clinics at a few of its schools.
    others = partnership_ids[1:]
    team = 1 + OFFICERS_PER_PARTNERSHIP  # a coordinator, then its officers
    staff = [
        {
            "role": "officer" if i else "admin",
            "email": f"officer{k:02d}-{i}@bench.example.org"
            if i
            else f"coordinator{k:02d}@bench.example.org",
            "name": f"PC Officer {k:02d}-{i}" if i else f"Coordinator {k:02d}",
            "partnership_id": pid,
            "password_hash": password_hash,
            "active": True,
            "created_at": now,
        }
        for k, pid in enumerate(others, 1)
        for i in range(team)
    ]
    staff_ids = _insert(connection, User, staff)
    covers, clinics, officer_of = [], [], {}
    for pid, first in zip(others, range(0, len(staff_ids), team), strict=True):
        officers = staff_ids[first + 1 : first + 1 + OFFICERS_PER_PARTNERSHIP]
        own_schools = by_partnership.get(pid, [])
        for j, school_id in enumerate(own_schools):
            officer = officers[j % len(officers)]
            covers.append({"user_id": officer, "school_id": school_id})
            officer_of[school_id] = officer
        for c, school_id in enumerate(own_schools[:: max(len(own_schools) // 6, 1)][:6]):
            for week in range(CLINICS_PER_PARTNERSHIP // 6):
                day = soon[(c + week * 3) % len(soon)]
                first_at = _local(day, time(15, 0))
                clinics.append(
                    {
                        "school_id": school_id,
                        "officer_id": officer_of[school_id],
                        "title": "Parental controls clinic",
                        "description": "Bring your child's devices and the passwords.",
                        "venue": "School hall",
                        "date": day,
                        "status": "published",
                        "booking_opens_at": now - timedelta(days=1),
                        "booking_closes_at": first_at - timedelta(hours=2),
                        "uid": f"clinic-bench-{pid}-{school_id}-{week}@clinics.safer-schools",
                        "created_at": now,
                        "updated_at": now,
                        "first_at": first_at,
                    }
                )
    _insert(connection, officer_schools, covers)
    starts = [row.pop("first_at") for row in clinics]
    clinic_ids = _insert(connection, Clinic, clinics)
    slots = [
        {
            "clinic_id": clinic_id,
            "starts_at": first_at + timedelta(minutes=15 * i),
            "ends_at": first_at + timedelta(minutes=15 * (i + 1)),
            "capacity": 2,
            "booked": 1 if i < BOOKINGS_PER_CLINIC else 0,
        }
        for clinic_id, first_at in zip(clinic_ids, starts, strict=True)
        for i in range(8)
    ]
    slot_ids = _insert(connection, Slot, slots)
    bookings = []
    for row, slot_id in zip(slots, slot_ids, strict=True):
        if row["booked"]:
            n = len(bookings)
            email = f"family{n}@bench.example.net"
            bookings.append(
                {
                    "reference": f"S{n:07d}",
                    "clinic_id": row["clinic_id"],
                    "slot_id": slot_id,
                    "parent_name": f"Parent {n:05d} Spread",
                    "email": email,
                    "email_normalised": normalise_email(email),
                    "child_years": ["Year 4"],
                    "topics": ["roblox"],
                    "consent_at": now,
                    "consent_version": "bench",
                    "uid": f"booking-bench-{n}@clinics.safer-schools",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    _insert(connection, Booking, bookings)


def capacity_problems(database_url: str) -> list[str]:
    """Every slot that holds more than its capacity, or whose count disagrees with its
    live bookings (rule 1); empty when all is well."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_SEND_MODE": "off"})
    with app.app_context():
        rows = db.session.execute(
            db.select(
                Slot.id,
                Slot.capacity,
                Slot.booked,
                db.select(db.func.count(Booking.id))
                .where(Booking.slot_id == Slot.id, Booking.status != "cancelled")
                .scalar_subquery(),
            )
        ).all()
        db.session.rollback()
        db.engine.dispose()
    problems = []
    for slot_id, capacity, booked, live in rows:
        if booked > capacity or live > capacity:
            problems.append(f"slot {slot_id}: capacity {capacity}, booked {booked}, {live} live")
        elif booked != live:
            problems.append(f"slot {slot_id}: booked {booked} but {live} live bookings")
    return problems


def live_bookings(database_url: str, slot_id: int) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_SEND_MODE": "off"})
    with app.app_context():
        count = db.session.scalar(
            db.select(db.func.count(Booking.id)).where(
                Booking.slot_id == slot_id, Booking.status != "cancelled"
            )
        )
        db.session.rollback()
        db.engine.dispose()
    return count
