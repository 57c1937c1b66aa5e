"""Counting the SQL statements a request runs: behaviour (no growth with the data), not timing."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(app):
    """Yields the list of statements ``app``'s engine executes inside the block."""
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
