""" "still coming?": when a family was asked, their answer and when they gave it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:30:00

Three empty columns on ``booking``; bookings made before this are simply not asked yet
(``flask reminders still-coming`` asks those still far enough from their clinic).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("still_coming_asked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("still_coming_answer", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("still_coming_answered_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_booking_still_coming_answer_known"),
            "still_coming_answer IS NULL OR still_coming_answer IN ('yes', 'no')",
        )


def downgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_booking_still_coming_answer_known"), type_="check")
        batch_op.drop_column("still_coming_answered_at")
        batch_op.drop_column("still_coming_answer")
        batch_op.drop_column("still_coming_asked_at")
