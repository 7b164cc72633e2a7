"""partnership settings: each outbox message remembers its partnership (issue 21)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:40:00.000000

An email or text is sent with its partnership's sender name, Reply-To and Notify key
(``clinic.partnership.settings_for``); a message queued before this (or for no
partnership: the service owner's own mail) keeps the installation's.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_partnership_id"), ["partnership_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_partnership_id_partnership"),
            "partnership",
            ["partnership_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_partnership_id_partnership"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_message_partnership_id"))
        batch_op.drop_column("partnership_id")
