"""case-based program: remember which re-offer date the supporter was mailed about; viewers' quarters frozen once released

Revision ID: a3c9e5d1f7b2
Revises: f682dbf7d4a9
Create Date: 2026-11-30 15:05:00

"""
from alembic import op
import sqlalchemy as sa

import docbox_shared.clock


# revision identifiers, used by Alembic.
revision = 'a3c9e5d1f7b2'
down_revision = 'f682dbf7d4a9'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('case_pairings', sa.Column('reoffer_mailed_on', sa.Date(), nullable=True))
    op.create_table('case_released_quarters',
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('released_at', docbox_shared.clock.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("quarter LIKE '____-Q_'", name=op.f('ck_case_released_quarters_quarter_label')),
    sa.PrimaryKeyConstraint('quarter', name=op.f('pk_case_released_quarters'))
    )


def downgrade():
    op.drop_table('case_released_quarters')
    with op.batch_alter_table('case_pairings') as batch_op:
        batch_op.drop_column('reoffer_mailed_on')
