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


# Plain ALTER TABLE, not a batch: on SQLite a batch copies the table and drops the old one, and the drop
# would cascade to push_items (ON DELETE CASCADE), losing every target's queue. SQLite >= 3.35 drops a column.
def upgrade():
    op.add_column('caldav_targets', sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('caldav_targets', 'paused_at')
