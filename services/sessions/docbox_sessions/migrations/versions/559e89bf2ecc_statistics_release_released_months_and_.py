"""statistics release: released months and their numbers, frozen once published

Only what people without exact access may read, plus the counts each released row had
when it was released (so that later quarter and year rows sum the same frozen numbers).

Revision ID: 559e89bf2ecc
Revises: 44d84a1e4f84
Create Date: 2026-11-30 04:03:57.229680

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '559e89bf2ecc'
down_revision = '44d84a1e4f84'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('released_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('released_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('min_cell', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_released_months'))
    )
    op.create_table('released_numbers',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('program_id', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('release_month', sa.Date(), nullable=False),
    sa.Column('sessions_held', sa.Integer(), nullable=False),
    sa.Column('sessions_counted', sa.Integer(), nullable=False),
    sa.Column('in_person', sa.Integer(), nullable=False),
    sa.Column('virtual', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('in_person_withheld', sa.Boolean(), nullable=False),
    sa.Column('virtual_withheld', sa.Boolean(), nullable=False),
    sa.Column('total_withheld', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['release_month'], ['released_months.month'], name=op.f('fk_released_numbers_release_month_released_months')),
    sa.PrimaryKeyConstraint('period', 'program_id', 'format', name=op.f('pk_released_numbers'))
    )
    with op.batch_alter_table('released_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_released_numbers_release_month'), ['release_month'], unique=False)



def downgrade():
    with op.batch_alter_table('released_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_released_numbers_release_month'))

    op.drop_table('released_numbers')
    op.drop_table('released_months')
