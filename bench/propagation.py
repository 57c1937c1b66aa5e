"""How long a change takes to reach the feed and a CalDAV server.

    .venv/bin/python bench/propagation.py [--changes 200] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Starts the whole suite as real processes (four gunicorn services, the relay,
the workers, Radicale; as ``tests/support/suite.py`` does, with the default
poll intervals of ``make run``), plans one-off sessions, then makes N changes
through the API (each moves a different session to a new room) at a steady
pace while two pollers watch the feed and the Radicale calendar. For each
change it records the time from the API's answer to the first poll that shows
the new room, and prints the median, 95th and 99th percentile for each path,
next to the pollers' own interval (the resolution of the measurement), and
the load average before and after. It prints; it does not assert.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _common import load_average  # noqa: E402
from support.suite import Suite, wait_until  # noqa: E402

POLL = 0.05


def databases_factory(url: str | None, folder: Path):
    created = []

    def make(name: str) -> str:
        if not url:
            return f"sqlite:///{folder / name}.sqlite"
        import psycopg
        db_name = f"docbox_bench_{name}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        created.append(db_name)
        return url.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0] + "/" + db_name

    def drop():
        import psycopg
        for db_name in created:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')

    return make, drop


def watch(fetch, seen: dict[str, float], stop: threading.Event) -> None:
    """Record when each 'Room N' first appears in what ``fetch()`` returns."""
    while not stop.is_set():
        try:
            text = fetch()
        except Exception:  # noqa: BLE001 - a slow answer is just a missed poll
            text = ""
        moment = time.monotonic()
        for room in set(re.findall(r"Bench room \d+", text)):
            seen.setdefault(room, moment)
        stop.wait(POLL)


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return f"median {statistics.median(values) * 1000:7.0f} ms   p95 {pick(0.95) * 1000:7.0f} ms   p99 {pick(0.99) * 1000:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="changes per second")
    parser.add_argument("--database-url", help="PostgreSQL server URL; SQLite files when absent")
    args = parser.parse_args()
    print(f"load average before: {load_average()}", flush=True)

    folder = Path(tempfile.mkdtemp(prefix="docbox-bench-"))
    make_db, drop_dbs = databases_factory(args.database_url, folder)
    suite = Suite(folder, make_db)
    for name, value in (("DOCBOX_RELAY_MAX_BACKOFF", "600"), ("DOCBOX_WORKER_INTERVAL", "1"),
                        ("DOCBOX_NOTIFICATIONS_POLL_SECONDS", "5")):
        suite.env[name] = value
    suite.prepare()
    try:
        suite.start_all()
        org, admin = suite.tokens["organizer"], suite.tokens["admin"]
        program = suite.api("sessions", "POST", "/api/v1/programs", org, json={
            "name": "Bench", "timezone": "UTC", "open": True, "default_format": "in_person",
            "default_location": "Bench room start"}).json()
        feed = wait_until(lambda: (lambda r: r.json() if r.status_code == 201 else None)(
            suite.api("calendar_sync", "POST", "/api/v1/feeds", json={"programs": [program["id"]]})))
        suite.dav.request("MKCALENDAR", suite.calendar_url)
        suite.api("calendar_sync", "POST", "/api/v1/caldav-targets", admin, json={
            "name": "Radicale", "server_url": suite.radicale_url + "/", "calendar_url": suite.calendar_url,
            "username": "docbox", "password": "radicale-password", "programs": [program["id"]]})
        day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
        sessions = []
        for i in range(args.changes):
            start = day + timedelta(hours=i)
            sessions.append(suite.api("sessions", "POST", "/api/v1/sessions", org, json={
                "program_id": program["id"], "title": f"Bench {i}", "start": start.isoformat(),
                "end": (start + timedelta(minutes=45)).isoformat()}).json()["id"])
        print(f"planned {len(sessions)} sessions; waiting until the feed and Radicale hold them ...", flush=True)
        wait_until(lambda: suite.http.get(feed["url"]).text.count("BEGIN:VEVENT") >= len(sessions), timeout=300)
        wait_until(lambda: suite.dav.get(suite.calendar_url).text.count("BEGIN:VEVENT") >= len(sessions), timeout=600)

        seen_feed, seen_dav, stop = {}, {}, threading.Event()
        pollers = [threading.Thread(target=watch, args=(lambda: suite.http.get(feed["url"], timeout=10).text, seen_feed, stop)),
                   threading.Thread(target=watch, args=(lambda: suite.dav.get(suite.calendar_url, timeout=10).text, seen_dav, stop))]
        for poller in pollers:
            poller.start()
        changed_at = {}
        for i, session_id in enumerate(sessions):
            room = f"Bench room {i}"
            answer = suite.api("sessions", "PATCH", f"/api/v1/occurrences/{session_id}", org, json={"location": room})
            assert answer.status_code == 200, answer.text
            changed_at[room] = time.monotonic()
            time.sleep(1 / args.rate)
        wait_until(lambda: len(seen_feed) >= len(changed_at) and len(seen_dav) >= len(changed_at), timeout=300)
        stop.set()
        for poller in pollers:
            poller.join()
        feed_delays = [seen_feed[r] - t for r, t in changed_at.items() if r in seen_feed]
        dav_delays = [seen_dav[r] - t for r, t in changed_at.items() if r in seen_dav]
        database = "PostgreSQL" if args.database_url else "SQLite"
        print(f"\n{len(changed_at)} changes at {args.rate:g}/s on {database}; pollers every {POLL * 1000:.0f} ms")
        print(f"  API -> feed      ({len(feed_delays):3d} seen)  {percentiles(feed_delays)}")
        print(f"  API -> Radicale  ({len(dav_delays):3d} seen)  {percentiles(dav_delays)}")
        print(f"  ratio Radicale/feed (median): {statistics.median(dav_delays) / statistics.median(feed_delays):.2f}")
        print(f"load average after: {load_average()}")
    finally:
        suite.stop_all()
        if args.database_url:
            drop_dbs()


if __name__ == "__main__":
    main()
