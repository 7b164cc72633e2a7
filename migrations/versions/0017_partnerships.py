"""partnership: many partnerships on one installation (issue 21)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 15:10:00.000000

A partnership (a Safeguarding Children Partnership, a force, a council) owns its schools
and staff.  The installation's existing schools, staff and audit events move into one
partnership, "Default partnership" (its coordinator renames it), so a single-partnership
installation works as before.  A new role, "owner" (the service owner), belongs to none.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'officer', 'school')"
NEW_ROLES = "role IN ('owner', 'admin', 'officer', 'school')"
FIRST = "(SELECT id FROM partnership WHERE slug = 'default')"


def upgrade():
    op.create_table(
        "partnership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("data_controller", sa.String(length=200), server_default="", nullable=False),
        sa.Column("lawful_basis", sa.String(length=30), server_default="", nullable=False),
        sa.Column("privacy_email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("privacy_phone", sa.String(length=40), server_default="", nullable=False),
        sa.Column("accessibility_email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("accessibility_phone", sa.String(length=40), server_default="", nullable=False),
        sa.Column("sender_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("reply_to", sa.String(length=254), server_default="", nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("languages", sa.String(length=100), server_default="", nullable=False),
        sa.Column("notify_api_key", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("name <> ''", name=op.f("ck_partnership_name_not_empty")),
        sa.CheckConstraint("slug <> ''", name=op.f("ck_partnership_slug_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership")),
        sa.UniqueConstraint("name", name=op.f("uq_partnership_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_partnership_slug")),
    )
    op.execute(
        "INSERT INTO partnership (name, slug, created_at) "
        "VALUES ('Default partnership', 'default', CURRENT_TIMESTAMP)"
    )

    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE school SET partnership_id = {FIRST}")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.alter_column("partnership_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_school_partnership_id"), ["partnership_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_school_partnership_id_partnership"),
            "partnership",
            ["partnership_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
    op.execute(f'UPDATE "user" SET partnership_id = {FIRST}')
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_partnership_id"), ["partnership_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_user_partnership_id_partnership"),
            "partnership",
            ["partnership_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.drop_constraint(batch_op.f("ck_user_role_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_user_role_known"), NEW_ROLES)
        batch_op.create_check_constraint(
            batch_op.f("ck_user_staff_have_partnership"),
            "(role = 'owner') = (partnership_id IS NULL)",
        )

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_partnership_id"), ["partnership_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_event_partnership_id_partnership"),
            "partnership",
            ["partnership_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(f"UPDATE audit_event SET partnership_id = {FIRST}")

    if op.get_bind().dialect.name == "postgresql":
        # A partnership's name, notice and languages are on its schools' public pages: a
        # change to it is a change those pages' keys must see (0015's change signal).
        op.execute(
            "CREATE TRIGGER clinic_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            'ON "partnership" FOR EACH STATEMENT EXECUTE FUNCTION clinic_notify_change()'
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute('DROP TRIGGER IF EXISTS clinic_change ON "partnership"')
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_audit_event_partnership_id_partnership"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_audit_event_partnership_id"))
        batch_op.drop_column("partnership_id")
    op.execute("DELETE FROM \"user\" WHERE role = 'owner'")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_staff_have_partnership"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_user_role_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_user_role_known"), OLD_ROLES)
        batch_op.drop_constraint(batch_op.f("fk_user_partnership_id_partnership"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_partnership_id"))
        batch_op.drop_column("partnership_id")
    with op.batch_alter_table("school", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_school_partnership_id_partnership"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_school_partnership_id"))
        batch_op.drop_column("partnership_id")
    op.drop_table("partnership")
