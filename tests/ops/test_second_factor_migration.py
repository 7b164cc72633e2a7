"""Migration 0020: an authenticator app's secret is stored encrypted.

On both engines, from a database at 0019 holding a second factor in clear: the upgrade
encrypts it in place (the app then accepts the code of that secret), and the downgrade
writes it back in clear."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clinic import create_app
from clinic.auth import mfa
from clinic.extensions import db
from clinic.models import User, utcnow
from tests.conftest import ROOT
from tests.ops.support import spare_database

MIGRATIONS = str(ROOT / "migrations")
STORED = "SELECT totp_secret FROM staff_second_factor"


def test_0020_encrypts_the_secrets_there_and_goes_back(database_url, tmp_path):
    with spare_database(database_url, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision="0019")
            owner = User(email="owner@example.org", name="Owen Owner", role="owner", active=True)
            db.session.add(owner)
            db.session.commit()
            secret = mfa.new_secret()
            db.session.execute(
                sa.text(
                    "INSERT INTO staff_second_factor (user_id, totp_secret, created_at)"
                    " VALUES (:user_id, :secret, :now)"
                ),
                {"user_id": owner.id, "secret": secret, "now": utcnow()},
            )
            db.session.commit()

            db.session.rollback()
            upgrade(directory=MIGRATIONS, revision="0020")
            stored = db.session.scalar(sa.text(STORED))
            assert secret not in stored and stored.startswith("gAAAAA")
            db.session.expire_all()
            now = utcnow()
            assert mfa.verify_second_factor(
                db.session, owner, mfa.current_code(secret, now), now=now
            )
            db.session.commit()

            downgrade(directory=MIGRATIONS, revision="0019")
            assert db.session.scalar(sa.text(STORED)) == secret
            db.session.rollback()  # no transaction left open for the ALTER TABLE to wait on
            upgrade(directory=MIGRATIONS)
            db.session.remove()
            db.engine.dispose()
