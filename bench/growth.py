"""Benchmark: how the sessions service's occurrence list and statistics grow with the data.

For 0, 100, 1,000 and 10,000 monthly series running five years (2027-2031;
every tenth with a moved occurrence and attendance counted at each of its
occurrences), each size on a fresh database, SQLite and, with ``--postgres
URL``, PostgreSQL, it asks through the app (the clock set to March 2032, so
everything is held):

- ``GET /api/v1/occurrences`` (an organizer) for one month with data (one
  occurrence per series) and for a year with nothing in it;
- ``GET /api/v1/stats/attendance`` as an organizer (exact, live) over the five
  years before the relay ran (every month summed from the stored occurrences);
- then the sessions relay's passes (``release.release_pass``, timed here): it
  releases the 63 due months and sums the ended months ahead
  (``held.settle``);
- then the list, the organizer's statistics over one year, five years and a
  year before any data, and as a viewer the same five years (the first
  request, then later ones) and the year before any data. The viewer reads the
  release and releases nothing.

It prints the median time, the rows or held occurrences behind each answer,
the microseconds per row, the SQL statements per request (SQLAlchemy's
``before_cursor_execute``) and any answer that was not 200. The peer is the
same request on the empty table, asked in turn with it (that database stays
open through the run, so both meet the same load on a shared machine): an
empty window should cost about as much (ratio ~1), the cost per row should not
rise with size, the statements per request should not grow, and every size
should answer 200 (no 503). It prints; it asserts nothing (the statement count
of the list and the statistics over more held occurrences than PostgreSQL
takes parameters are behaviour tests under ``tests/sessions/``). A request
that takes long is repeated only while the repeats of that request stay under
``--budget`` seconds (at least once).

    .venv/bin/python bench/growth.py [--sizes 100,1000,10000] [--repeat 3] [--budget 20]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--no-sqlite] [--release-up-to 10000]
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

from sqlalchemy import event

from _common import fresh_postgres

UTC = timezone.utc
YEARS = 5
NOW = datetime(2032, 3, 1, tzinfo=UTC)
MONTH = "from=2029-06-01T00:00:00Z&to=2029-07-01T00:00:00Z"
EMPTY_YEAR = "from=2035-01-01T00:00:00Z&to=2036-01-01T00:00:00Z"
STATS_YEAR = "from=2029-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&group_by=month"
STATS_ALL = "from=2027-01-01T00:00:00Z&to=2032-01-01T00:00:00Z&group_by=month"
STATS_EMPTY = "from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z&group_by=month"


def fill(app, count: int, program_id: str) -> None:
    """``count`` monthly series over five years, written straight into the tables (spans and stored occurrences
    as the service keeps them, in bulk as the kit's ``insert_many`` writes them); every tenth has its June 2027
    occurrence moved and a count at each of its occurrences."""
    from docbox_sessions import derived, held, listed
    from docbox_sessions.models import AttendanceCount, HeldOccurrence, ListedOccurrence, Series, SeriesException, db
    from docbox_sessions.operations import series_span
    from docbox_shared.database import insert_many

    at = datetime(2026, 12, 1, tzinfo=UTC)
    rows, moved, counts, occurrences, times = [], [], [], [], []
    shapes = {}  # 140 shapes of series (start, moved) repeat: each is expanded once, its rows copied per series
    for i in range(count):
        start_local = datetime(2027, 1, 1 + i % 28, 8 + i % 10, 0)
        series_id = uuid.uuid4().hex
        state = {"id": "shape", "timezone": "America/New_York", "start_local": start_local,
                 "duration_minutes": 90, "rrule": f"FREQ=MONTHLY;COUNT={12 * YEARS}", "exceptions": []}
        if i % 10 == 0:
            day = start_local.replace(month=6).date()
            start = datetime(2027, 6, 28, 15, tzinfo=UTC)
            state["exceptions"] = [{"date": day, "start": start, "end": start + timedelta(minutes=90),
                                    "status": "scheduled"}]
            moved.append(dict(series_id=series_id, date=day, status="scheduled", start_at=start,
                              end_at=start + timedelta(minutes=90), updated_at=at))
            counts += [dict(occurrence_id=f"{series_id}_{2027 + m // 12}{m % 12 + 1:02d}{start_local.day:02d}",
                            in_person=i % 7, virtual=None, recorded_at=at) for m in range(12 * YEARS)]
        key = (start_local, i % 10 == 0)
        if key not in shapes:
            entry = {**state, "program_id": program_id, "title": "", "format": "in_person"}
            span = series_span(state)
            found = derived.occurrences("series", entry, span)
            shapes[key] = span, held.rows(found), listed.rows(found)
        (span_start, span_end), shape, shape_times = shapes[key]
        occurrences += [{**o, "occurrence_id": series_id + o["occurrence_id"][len("shape"):], "entry_id": series_id}
                        for o in shape]
        times += [{**o, "occurrence_id": series_id + o["occurrence_id"][len("shape"):], "entry_id": series_id}
                  for o in shape_times]
        rows.append(dict(id=series_id, program_id=program_id, title=f"Circle {i}", description="",
                         format="in_person", location="Room 4", video_url=None, timezone=state["timezone"],
                         capacity=None, version=1, created_at=at, updated_at=at, start_local=start_local,
                         duration_minutes=90, rrule=state["rrule"], continues_series_id=None,
                         span_start_at=span_start, span_end_at=span_end))
    with app.app_context():
        for model, values in ((Series, rows), (SeriesException, moved), (AttendanceCount, counts),
                              (HeldOccurrence, occurrences), (ListedOccurrence, times)):
            if values:
                names = {key: model.__mapper__.c[key].key for key in values[0]}  # start_at -> start_dt
                insert_many(db.session, model.__table__, [{names[k]: v for k, v in row.items()} for row in values])
        held.changed({o["month"] for o in occurrences})   # their months, for the relay to sum
        db.session.commit()


class Service:
    """The sessions app on a fresh, migrated database, with an organizer's and a viewer's token."""

    def __init__(self, database_url: str):
        import flask_migrate

        from docbox_sessions import MIGRATIONS, create_app
        from docbox_sessions.models import db

        self.app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "EVENT_SUBSCRIBERS": [],
                               "EVENT_SECRETS": ["growth-bench"], "CLOCK": lambda: NOW, "LOG_LEVEL": "WARNING"})
        with self.app.app_context():
            flask_migrate.upgrade(directory=MIGRATIONS)
            engine = db.engine
        self.headers = {}
        for role in ("organizer", "viewer"):
            out = self.app.test_cli_runner().invoke(args=["staff", "add", f"{role}@example.org", "--role", role])
            self.headers[role] = {"Authorization": f"Bearer {out.output.strip().splitlines()[-1]}"}
        self.client = self.app.test_client()
        self.program = self.client.post("/api/v1/programs", headers=self.headers["organizer"], json={
            "name": "Growth", "timezone": "America/New_York", "default_format": "in_person",
            "default_location": "Room 4"}).get_json()
        self.client.get("/api/v1/occurrences", headers=self.headers["organizer"])  # warm-up: not measured
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: self.seen.append(statement))

    def ask(self, path: str, role: str, repeat: int, budget: float, peer: Service | None = None) -> dict:
        """Median time, rows (occurrences listed, or sessions held), statements and non-200 statuses; with a
        ``peer``, the same request to it before each of these, and its median time."""
        times, statuses, peer_times = [], set(), []
        rows = statements = 0
        while len(times) < repeat and (not times or sum(times) < budget):
            if peer:
                peer_times.append(peer.ask(path, role, 1, budget)["s"])
            self.seen.clear()
            started = time.perf_counter()
            answer = self.client.get(path, headers=self.headers[role])
            times.append(time.perf_counter() - started)
            statements = len(self.seen)
            if answer.status_code != 200:
                statuses.add(answer.status_code)
                continue
            body = answer.get_json()
            rows = len(body) if isinstance(body, list) else body["totals"]["sessions_held"]
        return dict(s=statistics.median(times), first=times[0], rows=rows, statements=statements, runs=len(times),
                    errors=sorted(statuses), peer=statistics.median(peer_times) if peer else None)

    def release_ahead(self) -> float:
        """What the sessions relay does in the background: release every due month (its passes, timed)."""
        from docbox_sessions.release import release_pass

        started = time.perf_counter()
        with self.app.app_context():
            while release_pass():
                pass
        return time.perf_counter() - started

    def close(self) -> None:
        from docbox_sessions.models import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


REQUESTS = [  # (column, path, role)
    ("stats 5 years, rows", f"/api/v1/stats/attendance?{STATS_ALL}", "organizer"),   # before the relay's pass
    ("relay", None, None),
    ("list month", f"/api/v1/occurrences?{MONTH}", "organizer"),
    ("list empty year", f"/api/v1/occurrences?{EMPTY_YEAR}", "organizer"),
    ("stats 1 year", f"/api/v1/stats/attendance?{STATS_YEAR}", "organizer"),
    ("stats 5 years", f"/api/v1/stats/attendance?{STATS_ALL}", "organizer"),
    ("stats empty year", f"/api/v1/stats/attendance?{STATS_EMPTY}", "organizer"),
    ("viewer 5 years", f"/api/v1/stats/attendance?{STATS_ALL}", "viewer"),
    ("viewer empty year", f"/api/v1/stats/attendance?{STATS_EMPTY}", "viewer"),
]
# No rows at any size: the same request on the empty table is their peer.
EMPTY_WINDOWS = ("list empty year", "stats empty year", "viewer empty year")


def measure(label: str, make_database, sizes: list[int], repeat: int, budget: float, release_up_to: int) -> None:
    print(f"\n{label}: median of up to {repeat} (fewer past {budget:.0f} s); s = seconds, rows = occurrences "
          f"listed or sessions held, us/row, st = SQL statements per request", flush=True)
    print(f"{'series':>7} | " + " | ".join(f"{name:^27}" for name, _p, _r in REQUESTS))
    empty = None   # the empty table's service: the peer of every empty window, asked in turn with it
    try:
        for size in [0, *sizes]:
            url, drop = make_database()
            try:
                service = Service(url)
                if size == 0:
                    empty, drop_empty = service, drop
                fill(service.app, size, service.program["id"])
                print(f"{size:>7} | " + " | ".join(_cells(service, size, empty, repeat, budget, release_up_to)),
                      flush=True)
                if size:
                    service.close()
            finally:
                if size or not empty:
                    drop()
    finally:
        if empty:
            empty.close()
            drop_empty()


def _cells(service: Service, size: int, empty: Service, repeat: int, budget: float, release_up_to: int) -> list[str]:
    cells = []
    for name, path, role in REQUESTS:
        if name == "relay":
            if size > release_up_to:
                cells.append(f"not run (over --release-up-to {release_up_to})")
                continue
            # the relay's passes: the release's 63 months and the sums of the ended months
            cells.append(f"relay's passes {service.release_ahead():.1f}s")
            continue
        if name == "viewer 5 years":
            if size > release_up_to:
                cells.append("not measured")
                continue
            first = service.ask(path, role, 1, budget)   # the first viewer after the release
            cells.append(f"first {first['s']:.3f}s st {first['statements']}")
        result = service.ask(path, role, repeat, budget, peer=empty if size and name in EMPTY_WINDOWS else None)
        if result["rows"]:
            per_row = f"{result['s'] / result['rows'] * 1e6:.0f}us"
        elif result["peer"]:
            per_row = f"x{result['s'] / result['peer']:.2f} empty table ({result['peer']:.3f}s beside)"
        else:
            per_row = "empty table"
        error = f" ANSWERED {result['errors']}" if result["errors"] else ""
        cells.append(f"{result['s']:.3f}s {result['rows']} {per_row} st {result['statements']}{error}")
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="numbers of series, ascending")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of repeats per request and size")
    parser.add_argument("--postgres", default=os.environ.get("DOCBOX_TEST_DATABASE_URL"),
                        help="a PostgreSQL server URL; a fresh database is made and dropped there for each size")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--release-up-to", type=int, default=10000,
                        help="largest size whose viewer columns are measured (the relay's background release of 63 "
                             "months sums the stored occurrences, a year of months a statement)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    folder = Path(tempfile.mkdtemp(prefix="docbox-growth-"))
    if not args.no_sqlite:
        files = iter(range(1_000_000))
        measure("SQLite", lambda: (f"sqlite:///{folder / f'sessions-{next(files)}.sqlite'}", lambda: None),
                sizes, args.repeat, args.budget, args.release_up_to)
    if args.postgres:
        measure("PostgreSQL", lambda: fresh_postgres(args.postgres), sizes, args.repeat, args.budget, args.release_up_to)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
