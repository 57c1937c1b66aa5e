"""parked deliveries: an event a subscriber refused as invalid is kept but not retried

Revision ID: 7c1e0d5a9b31
Revises: b5e2c0a9d871
Create Date: 2026-11-30 04:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e0d5a9b31'
down_revision = 'b5e2c0a9d871'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parked_dt', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.drop_column('parked_dt')
