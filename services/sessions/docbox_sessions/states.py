"""Entry states: a program, one-off session or series as its events carry it.

The fields of a state are the shared event schemas'
(:data:`docbox_shared.events.STATE_SCHEMAS`), read from the model's attribute
of the same name, or the one :data:`COLUMNS` names where the two differ
(``start``/``end`` are ``start_at``/``end_at`` here). So a column added to a model and a field of
the same name added to its schema reach every consumer: nothing here lists
an entry's fields. The values are Python values (aware datetimes, dates), as
:mod:`docbox_shared.recurrence` expands them; :func:`docbox_shared.events.dump_event`
dumps them with the same schemas.
"""

from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields
from sqlalchemy import select

from docbox_shared.events import STATE_SCHEMAS

from .models import Series, db

# State field -> model attribute, where the names differ.
COLUMNS = {"start": "start_at", "end": "end_at"}
# Fields that are no column of the entry: computed by :func:`series_state`, or (``deleted``) set only in
# the last event of an entry, which :mod:`.operations.deletion` publishes before the row goes.
DERIVED = {"continued_by_series_id", "deleted"}


@cache
def _reader(schema_class: type[Schema]) -> tuple[tuple[str, str, object], ...]:
    """``(field, attribute, reader of nested rows or None)`` for each field of a state schema."""
    result = []
    for name, field in schema_class().fields.items():
        if name in DERIVED:
            continue
        nested = None
        if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            nested = _reader(type(field.inner.schema))
        result.append((name, COLUMNS.get(name, name), nested))
    return tuple(result)


def _values(reader, row, given: dict | None = None) -> dict:
    """The fields of ``row``; ``given``: nested rows to read instead of the row's own, by field name."""
    given = given or {}
    return {name: [_values(nested, item) for item in (given[name] if name in given else getattr(row, attribute))]
            if nested else getattr(row, attribute) for name, attribute, nested in reader}


def program_state(program) -> dict:
    return _values(_reader(STATE_SCHEMAS["program"]), program)


def session_state(session) -> dict:
    return _values(_reader(STATE_SCHEMAS["session"]), session) | {"deleted": False}


def series_state(series: Series, continuation: bool = True, exceptions: list | None = None) -> dict:
    """The series as events carry it; ``continuation=False`` skips the query for the series that
    continues it (expanding occurrences does not need it: a listing stays one statement); ``exceptions``:
    the exception rows to give instead of all the series' (a listing reads only those of its window)."""
    given = {} if exceptions is None else {"exceptions": exceptions}
    state = _values(_reader(STATE_SCHEMAS["series"]), series, given) | {"deleted": False}
    # Consumers tell a split ("continued by") from an end: see operations.update_series.
    state["continued_by_series_id"] = db.session.scalar(
        select(Series.id).where(Series.continues_series_id == series.id)) if continuation else None
    return state


STATES = {"program": program_state, "session": session_state, "series": series_state}
