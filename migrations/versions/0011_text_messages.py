"""text messages: a household's "Also send me text messages", and the outbox's channel

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:00:00

``booking.texts`` and ``waitlist_entry.texts`` are the tick (the mobile number is the
household's ``phone``); existing households did not tick it.  ``outbox_message.channel``
says how a message goes: every existing row is an email.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('booking', 'waitlist_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('texts', sa.Boolean(), server_default=sa.text('false'), nullable=False)
            )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('channel', sa.String(length=5), server_default='email', nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_outbox_message_channel_known'), "channel IN ('email', 'sms')"
        )


def downgrade():
    # Texts not yet sent would be sent as emails to a phone number by the old code.
    op.execute("DELETE FROM outbox_message WHERE channel = 'sms'")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_message_channel_known'), type_='check')
        batch_op.drop_column('channel')
    for table in ('booking', 'waitlist_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('texts')
