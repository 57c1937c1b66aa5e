"""listed_occurrences: when every occurrence takes place, cancelled ones too, so the occurrence list reads
its window from an index instead of expanding every series (docbox_sessions.listed); filled here from the
existing entries

Revision ID: a7c3e9f1d2b4
Revises: e1f2a3b4c5d6
Create Date: 2026-11-30 19:00:00

"""
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = 'a7c3e9f1d2b4'
down_revision = 'e1f2a3b4c5d6'
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
    from docbox_sessions.listed import rows

    table = op.create_table(
        'listed_occurrences',
        sa.Column('occurrence_id', sa.String(length=48), nullable=False),
        sa.Column('entry_id', sa.String(length=32), nullable=False),
        sa.Column('program_id', sa.String(length=32), nullable=False),
        sa.Column('recurrence_date', sa.Date(), nullable=True),
        sa.Column('start_dt', DT, nullable=False),
        sa.Column('end_dt', DT, nullable=False),
        sa.PrimaryKeyConstraint('occurrence_id', name=op.f('pk_listed_occurrences')))
    op.create_index(op.f('ix_listed_occurrences_entry_id'), 'listed_occurrences', ['entry_id'], unique=False)
    op.create_index('ix_listed_occurrences_program', 'listed_occurrences', ['program_id', 'start_dt'], unique=False)
    op.create_index(op.f('ix_listed_occurrences_start_dt'), 'listed_occurrences', ['start_dt'], unique=False)
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
        for name in ('start', 'end'):
            value[f'{name}_dt'] = value.pop(f'{name}_at').astimezone(timezone.utc)
            if sqlite:  # stored naive in UTC there, as the models' UTCDateTime does
                value[f'{name}_dt'] = value[f'{name}_dt'].replace(tzinfo=None)
    for lo in range(0, len(values), 5000):
        bind.execute(sa.insert(table), values[lo:lo + 5000])


def downgrade():
    op.drop_index(op.f('ix_listed_occurrences_start_dt'), table_name='listed_occurrences')
    op.drop_index('ix_listed_occurrences_program', table_name='listed_occurrences')
    op.drop_index(op.f('ix_listed_occurrences_entry_id'), table_name='listed_occurrences')
    op.drop_table('listed_occurrences')
