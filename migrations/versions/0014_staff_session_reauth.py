"""staff sessions: when the password was last confirmed, and the browser in plain words

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:00:00.000000

``confirmed_at`` is when the person last typed their password in this session (at sign-in,
or on the "Confirm your password" page before a sensitive action); a one-time sign-in link
leaves it empty.  ``browser`` is what "Your sessions" shows ("Firefox on Windows"), worked
out from the user agent at sign-in; the user agent itself is not kept.  Existing rows get
neither, so their owners confirm their password before their next sensitive action.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("browser", sa.String(length=60), nullable=True))


def downgrade():
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_column("browser")
        batch_op.drop_column("confirmed_at")
