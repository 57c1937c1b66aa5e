"""Benchmark: how the sessions service's occurrence list grows with the number of series.

For 0, 100, 1,000 and 10,000 monthly series over one year (every tenth with a
moved occurrence), on SQLite and, with ``--postgres URL``, on a fresh
PostgreSQL database, it asks ``GET /api/v1/occurrences`` (an organizer, through
the app) for that year and for a year with nothing in it, and prints the
median time, the occurrences returned and the SQL statements run per request
(counted with SQLAlchemy's ``before_cursor_execute`` event). The goals: the
statements per request do not grow with the data, the cost grows with the rows
returned, and an empty window costs about what an empty table costs. It
prints; it asserts nothing (the statement count is asserted by
``tests/sessions/test_occurrence_growth.py``).

    .venv/bin/python bench/growth.py [--sizes 100,1000,10000] [--repeat 5]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text

UTC = timezone.utc
YEAR = ("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z")
EMPTY = ("2031-01-01T00:00:00Z", "2032-01-01T00:00:00Z")


def fresh_postgres(server_url: str) -> tuple[str, callable]:
    name = f"docbox_growth_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    base = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}", drop


def fill(app, count: int, program_id: str) -> None:
    """``count`` monthly series over 2027, written straight into the tables (spans as the service keeps them)."""
    from docbox_sessions.models import Series, SeriesException, db
    from docbox_sessions.operations import series_span

    at = datetime(2026, 12, 1, tzinfo=UTC)
    rows, moved = [], []
    for i in range(count):
        start_local = datetime(2027, 1, 1 + i % 28, 8 + i % 10, 0)
        state = {"id": uuid.uuid4().hex, "timezone": "America/New_York", "start_local": start_local,
                 "duration_minutes": 90, "rrule": "FREQ=MONTHLY;COUNT=12", "exceptions": []}
        if i % 10 == 0:
            day = start_local.replace(month=6).date()
            start = datetime(2027, 6, 28, 15, tzinfo=UTC)
            state["exceptions"] = [{"date": day, "start": start, "end": start + timedelta(minutes=90)}]
            moved.append(dict(series_id=state["id"], date=day, status="scheduled", start_dt=start,
                              end_dt=start + timedelta(minutes=90), updated_dt=at))
        span_start, span_end = series_span(state)
        rows.append(dict(id=state["id"], program_id=program_id, title=f"Circle {i}", description="",
                         format="in_person", location="Room 4", video_url=None, timezone=state["timezone"],
                         capacity=None, version=1, created_dt=at, updated_dt=at, start_local=start_local,
                         duration_minutes=90, rrule=state["rrule"], continues_series_id=None,
                         span_start_dt=span_start, span_end_dt=span_end))
    with app.app_context():
        for lo in range(0, len(rows), 1000):
            db.session.execute(insert(Series), rows[lo:lo + 1000])
        if moved:
            db.session.execute(insert(SeriesException), moved)
        db.session.commit()


def measure(label: str, database_url: str, sizes: list[int], repeat: int) -> None:
    import flask_migrate

    from docbox_sessions import MIGRATIONS, create_app
    from docbox_sessions.models import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "EVENT_SUBSCRIBERS": [],
                      "EVENT_SECRETS": ["growth-bench"]})
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        engine = db.engine
    out = app.test_cli_runner().invoke(args=["staff", "add", "organizer@example.org", "--role", "organizer"])
    headers = {"Authorization": f"Bearer {out.output.strip().splitlines()[-1]}"}
    client = app.test_client()
    program = client.post("/api/v1/programs", headers=headers, json={
        "name": "Growth", "timezone": "America/New_York", "default_format": "in_person",
        "default_location": "Room 4"}).get_json()
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: seen.append(statement))

    def ask(window) -> tuple[float, int, int]:
        times, rows, statements = [], 0, 0
        for _ in range(repeat):
            seen.clear()
            started = time.perf_counter()
            answer = client.get(f"/api/v1/occurrences?from={window[0]}&to={window[1]}", headers=headers)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            rows, statements = len(answer.get_json()), len(seen)
        return statistics.median(times), rows, statements

    print(f"\n{label}: GET /api/v1/occurrences, median of {repeat}")
    print(f"{'series':>8}{'year: s':>10}{'rows':>9}{'stmts':>7}{'us/row':>8}{'empty year: s':>15}{'stmts':>7}")
    done = 0
    for size in [0, *sizes]:
        fill(app, size - done, program["id"])
        done = size
        full, rows, statements = ask(YEAR)
        empty, _none, empty_statements = ask(EMPTY)
        per_row = f"{full / rows * 1e6:.0f}" if rows else "-"
        print(f"{size:>8}{full:>10.3f}{rows:>9}{statements:>7}{per_row:>8}{empty:>15.4f}{empty_statements:>7}",
              flush=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="numbers of series, ascending")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("DOCBOX_TEST_DATABASE_URL"),
                        help="a PostgreSQL server URL; a fresh database is made and dropped there")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    folder = Path(tempfile.mkdtemp(prefix="docbox-growth-"))
    measure("SQLite", f"sqlite:///{folder / 'sessions.sqlite'}", sizes, args.repeat)
    if args.postgres:
        url, drop = fresh_postgres(args.postgres)
        try:
            measure("PostgreSQL", url, sizes, args.repeat)
        finally:
            drop()
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
