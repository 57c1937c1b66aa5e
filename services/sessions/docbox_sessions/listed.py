"""When every occurrence takes place, stored: what the occurrence list reads a window from.

Every one-off session and series keeps one row per occurrence, cancelled ones
included (:class:`.models.ListedOccurrence`): its id, entry, program, rule date
and the instants it starts and ends, as :mod:`docbox_shared.recurrence` expands
them. Like :mod:`.held`'s rows, they are rewritten from the entry's state
wherever a change is published, in the same transaction; a deleted entry has none.

A list reads the rows of its window through the index on their start (an
occurrence lasts at most a day), joined with their entries and with the
exceptions of their own days, and makes each occurrence from these without
running the rule: two statements, and work that grows with the occurrences
listed, not with the series or their exceptions.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, select

from docbox_shared import recurrence

from .derived import rewrite
from .models import ListedOccurrence, OneOffSession, Series, SeriesException, db
from .states import series_state, session_state

LONGEST = timedelta(hours=24)  # an occurrence's length at most (operations.checks.MAX_SESSION_LENGTH, a series' 24 * 60 minutes)


def rows(occurrences: list[recurrence.Occurrence]) -> list[dict]:
    """The rows of one entry's occurrences (:func:`.derived.occurrences`), cancelled ones too."""
    return [dict(occurrence_id=o.id, entry_id=o.entry_id, program_id=o.program_id, recurrence_date=o.recurrence_date,
                 start_at=o.start, end_at=o.end) for o in occurrences]


def store(entry_id: str, occurrences: list[recurrence.Occurrence]) -> None:
    """Bring one entry's rows to its occurrences (not committed): only the rows that differ are rewritten."""
    rewrite(ListedOccurrence, entry_id, rows(occurrences))


def within(start: datetime, end: datetime, program_id: str | None = None) -> list:
    """Conditions on :class:`.models.ListedOccurrence`: it overlaps [start, end) (read by the index on its start)."""
    listed = ListedOccurrence
    return [listed.start_at < end, listed.start_at > start - LONGEST, listed.end_at > start,
            *([listed.program_id == program_id] if program_id else [])]


def window(start: datetime, end: datetime, program_id: str | None = None) -> list[tuple]:
    """``(occurrence, entry, exception row or None)`` for each occurrence overlapping [start, end), cancelled
    ones too, soonest first."""
    listed = ListedOccurrence
    sessions = (select(OneOffSession).join(listed, listed.occurrence_id == OneOffSession.id)
                .where(*within(start, end, program_id)))
    series = (select(Series, listed.recurrence_date, SeriesException).join(listed, listed.entry_id == Series.id)
              .outerjoin(SeriesException, and_(SeriesException.series_id == listed.entry_id,
                                               SeriesException.date == listed.recurrence_date))
              .where(*within(start, end, program_id)))
    result = [(recurrence.occurrence("session", session_state(s)), s, None) for s in db.session.scalars(sessions)]
    for entry, day, exc in db.session.execute(series):
        state = series_state(entry, continuation=False, exceptions=[exc] if exc else [])
        result.append((recurrence.series_occurrence(state, day), entry, exc))
    result.sort(key=lambda r: (r[0].start.astimezone(timezone.utc), r[0].id))  # one zone compares wall clocks: 01:30 twice
    return result
