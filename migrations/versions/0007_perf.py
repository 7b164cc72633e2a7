"""sheet_pdf: sign-in sheet PDFs built by the outbox worker, not inside a request

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sheet_pdf',
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('built_at', sa.DateTime(), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_sheet_pdf_clinic_id_clinic'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_sheet_pdf_requested_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('clinic_id', name=op.f('pk_sheet_pdf'))
    )


def downgrade():
    op.drop_table('sheet_pdf')
