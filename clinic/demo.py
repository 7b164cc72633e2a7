"""`flask demo seed`: invented schools, staff, clinics and bookings for trying the service."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .auth.service import hash_password
from .extensions import db
from .followup.service import seed_guidance
from .localtime import clinic_zone
from .models import Booking, Clinic, School, Slot, User, normalise_email

demo_cli = AppGroup("demo", help="Demo data for trying the service.")

SCHOOLS = [
    ("Oakfield Primary School", "900001", "12 Acorn Road", "Exampleton", "EX1 4AB"),
    ("St Brigid's Catholic Primary", "900002", "3 Chapel Lane", "Exampleton", "EX2 7CD"),
    ("Riverside Academy", "900003", "Riverside Walk", "Sampleford", "SF3 9EF"),
]
STAFF = [
    ("admin", "Casey Coordinator", "coordinator@example.org", None),
    ("officer", "PC Jordan Ellis", "jordan.ellis@example.org", [0, 1]),
    ("officer", "PC Morgan Reyes", "morgan.reyes@example.org", [2]),
    ("school", "Robin Office", "office@oakfield.example.org", 0),
]
PARENTS = [
    ("Alex Example", "alex.example@example.net", ["Year 3"], ["iphone-ipad", "roblox"]),
    ("Sam Sample", "sam.sample@example.net", ["Year 5", "Year 1"], ["android", "youtube"]),
    ("Jamie Test", "jamie.test@example.net", ["Year 6"], ["discord", "random-chat"]),
]


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clinic_zone()).astimezone(UTC)


def _school_day(day: date) -> date:
    """The first weekday on or after ``day``: clinics run when schools are open."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


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


def seed(session: Session) -> dict[str, str]:
    """Fill an empty database; returns the staff emails with their new passwords."""
    schools = [
        School(
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
            email=email, name=name, role=role, password_hash=hash_password(passwords[email])
        )
        if role == "officer":
            user.schools = [schools[i] for i in where]
            officers.append(user)
        elif role == "school":
            user.school = schools[where]
        session.add(user)
    today = datetime.now(UTC).date()
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
            )
        )
    seed_guidance(session, actor="demo")
    session.commit()
    return passwords


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has schools.")
def seed_command(if_empty: bool) -> None:
    """Add invented demo data and print the staff sign-in details."""
    if db.session.scalar(select(func.count()).select_from(School)):
        if if_empty:
            click.echo("Demo data: the database already has schools; left as it is.")
            return
        raise click.ClickException("The database is not empty; demo data goes in an empty one.")
    passwords = seed(db.session)
    lines = [f"  {email:32} {password}" for email, password in passwords.items()]
    notes = Path(current_app.instance_path) / "demo-accounts.txt"
    notes.write_text("Demo staff accounts (sign in at /staff/sign-in):\n" + "\n".join(lines) + "\n")
    click.echo("Demo data added. Sign in at /staff/sign-in with:")
    click.echo("\n".join(lines))
    click.echo(f"(Passwords were made up just now; they are also in {notes}.)")
