"""notifications: the occurrences each weekly digest listed

A digest tells its reader of the sessions it lists, as a reminder does, so
deleting one of them sends that reader a cancellation.

Revision ID: 9c4e1f7a2b30
Revises: 5b0c7d2e9a41
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c4e1f7a2b30'
down_revision = '5b0c7d2e9a41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('digest_lines',
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_id', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_digest_lines_delivery_id_deliveries'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delivery_id', 'occurrence_id', name=op.f('pk_digest_lines'))
    )
    with op.batch_alter_table('digest_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_lines_occurrence_id'), ['occurrence_id'], unique=False)


def downgrade():
    with op.batch_alter_table('digest_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_lines_occurrence_id'))
    op.drop_table('digest_lines')
