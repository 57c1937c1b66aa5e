"""held_occurrences, held_months, held_month_cells: every occurrence that takes place, stored, and the
sums of ended months, so exact statistics are summed in SQL instead of expanding every series
(docbox_sessions.held); the occurrences are filled here from the existing entries, the sums by the relay

Revision ID: e1f2a3b4c5d6
Revises: d8a4f1c2b9e3
Create Date: 2026-11-30 15:00:00

"""
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = 'e1f2a3b4c5d6'
down_revision = 'd8a4f1c2b9e3'
branch_labels = None
depends_on = None

DT = sa.DateTime(timezone=True)
COMMON = ('id', 'program_id', 'title', 'format', 'timezone', 'location', 'video_url')
series = sa.table('series', *(sa.column(c) for c in COMMON), sa.column('start_local', sa.DateTime()),
                  sa.column('duration_minutes', sa.Integer), sa.column('rrule', sa.String))
sessions = sa.table('one_off_sessions', *(sa.column(c) for c in COMMON), sa.column('start_dt', DT),
                    sa.column('end_dt', DT), sa.column('status'), sa.column('cancel_reason'))
exceptions = sa.table('series_exceptions', sa.column('series_id'), sa.column('date', sa.Date), sa.column('status'),
                      sa.column('start_dt', DT), sa.column('end_dt', DT), sa.column('location'),
                      sa.column('video_url'), sa.column('cancel_reason'))


def _aware(value):
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def upgrade():
    from docbox_sessions.derived import occurrences
    from docbox_sessions.held import rows

    table = op.create_table(
        'held_occurrences',
        sa.Column('occurrence_id', sa.String(length=48), nullable=False),
        sa.Column('entry_id', sa.String(length=32), nullable=False),
        sa.Column('program_id', sa.String(length=32), nullable=False),
        sa.Column('format', sa.String(length=20), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('start_dt', DT, nullable=False),
        sa.PrimaryKeyConstraint('occurrence_id', name=op.f('pk_held_occurrences')))
    op.create_index(op.f('ix_held_occurrences_entry_id'), 'held_occurrences', ['entry_id'], unique=False)
    op.create_index('ix_held_occurrences_month', 'held_occurrences', ['month', 'program_id', 'format', 'start_dt'],
                    unique=False)
    op.create_index(op.f('ix_held_occurrences_start_dt'), 'held_occurrences', ['start_dt'], unique=False)
    months = op.create_table(
        'held_months',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('summed', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_held_months')))
    op.create_table(
        'held_month_cells',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('program_id', sa.String(length=32), nullable=False),
        sa.Column('format', sa.String(length=20), nullable=False),
        sa.Column('sessions_held', sa.Integer(), nullable=False),
        sa.Column('sessions_counted', sa.Integer(), nullable=False),
        sa.Column('in_person', sa.Integer(), nullable=False),
        sa.Column('virtual', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['month'], ['held_months.month'],
                                name=op.f('fk_held_month_cells_month_held_months')),
        sa.PrimaryKeyConstraint('month', 'program_id', 'format', name=op.f('pk_held_month_cells')))
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    moved = {}
    for row in bind.execute(sa.select(exceptions)).mappings():
        moved.setdefault(row['series_id'], []).append(
            {**row, 'start': _aware(row['start_dt']), 'end': _aware(row['end_dt'])})
    values = []
    for row in bind.execute(sa.select(sessions)).mappings():
        values += rows(occurrences('session', {**row, 'start': _aware(row['start_dt']), 'end': _aware(row['end_dt'])}))
    for row in bind.execute(sa.select(series)).mappings():
        values += rows(occurrences('series', {**row, 'exceptions': moved.get(row['id'], [])}))
    for value in values:
        value['start_dt'] = value.pop('start_at').astimezone(timezone.utc)
        if sqlite:  # stored naive in UTC there, as the models' UTCDateTime does
            value['start_dt'] = value['start_dt'].replace(tzinfo=None)
    for lo in range(0, len(values), 5000):
        bind.execute(sa.insert(table), values[lo:lo + 5000])
    if values:  # to be summed by the relay
        bind.execute(sa.insert(months), [{'month': m, 'version': 1} for m in sorted({v['month'] for v in values})])


def downgrade():
    op.drop_table('held_month_cells')
    op.drop_table('held_months')
    op.drop_index(op.f('ix_held_occurrences_start_dt'), table_name='held_occurrences')
    op.drop_index('ix_held_occurrences_month', table_name='held_occurrences')
    op.drop_index(op.f('ix_held_occurrences_entry_id'), table_name='held_occurrences')
    op.drop_table('held_occurrences')
