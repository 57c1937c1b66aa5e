"""cancel reason: a short line on why a one-off session or a series occurrence was cancelled

Revision ID: d4a7e2b91c58
Revises: c3f1a7d24e60
Create Date: 2026-11-30 11:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd4a7e2b91c58'
down_revision = 'c3f1a7d24e60'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('one_off_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=200), nullable=True))
    with op.batch_alter_table('series_exceptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('series_exceptions', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
    with op.batch_alter_table('one_off_sessions', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
