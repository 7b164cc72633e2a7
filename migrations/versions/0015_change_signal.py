"""change signal: PostgreSQL tells listening workers when a public page's tables change

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:10:00.000000

Statement-level triggers on ``school``, ``clinic`` and ``slot`` (everything the school
page's and the finder's keys read) run ``pg_notify('clinic_change', '')`` once per
statement that changes them; PostgreSQL folds the same notification sent twice in one
transaction into one, delivered after the commit.  Each app worker LISTENs and reads a
page's key only after a notification (``clinic/changes.py``).  SQLite needs nothing:
workers there watch ``PRAGMA data_version``.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ("school", "clinic", "slot")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION clinic_notify_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('clinic_change', '');
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER clinic_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION clinic_notify_change()'
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS clinic_change ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS clinic_notify_change()")
