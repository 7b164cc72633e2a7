"""the language a booking or waiting-list place was made in: its emails and invite use it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('booking', 'waitlist_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('language', sa.String(length=10), nullable=False, server_default='en')
            )


def downgrade():
    for table in ('booking', 'waitlist_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('language')
