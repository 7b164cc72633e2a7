"""`flask demo seed`: invented schools, staff, clinics and bookings for trying the service."""

from __future__ import annotations

import json
import random
import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .auth import mfa
from .auth.mfa_models import SecondFactor
from .auth.service import hash_password
from .extensions import db
from .followup.service import seed_guidance
from .localtime import clinic_zone
from .models import Booking, Clinic, Feedback, School, Slot, User, WalkIn, normalise_email
from .partnership import encrypt_secret, partnership_for
from .workdays import working_day_on_or_after

demo_cli = AppGroup("demo", help="Demo data for trying the service.")

SCHOOLS = [
    ("Oakfield Primary School", "900001", "12 Acorn Road", "Exampleton", "EX1 4AB"),
    ("St Brigid's Catholic Primary", "900002", "3 Chapel Lane", "Exampleton", "EX2 7CD"),
    ("Riverside Academy", "900003", "Riverside Walk", "Sampleford", "SF3 9EF"),
]
# Role, name, email, and the schools (indexes into SCHOOLS) an officer covers or school
# staff work at (exactly one: the database's rule); a coordinator has none.
STAFF: list[tuple[str, str, str, list[int]]] = [
    ("admin", "Casey Coordinator", "coordinator@example.org", []),
    ("officer", "PC Jordan Ellis", "jordan.ellis@example.org", [0, 1]),
    ("officer", "PC Morgan Reyes", "morgan.reyes@example.org", [2]),
    ("school", "Robin Office", "office@oakfield.example.org", [0]),
    # the service owner: makes partnerships and their coordinators, sees no family's data
    ("owner", "Sam Service Owner", "service.owner@example.org", []),
]
PARENTS = [
    ("Alex Example", "alex.example@example.net", ["Year 3"], ["iphone-ipad", "roblox"]),
    ("Sam Sample", "sam.sample@example.net", ["Year 5", "Year 1"], ["android", "youtube"]),
    ("Jamie Test", "jamie.test@example.net", ["Year 6"], ["discord", "random-chat"]),
    ("Zofia Przykład", "zofia.przyklad@example.net", ["Year 4"], ["tiktok", "roblox"]),
    ("Layla Mithal", "layla.mithal@example.net", ["Year 2"], ["iphone-ipad", "youtube"]),
    ("Rhys Enghraifft", "rhys.enghraifft@example.net", ["Year 5"], ["consoles"]),
    ("Ayesha Misal", "ayesha.misal@example.net", ["Year 1", "Year 6"], ["android", "whatsapp"]),
]
# The language each demo parent chose (their emails are in it), and the one who asked for
# an interpreter (the officer's dashboard and clinic page show it, not yet arranged).
PARENT_LANGUAGES = {
    "zofia.przyklad@example.net": "pl",
    "layla.mithal@example.net": "ar",
    "rhys.enghraifft@example.net": "cy",
    "ayesha.misal@example.net": "ur",
}
PARENT_INTERPRETERS = {"layla.mithal@example.net": "ar"}


# Past clinics, so the figures page has something to show on a fresh clone. Invented and
# deterministic: the same day seeds the same clinics, bookings, walk-ins and answers.
PAST_MONTHS = 6
FIRST_NAMES = ["Ash", "Bea", "Cal", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lou"]
LAST_NAMES = ["Example", "Sample", "Test", "Demo", "Placeholder", "Madeup"]
# How often parents ask about each topic (weights, roughly as the partnership sees it).
TOPIC_WEIGHTS = {
    "roblox": 9,
    "tiktok": 8,
    "iphone-ipad": 8,
    "youtube": 7,
    "android": 6,
    "consoles": 5,
    "discord": 4,
    "snapchat": 4,
    "whatsapp": 3,
    "random-chat": 3,
    "instagram": 2,
    "other": 1,
}
COMMENTS = [
    "I did not know the console had its own family settings. Thank you.",
    "Very patient officer. Screen Time is set up on both phones now.",
    "Useful, but I would like a longer slot next time.",
    "Helpful to know what Discord is and how to check who my son talks to.",
    None,
    None,
]


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clinic_zone()).astimezone(UTC)


def _school_day(day: date) -> date:
    """The first working day on or after ``day``: clinics run when schools are open."""
    return working_day_on_or_after(day)


def _clinic(school: School, officer: User, day: date, *, group: bool) -> Clinic:
    clinic = Clinic(
        school=school,
        officer=officer,
        title="Parental controls clinic" + (" (group session)" if group else ""),
        description="Bring your child's phone, tablet or console and the passwords for them.",
        venue="School library. Sign in at the main office.",
        date=day,
        status="published",
        booking_opens_at=datetime.now(UTC) - timedelta(days=1),
        booking_closes_at=_local(day, time(15, 0)) - timedelta(hours=24),
    )
    if group:
        clinic.slots.append(
            Slot(starts_at=_local(day, time(18, 0)), ends_at=_local(day, time(19, 0)), capacity=20)
        )
    else:
        start = _local(day, time(15, 15))
        for i in range(8):
            begins = start + timedelta(minutes=20 * i)
            clinic.slots.append(
                Slot(starts_at=begins, ends_at=begins + timedelta(minutes=15), capacity=1)
            )
    return clinic


