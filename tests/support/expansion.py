"""The occurrence list as it was before it was stored (``docbox_sessions.listed``): every series
overlapping a window expanded in Python. The reference the stored list and the exact statistics are
compared with, so it must not call the code it checks."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from docbox_sessions.models import AttendanceCount, OneOffSession, Series, db
from docbox_sessions.states import series_state, session_state
from docbox_shared import recurrence


def expanded(start: datetime, end: datetime, program_id: str | None = None) -> list[recurrence.Occurrence]:
    """The former ``list_occurrences``, word for word: every series overlapping the window expanded in Python."""
    sessions = select(OneOffSession).where(OneOffSession.start_at < end, OneOffSession.end_at > start)
    series = (select(Series).where(Series.span_start_at < end, Series.span_end_at > start)
              .options(joinedload(Series.exceptions)))
    if program_id:
        sessions = sessions.where(OneOffSession.program_id == program_id)
        series = series.where(Series.program_id == program_id)
    result = [recurrence.occurrence("session", session_state(s)) for s in db.session.scalars(sessions)]
    for s in db.session.scalars(series).unique():
        result.extend(recurrence.expand("series", series_state(s, continuation=False), start, end))
    result.sort(key=lambda o: (o.start.astimezone(timezone.utc), o.id))
    return result


def counts_of(occurrence_ids) -> dict[str, AttendanceCount]:
    """The counts entered for these occurrences, by occurrence id."""
    ids = list(occurrence_ids)
    return {c.occurrence_id: c for c in db.session.scalars(
        select(AttendanceCount).where(AttendanceCount.occurrence_id.in_(ids)))} if ids else {}
