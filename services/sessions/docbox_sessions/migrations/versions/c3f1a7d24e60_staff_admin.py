"""staff administration: last sign-in, token names and last use, invitation/reset links, staff mail queue

Revision ID: c3f1a7d24e60
Revises: 5e6a0c1d2b7f
Create Date: 2026-11-30 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c3f1a7d24e60'
down_revision = '5e6a0c1d2b7f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_dt', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('last_used_dt', sa.DateTime(timezone=True), nullable=True))
    op.create_table('staff_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_dt', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_links_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_links_token_hash'))
    )
    with op.batch_alter_table('staff_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_links_staff_id'), ['staff_id'], unique=False)
    op.create_table('staff_mail',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_mail')),
    sa.UniqueConstraint('key', name=op.f('uq_staff_mail_key'))
    )
    with op.batch_alter_table('staff_mail', schema=None) as batch_op:
        batch_op.create_index('ix_staff_mail_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_staff_mail_status_lease', ['status', 'lease_until'], unique=False)


def downgrade():
    op.drop_table('staff_mail')
    op.drop_table('staff_links')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy would drop and recreate the
    # tables, which SQLite's enforced foreign keys refuse for staff (referenced by other tables).
    op.execute('ALTER TABLE api_tokens DROP COLUMN last_used_dt')
    op.execute('ALTER TABLE api_tokens DROP COLUMN name')
    op.execute('ALTER TABLE staff DROP COLUMN last_login_dt')
