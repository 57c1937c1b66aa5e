"""staff.outreach_role: a staff member's role in the outreach area, granted apart from the group-sessions role

Revision ID: d8a4f1c2b9e3
Revises: d4a8e1f0b2c3
Create Date: 2026-11-30 11:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd8a4f1c2b9e3'
down_revision = 'd4a8e1f0b2c3'  # re-chained after main's cancel_reason (both were made on c3f1a7d24e60)
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: on SQLite a batch copies the table and drops the old one, which other
# tables' foreign keys refuse (staff is referenced). SQLite >= 3.35 drops a column in place.
def upgrade():
    op.add_column('staff', sa.Column('outreach_role', sa.String(length=20), nullable=True))


def downgrade():
    op.drop_column('staff', 'outreach_role')
