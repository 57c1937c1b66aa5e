"""staff.outreach_role: a staff member's role in the outreach area, granted apart from the group-sessions role

Revision ID: d8a4f1c2b9e3
Revises: d4a7e2b91c58
Create Date: 2026-11-30 11:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd8a4f1c2b9e3'
down_revision = 'd4a7e2b91c58'  # re-chained after main's cancel_reason (both were made on c3f1a7d24e60)
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outreach_role', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('outreach_role')
