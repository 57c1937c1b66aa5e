"""staff login stamp: a random value per staff member bound into the web login cookie

Before it, the cookie's check value was derived from the password hash, a
constant for a staff member without a password. Every existing member gets a
fresh random stamp, which signs out every browser once.

Revision ID: b5e2c0a9d871
Revises: 559e89bf2ecc
Create Date: 2026-11-30 04:20:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = 'b5e2c0a9d871'
down_revision = '559e89bf2ecc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('login_stamp', sa.String(length=32), nullable=True))
    staff = sa.table('staff', sa.column('id', sa.Integer), sa.column('login_stamp', sa.String))
    conn = op.get_bind()
    for (staff_id,) in conn.execute(sa.select(staff.c.id)).all():
        conn.execute(staff.update().where(staff.c.id == staff_id).values(login_stamp=secrets.token_hex(16)))
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.alter_column('login_stamp', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('login_stamp')
