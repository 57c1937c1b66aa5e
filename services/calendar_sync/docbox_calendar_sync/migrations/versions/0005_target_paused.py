"""caldav_targets.paused_at: an admin paused the target; the worker skips it, changes keep queueing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('caldav_targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('caldav_targets', schema=None) as batch_op:
        batch_op.drop_column('paused_at')
