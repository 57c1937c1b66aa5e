"""feed bodies: each feed variant's rendered body and validators, stored once for all workers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 04:20:00

Existing feeds get their variant on their first request; nothing to fill here.
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_bodies',
    sa.Column('variant', sa.String(length=64), nullable=False),
    sa.Column('program_ids', sa.JSON(), nullable=False),
    sa.Column('hide_cancelled', sa.Boolean(), nullable=False),
    sa.Column('alarm_minutes_before', sa.Integer(), nullable=True),
    sa.Column('staff_created', sa.Boolean(), nullable=False),
    sa.Column('render_key', sa.String(length=100), nullable=True),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('variant')
    )
    op.create_table('feed_body_programs',
    sa.Column('program_id', sa.String(length=64), nullable=False),
    sa.Column('variant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['variant'], ['feed_bodies.variant'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('program_id', 'variant')
    )
    op.add_column('feeds', sa.Column('variant', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('feeds', 'variant')
    op.drop_table('feed_body_programs')
    op.drop_table('feed_bodies')
