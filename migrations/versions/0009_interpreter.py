"""an interpreter a household asked for, and whether the officer has arranged one

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('booking', 'waitlist_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('interpreter_language', sa.String(length=20), nullable=True))
            batch_op.add_column(sa.Column('interpreter_other', sa.String(length=100), nullable=True))
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interpreter_arranged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('interpreter_arranged_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_booking_interpreter_arranged_by_id_user'),
            'user', ['interpreter_arranged_by_id'], ['id'], ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_booking_interpreter_arranged_by_id_user'), type_='foreignkey'
        )
        batch_op.drop_column('interpreter_arranged_by_id')
        batch_op.drop_column('interpreter_arranged_at')
    for table in ('booking', 'waitlist_entry'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('interpreter_other')
            batch_op.drop_column('interpreter_language')
