"""guidance and outbox per partnership: each partnership's own links, "what to bring" and emails

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:30:00.000000

Guidance links and "what to bring" texts belong to a partnership (its coordinators edit
them; a new partnership starts with the shipped defaults, ``followup.service.seed_guidance``);
``bring_advice`` is keyed by (partnership, topic, language).  An outbox message names the
partnership it is about: it is sent with that partnership's sender name, Reply-To and
Notify key (``clinic.partnership.settings_for``), and a coordinator's "Email problems"
page lists their own only.
What exists moves into the installation's first partnership (0017's "Default partnership").
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

FIRST = "(SELECT MIN(id) FROM partnership)"


def upgrade():
    with op.batch_alter_table("guidance_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE guidance_link SET partnership_id = {FIRST}")
    with op.batch_alter_table("guidance_link", schema=None) as batch_op:
        batch_op.alter_column("partnership_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_guidance_link_partnership_id"), ["partnership_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_guidance_link_partnership_id_partnership"),
            "partnership",
            ["partnership_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("bring_advice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partnership_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE bring_advice SET partnership_id = {FIRST}")
    with op.batch_alter_table("bring_advice", schema=None, recreate="always") as batch_op:
        batch_op.alter_column("partnership_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("pk_bring_advice", type_="primary")
        batch_op.create_primary_key("pk_bring_advice", ["partnership_id", "topic", "language"])
        batch_op.create_foreign_key(
            batch_op.f("fk_bring_advice_partnership_id_partnership"),
            "partnership",
            ["partnership_id"],
            ["id"],
            ondelete="CASCADE",
        )

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
    op.execute(f"UPDATE outbox_message SET partnership_id = {FIRST}")


def downgrade():
    # The first partnership's guidance stays; the others' would be sent to every household.
    op.execute(f"DELETE FROM guidance_link WHERE partnership_id <> {FIRST}")
    op.execute(f"DELETE FROM bring_advice WHERE partnership_id <> {FIRST}")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_partnership_id_partnership"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_message_partnership_id"))
        batch_op.drop_column("partnership_id")
    with op.batch_alter_table("bring_advice", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_bring_advice_partnership_id_partnership"), type_="foreignkey"
        )
        batch_op.drop_constraint("pk_bring_advice", type_="primary")
        batch_op.create_primary_key("pk_bring_advice", ["topic", "language"])
        batch_op.drop_column("partnership_id")
    with op.batch_alter_table("guidance_link", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_guidance_link_partnership_id_partnership"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_guidance_link_partnership_id"))
        batch_op.drop_column("partnership_id")
