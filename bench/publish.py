"""Benchmark: what publishing a change to a long series costs, against the same change to a one-off session.

Every published change rewrites the entry's stored occurrences (``held`` and ``listed``, in the same
transaction), so a change to a series expands it. Through the app, on a fresh database (SQLite and, with
``--postgres URL``, PostgreSQL), the clock set before anything starts (so an edit never splits a series), it
times, in turn within each round:

- ``series title``: ``PATCH /api/v1/series/<id>`` of a weekly series over five years (260 occurrences), its
  title only (every occurrence stays: nothing of the stored rows is rewritten);
- ``series start``: the same series moved by half an hour and back (every stored row is rewritten);
- ``session title`` (the peer): ``PATCH /api/v1/sessions/<id>``, a one-off session's title.

It prints the median wall time and CPU time (``time.process_time``: this process only, less noisy on a shared
machine) per request, their ratio against the peer, and the load average before and after. It prints; it
asserts nothing. To compare two trees, run it in each (or put one tree's ``services/sessions`` and ``shared``
first on ``PYTHONPATH``) in the same minute.

    .venv/bin/python bench/publish.py [--rounds 20] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
        [--no-sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import fresh_postgres, load_average

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def service(database_url: str):
    """The sessions app on a migrated database; an organizer's headers, a series' and a session's paths."""
    import flask_migrate

    from docbox_sessions import MIGRATIONS, create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "EVENT_SUBSCRIBERS": [],
                      "EVENT_SECRETS": ["publish-bench"], "CLOCK": lambda: NOW, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    out = app.test_cli_runner().invoke(args=["staff", "add", "organizer@example.org", "--role", "organizer"])
    headers = {"Authorization": f"Bearer {out.output.strip().splitlines()[-1]}"}
    client = app.test_client()
    program = client.post("/api/v1/programs", headers=headers, json={
        "name": "Publish", "timezone": "America/New_York", "default_format": "in_person",
        "default_location": "Room 4"}).get_json()
    series = client.post("/api/v1/series", headers=headers, json={
        "program_id": program["id"], "title": "Weekly circle", "start": "2027-01-04T19:00:00",
        "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=260"})
    session = client.post("/api/v1/sessions", headers=headers, json={
        "program_id": program["id"], "title": "One evening", "start": "2027-01-05T19:00:00-05:00",
        "end": "2027-01-05T20:30:00-05:00"})
    assert series.status_code == session.status_code == 201, (series.get_json(), session.get_json())
    return client, headers, f"/api/v1/series/{series.get_json()['id']}", f"/api/v1/sessions/{session.get_json()['id']}"


def run(database_url: str, rounds: int) -> None:
    client, headers, series, session = service(database_url)
    changes = {  # name -> (path, the body of round i)
        "series title": (series, lambda i: {"title": f"Weekly circle {i}"}),
        "series start": (series, lambda i: {"start": "2027-01-04T19:30:00" if i % 2 == 0 else "2027-01-04T19:00:00"}),
        "session title": (session, lambda i: {"title": f"One evening {i}"}),
    }
    wall = {name: [] for name in changes}
    cpu = {name: [] for name in changes}
    for i in range(rounds + 1):
        for name, (path, body) in changes.items():
            w, c = time.perf_counter(), time.process_time()
            answer = client.patch(path, headers=headers, json=body(i))
            w, c = time.perf_counter() - w, time.process_time() - c
            if answer.status_code != 200:
                raise SystemExit(f"{name}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
            if i:  # the first round warms up
                wall[name].append(w)
                cpu[name].append(c)
    peer_wall, peer_cpu = statistics.median(wall["session title"]), statistics.median(cpu["session title"])
    for name in changes:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"  {name:14} wall {w * 1000:7.2f} ms (x{w / peer_wall:5.2f})   cpu {c * 1000:7.2f} ms "
              f"(x{c / peer_cpu:5.2f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to run on as well")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    import docbox_sessions
    print(f"docbox_sessions from {Path(docbox_sessions.__file__).parent}; {args.rounds} rounds; "
          f"load average before: {load_average()}", flush=True)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite", flush=True)
            run(f"sqlite:///{folder}/publish.sqlite", args.rounds)
    if args.postgres:
        url, drop = fresh_postgres(args.postgres)
        try:
            print("PostgreSQL", flush=True)
            run(url, args.rounds)
        finally:
            drop()
    print(f"load average after: {load_average()}", flush=True)


if __name__ == "__main__":
    main()
