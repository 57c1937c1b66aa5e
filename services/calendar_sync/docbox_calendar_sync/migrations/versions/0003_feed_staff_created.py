"""feeds.staff_created: a feed made with a staff token keeps a closed program; others lose it while it is closed

Feeds made before this revision count as made without an account (false):
privacy first, so a program closed before the upgrade leaves them too; staff
who need such a feed make it again with their token.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 05:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_created', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('staff_created')
