"""notifications: occurrence records follow a split series, and keep what was announced

``live_id`` is the occurrence's id in the series that holds it now (a split
hands it to the continuation; the record keeps its first id, so the keys of
its planned messages stay the same). ``announced`` is the time and place last
seen, ``previous`` what they were before the change a pending notice is about.

Revision ID: 5b0c7d2e9a41
Revises: f1dd2a3434ab
Create Date: 2026-11-30 04:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b0c7d2e9a41'
down_revision = 'f1dd2a3434ab'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_id', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('announced', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('previous', sa.JSON(), nullable=True))
    op.execute("UPDATE occurrences SET live_id = occurrence_id")
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.alter_column('live_id', existing_type=sa.String(length=80), nullable=False)
        batch_op.create_index(batch_op.f('ix_occurrences_live_id'), ['live_id'], unique=False)


def downgrade():
    with op.batch_alter_table('occurrences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_occurrences_live_id'))
        batch_op.drop_column('previous')
        batch_op.drop_column('announced')
        batch_op.drop_column('live_id')
