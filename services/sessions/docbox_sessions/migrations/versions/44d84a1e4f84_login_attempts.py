"""login attempts: failed staff sign-ins under an HMAC of the account or address, for rate limiting

Revision ID: 44d84a1e4f84
Revises: 2017107cc52e
Create Date: 2026-11-25 21:51:57.684190

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '44d84a1e4f84'
down_revision = '2017107cc52e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('attempted_dt', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_attempted_dt'), ['attempted_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_key_hash'), ['key_hash'], unique=False)



def downgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_key_hash'))
        batch_op.drop_index(batch_op.f('ix_login_attempts_attempted_dt'))

    op.drop_table('login_attempts')
