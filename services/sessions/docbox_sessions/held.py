"""The occurrences that take place, stored: what organizers' exact statistics count, summed in SQL.

Every one-off session and series keeps one row per occurrence that is not
cancelled: its id, program, format, start, and the month of its local start in
its own zone (where the statistics count it). A series has at most
:data:`docbox_shared.recurrence.MAX_OCCURRENCES` occurrences within ten years,
so the rows are finite and every one is stored, past and future.

The rows are rewritten from the entry's state wherever a change is published
(:func:`.operations.states._publish`: created, edited, split, ended, moved,
cancelled, restored, deleted), in the same transaction as the change, so they
are never older than the entry. Whether an occurrence is *held* (it has
started) is asked when the statistics are read, and its count is joined then:
a count entered a moment ago is in the next answer. The month is worked out by
:mod:`docbox_shared.recurrence` when the row is written, so a daylight-saving
change years ahead puts an occurrence in the month the expansion does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, insert, select

from docbox_shared import recurrence

from .models import AttendanceCount, HeldOccurrence, db


def rows(kind: str, state: dict) -> list[dict]:
    """The rows of one entry's occurrences that are not cancelled (none for a deleted entry)."""
    if kind == "session":
        occurrences = [recurrence.occurrence("session", state)]
    elif kind == "series":
        from .operations.states import series_span
        first, last = series_span(state)
        occurrences = recurrence.expand("series", state, first - timedelta(days=1), last + timedelta(days=1))
    else:
        return []
    return [dict(occurrence_id=o.id, entry_id=o.entry_id, program_id=o.program_id, format=o.format,
                 month=f"{o.start:%Y-%m}", start_at=o.start) for o in occurrences if o.status != "cancelled"]


def store(kind: str, state: dict) -> None:
    """Rewrite one entry's rows from its state (not committed); a state marked deleted leaves none."""
    if kind not in ("session", "series"):
        return
    db.session.execute(delete(HeldOccurrence).where(HeldOccurrence.entry_id == state["id"]))
    values = rows(kind, state)
    if values:
        db.session.execute(insert(HeldOccurrence), values)


def cells(first: date, last: date, moment: datetime, program_id: str | None = None) -> list[tuple]:
    """``(month, program id, format, held, counted, in person, virtual)`` of the occurrences held by
    ``moment`` whose local month is ``first`` to ``last``: one statement, summed by the database."""
    count = AttendanceCount
    query = (select(HeldOccurrence.month, HeldOccurrence.program_id, HeldOccurrence.format, func.count(),
                    func.count(count.occurrence_id), func.coalesce(func.sum(count.in_person), 0),
                    func.coalesce(func.sum(count.virtual), 0))
             .outerjoin(count, count.occurrence_id == HeldOccurrence.occurrence_id)
             .where(HeldOccurrence.month.between(f"{first:%Y-%m}", f"{last:%Y-%m}"), HeldOccurrence.start_at <= moment)
             .group_by(HeldOccurrence.month, HeldOccurrence.program_id, HeldOccurrence.format))
    if program_id:
        query = query.where(HeldOccurrence.program_id == program_id)
    return list(db.session.execute(query))
