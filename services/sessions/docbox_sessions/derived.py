"""What the tables of occurrences derived from an entry share: :mod:`.held` (what the statistics count) and
:mod:`.listed` (what the occurrence list reads). Each keeps one row per occurrence of a one-off session or
series, rewritten from the entry's state wherever a change is published
(:func:`.operations.states._publish`), in the same transaction.

Words: a series' *span* is the earliest start and latest end of its occurrences, moved and cancelled ones
included. The entry's occurrences are expanded once per change (:func:`occurrences`) and each table makes its
rows from them; :func:`rewrite` then touches only the rows that differ.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select

from docbox_shared import recurrence

from .models import db

UTC = timezone.utc


def series_span(state: dict) -> tuple[datetime, datetime]:
    """The earliest start and latest end of a series' occurrences, moved and cancelled ones included.

    Every occurrence lies within it, so a window this span does not overlap holds none of them.
    """
    tz = recurrence.zone(state["timezone"])
    duration = timedelta(minutes=state["duration_minutes"])
    dates = recurrence.rule_dates(state) or [state["start_local"]]
    starts = [recurrence.localize(dates[0], tz)]
    ends = [recurrence.localize(dates[-1], tz) + duration]
    for exc in state.get("exceptions", []):
        if exc.get("start") and exc.get("end"):
            starts.append(exc["start"])
            ends.append(exc["end"])
    return min(starts).astimezone(UTC), max(ends).astimezone(UTC)


def occurrences(kind: str, state: dict, span: tuple[datetime, datetime] | None = None) -> list[recurrence.Occurrence]:
    """Every occurrence of a one-off session or series, cancelled ones too (none for a deleted entry or a
    program); ``span``: the series' span where the caller has it already."""
    if state.get("deleted"):
        return []
    if kind == "session":
        return [recurrence.occurrence("session", state)]
    if kind != "series":
        return []
    first, last = span or series_span(state)
    return recurrence.expand("series", state, first - timedelta(days=1), last + timedelta(days=1))


def rewrite(model, entry_id: str, rows: list[dict]) -> tuple[list, list[dict]]:
    """Bring one entry's stored rows of ``model`` to ``rows`` (not committed), by ``occurrence_id``: a row is
    deleted and inserted again only where a column other than the ids differs, deleted where it is not in
    ``rows`` and inserted where it is new. Returns the stored rows deleted and the rows inserted."""
    compared = [c.key for c in model.__mapper__.column_attrs if c.key not in ("occurrence_id", "entry_id")]
    old = {r.occurrence_id: r for r in db.session.execute(
        select(model.occurrence_id, *(getattr(model, k) for k in compared)).where(model.entry_id == entry_id))}
    new = {r["occurrence_id"]: r for r in rows}
    gone = {i: r for i, r in old.items()
            if i not in new or tuple(getattr(r, k) for k in compared) != tuple(new[i][k] for k in compared)}
    added = [r for i, r in new.items() if i not in old or i in gone]
    if gone:
        db.session.execute(delete(model).where(model.occurrence_id.in_(list(gone))))
    if added:
        db.session.execute(insert(model), added)
    return list(gone.values()), added
