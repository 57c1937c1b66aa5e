"""programs: what to expect (plain text) and a contact address, shown to faculty

Revision ID: d4a8e1f0b2c3
Revises: d4a7e2b91c58
Create Date: 2026-11-30 11:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd4a8e1f0b2c3'
down_revision = 'd4a7e2b91c58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('what_to_expect', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy would drop and recreate programs,
    # which SQLite's enforced foreign keys refuse (sessions and series reference it).
    op.execute('ALTER TABLE programs DROP COLUMN contact_email')
    op.execute('ALTER TABLE programs DROP COLUMN what_to_expect')