def _past_clinics(session: Session, schools, officers, today: date) -> None:
    """One clinic a month at each school for the last months, with bookings in every
    outcome, walk-ins and feedback (what the figures count), all invented."""
    rng = random.Random(20261202)
    officer_of = {0: officers[0], 1: officers[0], 2: officers[1]}
    topics, weights = list(TOPIC_WEIGHTS), list(TOPIC_WEIGHTS.values())
    number = 100
    first_of_month = today.replace(day=1)
    for months_ago in range(PAST_MONTHS, 0, -1):
        month = (first_of_month - timedelta(days=28 * months_ago)).replace(day=1)
        for index, school in enumerate(schools):
            day = _school_day(month + timedelta(days=7 + 4 * index))
            if day >= today:
                continue
            clinic = _clinic(school, officer_of[index], day, group=index == 1)
            clinic.booking_opens_at = _local(day, time(9, 0)) - timedelta(days=21)
            clinic.closed_at = _local(day, time(20, 0))
            clinic.list_sent_at = _local(day, time(9, 0)) - timedelta(days=1)
            session.add(clinic)
            session.flush()
            seats = [slot for slot in clinic.slots for _ in range(slot.capacity)]
            if index == 1:  # the group session
                taken = rng.randint(8, 16)
            else:
                taken = rng.randint(len(seats) * 5 // 8, len(seats))
            for seat, slot in enumerate(seats[:taken]):
                number += 1
                outcome = rng.choices(["attended", "no_show", "cancelled"], [78, 12, 10])[0]
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                email = f"parent{number}@example.net"
                if outcome != "cancelled":
                    slot.booked += 1
                booking = Booking(
                    reference=f"DEMO{number:04d}",
                    clinic_id=clinic.id,
                    slot=slot,
                    parent_name=name,
                    email=email,
                    email_normalised=normalise_email(email),
                    child_years=[f"Year {rng.randint(1, 6)}"],
                    topics=sorted(set(rng.choices(topics, weights, k=rng.randint(1, 3)))),
                    consent_at=clinic.booking_opens_at + timedelta(days=seat % 14),
                    consent_version="demo",
                    status=outcome,
                    # The reminder and follow-up went at the time: none is sent now.
                    reminder_sent_at=slot.starts_at - timedelta(days=1),
                    follow_up_sent_at=clinic.closed_at,
                    cancelled_at=slot.starts_at - timedelta(days=2)
                    if outcome == "cancelled"
                    else None,
                    checked_in_at=slot.starts_at if outcome == "attended" else None,
                    **_still_coming(number, outcome, slot.starts_at),
                )
                session.add(booking)
                if outcome == "attended" and rng.random() < 0.4:
                    session.flush()
                    session.add(
                        Feedback(
                            clinic_id=clinic.id,
                            booking_id=booking.id,
                            useful=rng.choices([5, 4, 3, 2], [6, 3, 1, 0.3])[0],
                            comments=rng.choice(COMMENTS),
                        )
                    )
            for _ in range(rng.randint(0, 3)):
                session.add(
                    WalkIn(
                        clinic_id=clinic.id,
                        parent_name="Walk-in parent",
                        child_years=[f"Year {rng.randint(1, 6)}"],
                        topics=sorted(set(rng.choices(topics, weights, k=rng.randint(1, 2)))),
                    )
                )


def _still_coming(number: int, outcome: str, starts_at: datetime) -> dict:
    """Each family was asked "still coming?" three days before (README "Still coming?"):
    most who came had said yes, few who did not come had; half of those who cancelled did
    it from the question.  Taken from the booking's number, not the random numbers, so the
    rest of the demo stays as it was."""
    asked = starts_at - timedelta(days=3)
    answered = asked + timedelta(hours=2 + number % 20)
    if outcome == "cancelled":  # cancelled two days before (``cancelled_at``)
        answer = "no" if number % 2 else None
        answered = starts_at - timedelta(days=2)
    elif outcome == "attended":
        answer = "yes" if number % 5 < 3 else None
    else:
        answer = "yes" if number % 4 == 0 else None
    return {
        "still_coming_asked_at": asked,
        "still_coming_answer": answer,
        "still_coming_answered_at": answered if answer else None,
    }


def seed(session: Session, today: date | None = None) -> dict[str, str]:
    """Fill an empty database; returns the staff emails with their new passwords."""
    partnership = partnership_for(session, None)
    schools = [
        School(
            partnership=partnership,
            name=n,
            urn=u,
            address=a,
            town=t,
            postcode=p,
            slug=n.lower().replace(" ", "-").replace("'", ""),
            contact_email=f"office@{n.split()[0].lower()}.example.org",
        )
        for n, u, a, t, p in SCHOOLS
    ]
    session.add_all(schools)
    passwords: dict[str, str] = {}
    officers = []
    for role, name, email, where in STAFF:
        passwords[email] = secrets.token_urlsafe(9)
        user = User(
            email=email,
            name=name,
            role=role,
            password_hash=hash_password(passwords[email]),
            partnership=None if role == "owner" else partnership,
        )
        if role == "officer":
            user.schools = [schools[i] for i in where]
            officers.append(user)
        elif role == "school":
            user.school = schools[where[0]]
        session.add(user)
    today = today or datetime.now(UTC).date()
    clinics = [
        _clinic(schools[0], officers[0], _school_day(today + timedelta(days=10)), group=False),
        _clinic(schools[1], officers[0], _school_day(today + timedelta(days=17)), group=True),
        _clinic(schools[2], officers[1], _school_day(today + timedelta(days=12)), group=False),
    ]
    session.add_all(clinics)
    session.flush()
    for n, (name, email, years, topics) in enumerate(PARENTS):
        slot = clinics[0].slots[n]
        slot.booked += 1
        session.add(
            Booking(
                reference=f"DEMO{n + 1:04d}",
                clinic_id=clinics[0].id,
                slot=slot,
                parent_name=name,
                email=email,
                email_normalised=normalise_email(email),
                child_years=years,
                topics=topics,
                consent_at=datetime.now(UTC),
                consent_version="demo",
                language=PARENT_LANGUAGES.get(email, "en"),
                interpreter_language=PARENT_INTERPRETERS.get(email),
            )
        )
    _past_clinics(session, schools, officers, today)
    # Roles that must have a second factor get one (its key is shown beside the password,
    # and a development copy shows the code itself after the password).
    for user in session.scalars(select(User)):
        if mfa.required_for(user):
            sealed = encrypt_secret(mfa.new_secret())
            session.add(SecondFactor(user_id=user.id, totp_secret=sealed))
            mfa.new_recovery_codes(session, user)  # as a real account has (not shown)
    seed_guidance(session, actor="demo")
    session.commit()
    return passwords


ROLE_NAMES = {
    "owner": "Service owner",
    "admin": "Coordinator",
    "officer": "Officer",
    "school": "School staff",
}


def accounts(session: Session, passwords: dict[str, str]) -> list[dict[str, str]]:
    """Who each demo account is: role, schools, email and password (in STAFF's order)."""
    rows = []
    for email, password in passwords.items():
        user = session.scalars(select(User).where(User.email == email)).one()
        if user.role == "officer":
            where = ", ".join(school.name for school in user.schools)
        elif user.school is not None:  # school staff
            where = user.school.name
        elif user.role == "owner":
            where = "None (makes partnerships)"
        else:
            where = "All schools"
        row = {
            "role": ROLE_NAMES[user.role],
            "schools": where,
            "email": email,
            "password": password,
        }
        factor = session.get(SecondFactor, user.id)
        if factor is not None:
            row["totp_secret"] = mfa.secret_of(factor)
        rows.append(row)
    return rows


def accounts_table(rows: list[dict[str, str]]) -> str:
    """The accounts as a plain-text table (the seed prints it)."""
    header = {"role": "Role", "schools": "Schools", "email": "Email", "password": "Password"}
    columns = list(header)
    widths = {c: max(len(r[c]) for r in [header, *rows]) for c in columns}
    return "\n".join(
        "  " + "  ".join(row[c].ljust(widths[c]) for c in columns).rstrip()
        for row in [header, *rows]
    )


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has schools.")
def seed_command(if_empty: bool) -> None:
    """Add invented demo data and print the staff sign-in details."""
    if db.session.scalar(select(func.count()).select_from(School)):
        if if_empty:
            click.echo("Demo data: the database already has schools; left as it is.")
            return
        raise click.ClickException("The database is not empty; demo data goes in an empty one.")
    rows = accounts(db.session, seed(db.session))
    table = accounts_table(rows)
    saved = Path(current_app.config["DEMO_ACCOUNTS_FILE"])
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(rows, indent=2) + "\n")
    notes = saved.with_suffix(".txt")
    notes.write_text(
        "Demo staff accounts (sign in at /staff/sign-in):\n"
        + table
        + "\n"
        + "".join(
            f"Authenticator key of {row['email']}: {row['totp_secret']}\n"
            for row in rows
            if "totp_secret" in row
        )
    )
    click.echo(f"Demo data added. Sign in at {current_app.config['BASE_URL']}/staff/sign-in with:")
    click.echo(table)
    click.echo(f"(Passwords were made up just now; they are also in {notes}")
    click.echo(" and on the sign-in page while the development settings are on.)")
    keys = [row for row in rows if "totp_secret" in row]
    if keys:
        click.echo(
            "Coordinators and officers also give a code after the password: on this "
            "development copy the code page shows it; or add the key to an authenticator app:"
        )
        for row in keys:
            click.echo(f"  {row['email']}  {row['totp_secret']}")
