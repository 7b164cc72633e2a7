"""staff_passkey: passkeys for staff, beside the authenticator app (issue 20)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:30:00.000000

Each passkey's credential id, public key, signature counter and the name its owner gave.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_staff_passkey_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_passkey")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_staff_passkey_credential_id")),
    )
    with op.batch_alter_table("staff_passkey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_passkey_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("staff_passkey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_passkey_user_id"))
    op.drop_table("staff_passkey")
