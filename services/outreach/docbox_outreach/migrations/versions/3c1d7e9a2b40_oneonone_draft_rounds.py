"""one-on-one draft rounds: a round prepared but not opened yet has no opening instant or day

Revision ID: 3c1d7e9a2b40
Revises: a3c9e5d1f7b2
Create Date: 2026-11-30 14:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import docbox_shared.clock


# revision identifiers, used by Alembic.
revision = '3c1d7e9a2b40'
down_revision = 'a3c9e5d1f7b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('oneonone_rounds', schema=None) as batch_op:
        batch_op.alter_column('opened_at', existing_type=docbox_shared.clock.UTCDateTime(timezone=True),
                              nullable=True)
        batch_op.alter_column('opened_on', existing_type=sa.Date(), nullable=True)


def downgrade():
    # Drafts were never opened: nothing of them reached anyone, so they go.
    op.execute("DELETE FROM oneonone_assignments WHERE round_id IN "
               "(SELECT id FROM oneonone_rounds WHERE opened_at IS NULL)")
    op.execute("DELETE FROM oneonone_rounds WHERE opened_at IS NULL")
    with op.batch_alter_table('oneonone_rounds', schema=None) as batch_op:
        batch_op.alter_column('opened_on', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('opened_at', existing_type=docbox_shared.clock.UTCDateTime(timezone=True),
                              nullable=False)
