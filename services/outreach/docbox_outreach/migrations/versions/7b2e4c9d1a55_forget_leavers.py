"""forget on schedule: members marked as left say when (they are deleted some days later, their supporter
record with them), and a draft counts the swaps and moves made by hand (computing it again drops them, and
says so)

Revision ID: 7b2e4c9d1a55
Revises: 3c1d7e9a2b40
Create Date: 2026-11-30 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import docbox_shared.clock


# revision identifiers, used by Alembic.
revision = '7b2e4c9d1a55'
down_revision = '3c1d7e9a2b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', docbox_shared.clock.UTCDateTime(timezone=True), nullable=True))
    # Who left before this knew no date: their days start now (never earlier than the operator could see).
    op.execute(sa.text("UPDATE members SET left_at = CURRENT_TIMESTAMP WHERE active = :no").bindparams(no=False))
    with op.batch_alter_table('oneonone_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes_by_hand', sa.Integer(), nullable=False, server_default='0'))
    _supporter_member(ondelete='CASCADE')


def _supporter_member(**options):
    with op.batch_alter_table('case_supporters', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_supporters_member_id_members', type_='foreignkey')
        batch_op.create_foreign_key('fk_case_supporters_member_id_members', 'members', ['member_id'], ['id'],
                                    **options)


def downgrade():
    _supporter_member()
    with op.batch_alter_table('oneonone_rounds', schema=None) as batch_op:
        batch_op.drop_column('changes_by_hand')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('left_at')
