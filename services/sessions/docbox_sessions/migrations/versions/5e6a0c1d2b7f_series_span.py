"""series span: the first start and last end of each series' occurrences, so a listing reads only
the series overlapping its window (one query whatever the number of series)

Revision ID: 5e6a0c1d2b7f
Revises: 7c1e0d5a9b31
Create Date: 2026-11-30 04:10:00

"""
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = '5e6a0c1d2b7f'
down_revision = '7c1e0d5a9b31'
branch_labels = None
depends_on = None


DT = sa.DateTime(timezone=True)
series = sa.table('series', sa.column('id', sa.String), sa.column('timezone', sa.String),
                  sa.column('start_local', sa.DateTime()), sa.column('duration_minutes', sa.Integer),
                  sa.column('rrule', sa.String), sa.column('span_start_dt', DT), sa.column('span_end_dt', DT))
exceptions = sa.table('series_exceptions', sa.column('series_id', sa.String), sa.column('start_dt', DT),
                      sa.column('end_dt', DT))


def _aware(value):
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def upgrade():
    from docbox_sessions.operations import series_span

    op.add_column('series', sa.Column('span_start_dt', sa.DateTime(timezone=True), nullable=True))
    op.add_column('series', sa.Column('span_end_dt', sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    moved = {}
    for series_id, start, end in bind.execute(sa.select(exceptions.c.series_id, exceptions.c.start_dt,
                                                        exceptions.c.end_dt)):
        moved.setdefault(series_id, []).append({"start": _aware(start), "end": _aware(end)})
    for row in bind.execute(sa.select(series.c.id, series.c.timezone, series.c.start_local,
                                      series.c.duration_minutes, series.c.rrule)).mappings().all():
        first, last = series_span({**row, "exceptions": moved.get(row["id"], [])})
        if sqlite:  # stored naive in UTC there, as the models' UTCDateTime does
            first, last = first.replace(tzinfo=None), last.replace(tzinfo=None)
        bind.execute(sa.update(series).where(series.c.id == row["id"]).values(span_start_dt=first, span_end_dt=last))
    # Left nullable: making them NOT NULL would rebuild the table on SQLite, which its foreign keys
    # refuse once exceptions exist. Every change of a series sets them (operations._publish).
    op.create_index(op.f('ix_series_span_start_dt'), 'series', ['span_start_dt'], unique=False)
    op.create_index(op.f('ix_series_span_end_dt'), 'series', ['span_end_dt'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_series_span_end_dt'), table_name='series')
    op.drop_index(op.f('ix_series_span_start_dt'), table_name='series')
    op.drop_column('series', 'span_end_dt')  # SQLite 3.35+ drops a column in place
    op.drop_column('series', 'span_start_dt')
