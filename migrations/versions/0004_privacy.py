"""privacy: anonymised waiting-list entries and feedback, purged outbox messages,
withdrawn messages, the notice version of a waiting-list entry, booking drafts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'failed', 'withdrawn')"


def upgrade():
    with op.batch_alter_table('waitlist_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_message_status_known'), NEW_STATUSES)
    op.create_table(
        'booking_draft',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('clinic_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['clinic_id'], ['clinic.id'],
            name=op.f('fk_booking_draft_clinic_id_clinic'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_draft')),
    )
    with op.batch_alter_table('booking_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_draft_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_draft_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('booking_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_draft_expires_at'))
        batch_op.drop_index(batch_op.f('ix_booking_draft_clinic_id'))
    op.drop_table('booking_draft')
    op.execute("UPDATE outbox_message SET status = 'failed' WHERE status = 'withdrawn'")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_message_status_known'), OLD_STATUSES)
        batch_op.drop_column('purged_at')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('waitlist_entry', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('consent_version')
