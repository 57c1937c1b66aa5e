"""case-based program: remember which re-offer date the supporter was mailed about

Revision ID: a3c9e5d1f7b2
Revises: f682dbf7d4a9
Create Date: 2026-11-30 15:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c9e5d1f7b2'
down_revision = 'f682dbf7d4a9'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('case_pairings', sa.Column('reoffer_mailed_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('case_pairings') as batch_op:
        batch_op.drop_column('reoffer_mailed_on')
