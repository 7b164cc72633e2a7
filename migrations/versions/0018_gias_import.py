"""gias_import: a GIAS import waiting for "Import these schools" (issue 21)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:30:00.000000

What the coordinator's upload of the DfE register held (their local authorities' open
schools, and the reason for each row skipped), kept between the preview and the button.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gias_import",
        sa.Column("id", sa.String(length=43), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("las", sa.JSON(), nullable=False),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("establishments", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("outside", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_gias_import_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnership.id"],
            name=op.f("fk_gias_import_partnership_id_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gias_import")),
    )
    with op.batch_alter_table("gias_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gias_import_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_gias_import_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("gias_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gias_import_created_at"))
        batch_op.drop_index(batch_op.f("ix_gias_import_user_id"))
    op.drop_table("gias_import")
