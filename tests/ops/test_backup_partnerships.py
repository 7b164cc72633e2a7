"""A backup restores every partnership (issue 21): two partnerships, each with its schools,
staff, clinics and bookings and its own settings, are backed up with `flask backup create`
and restored with `flask backup restore` into a fresh database, which then holds every
partnership's records as they were, and answers each partnership's requests apart."""

from __future__ import annotations

import json

import sqlalchemy as sa

from clinic import create_app
from clinic.extensions import db
from clinic.models import AuditEvent, Booking, Clinic, Partnership, School, User
from clinic.ops import backup
from tests.ops.support import spare_database

FAMILY = "two.counties@example.net"


def _invoke_on(url: str, *args: str):
    """A flask command on another database, with that database's own app."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        try:
            return other.test_cli_runner().invoke(args=list(args))
        finally:
            db.session.remove()
            db.engine.dispose()


def _by_partnership(url: str) -> dict[str, dict]:
    """Each partnership's settings and records, keyed by slug, as plain sorted values."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    p, s, c, b, u, a = (
        t.__table__ for t in (Partnership, School, Clinic, Booking, User, AuditEvent)
    )
    found: dict[str, dict] = {}
    try:
        with engine.connect() as conn:
            for row in conn.execute(sa.select(p)).mappings():
                found[row["slug"]] = {
                    "settings": (row["name"], row["data_controller"], row["retention_days"]),
                    "schools": sorted(
                        conn.execute(
                            sa.select(s.c.urn, s.c.name).where(s.c.partnership_id == row["id"])
                        )
                    ),
                    "clinics": sorted(
                        conn.execute(
                            sa.select(s.c.urn, c.c.title, c.c.date)
                            .join(s, s.c.id == c.c.school_id)
                            .where(s.c.partnership_id == row["id"])
                        )
                    ),
                    "bookings": sorted(
                        conn.execute(
                            sa.select(s.c.urn, b.c.reference, b.c.email, b.c.status)
                            .join(c, c.c.id == b.c.clinic_id)
                            .join(s, s.c.id == c.c.school_id)
                            .where(s.c.partnership_id == row["id"])
                        )
                    ),
                    "staff": sorted(
                        conn.execute(
                            sa.select(u.c.email, u.c.role).where(u.c.partnership_id == row["id"])
                        )
                    ),
                    "audit": sorted(
                        conn.execute(
                            sa.select(a.c.action, a.c.object_id).where(
                                a.c.partnership_id == row["id"]
                            )
                        )
                    ),
                }
    finally:
        engine.dispose()
    return found


def test_a_backup_restores_every_partnership(app, database_url, session, make, tmp_path):
    from clinic import audit

    northshire = make.partnership(
        "Northshire Safeguarding Children Partnership",
        slug="northshire",
        retention_days=30,
        data_controller="Northshire County Council",
    )
    for partnership, names in (
        (make.default_partnership(), ("Oakfield Primary School", "Elm Primary School")),
        (northshire, ("Northshire Primary School",)),
    ):
        coordinator = make.user(role="admin", partnership=partnership)
        for name in names:
            school = make.school(name, partnership=partnership)
            officer = make.user(role="officer", schools=[school])
            clinic = make.clinic(school, officer, slots=2, capacity=2, title=f"{name} clinic")
            make.booking(clinic.slots[0], email=FAMILY)
            make.booking(clinic.slots[1])
            audit.record(session, coordinator, "school.add", school)
    session.commit()
    live = _by_partnership(database_url)
    assert set(live) == {"default", "northshire"}
    assert len(live["default"]["bookings"]) == 4 and len(live["northshire"]["bookings"]) == 2
    assert all(live[slug]["audit"] and live[slug]["staff"] for slug in live)

    made = app.test_cli_runner().invoke(
        args=["backup", "create", "--dir", str(tmp_path / "backups")]
    )
    assert made.exit_code == 0, made.output
    (copy,) = backup.list_backups(tmp_path / "backups")

    with spare_database(database_url, tmp_path) as fresh_url:
        restored = _invoke_on(fresh_url, "backup", "restore", str(copy))
        assert restored.exit_code == 0, restored.output
        assert "Partnerships (2):" in restored.output
        assert "  default: 2 schools, 2 clinics, 4 bookings" in restored.output
        assert "  northshire: 1 schools, 1 clinics, 2 bookings" in restored.output
        assert _by_partnership(fresh_url) == live

        # The restored service keeps the partnerships apart as the live one did.
        exported = _invoke_on(fresh_url, "privacy", "export", FAMILY, "--partnership", "northshire")
        assert exported.exit_code == 0, exported.output
        held = json.loads(exported.output)
        assert [b["school"] for b in held["bookings"]] == ["Northshire Primary School"]
        assert held["bookings"][0]["data_controller"] == "Northshire County Council"
