"""a request to send a clinic's attendance list now (sent by the worker)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('list_requested_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_clinic_list_requested_by_id_user'),
            'user', ['list_requested_by_id'], ['id'], ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('clinic', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clinic_list_requested_by_id_user'), type_='foreignkey')
        batch_op.drop_column('list_requested_by_id')
        batch_op.drop_column('list_requested_at')
