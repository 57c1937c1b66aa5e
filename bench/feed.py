"""Benchmark: how cheap is a Doc Box feed next to nginx and Radicale?

Builds a calendar of 500 entries (one-off sessions and weekly series with
moved and cancelled occurrences) in a fresh SQLite database, then serves in
the same run:

- its feed from calendar_sync under gunicorn (2 sync workers, as deployed),
- the very same bytes as a static file from nginx (the floor: no application),
- the same calendar from Radicale (GET of the calendar collection),

loads each with ``wrk`` on loopback, once for full responses and once with
``If-None-Match`` (304 answers), and prints requests per second with the
ratios to nginx and to Radicale. It prints; it asserts nothing.

    .venv/bin/python bench/feed.py [--duration 5] [--connections 16]

Needs ``nginx`` and ``wrk`` on PATH (Debian: ``apt-get install -y nginx wrk``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

UTC = timezone.utc
ENTRIES = 500
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({proc.returncode})")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url}: the server did not start")


def states(program_id: str) -> list[tuple[str, dict]]:
    """500 entries: 350 one-off sessions and 150 weekly series with exceptions."""
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    common = {"created_at": at, "updated_at": at, "program_id": program_id, "description": "Peer support, all welcome",
              "format": "hybrid", "location": "Room 4, West wing", "video_url": "https://video.example.org/room",
              "timezone": "America/New_York", "capacity": None}
    found = []
    for i in range(350):
        start = at + timedelta(days=i // 3, hours=2 * (i % 3))
        found.append(("session", {**common, "id": f"s{i:04d}", "title": f"Session {i}; debrief, Q&A",
                                  "start": start, "end": start + timedelta(hours=1),
                                  "status": "cancelled" if i % 17 == 0 else "scheduled"}))
    for i in range(150):
        first = datetime(2026, 1, 5, 19) + timedelta(days=i % 7)
        exceptions = [{"date": (first + timedelta(weeks=2)).date(), "status": "cancelled", "start": None,
                       "end": None, "location": None, "video_url": None, "updated_at": at},
                      {"date": (first + timedelta(weeks=4)).date(), "status": "scheduled",
                       "start": (first + timedelta(weeks=4, days=1)).replace(tzinfo=UTC),
                       "end": (first + timedelta(weeks=4, days=1, hours=1)).replace(tzinfo=UTC),
                       "location": "Room 9", "video_url": None, "updated_at": at}]
        found.append(("series", {**common, "id": f"r{i:04d}", "title": f"Weekly circle {i}",
                                 "start_local": first, "duration_minutes": 60, "rrule": "FREQ=WEEKLY;COUNT=20",
                                 "exceptions": exceptions, "continues_series_id": None}))
    return found


def build(workdir: Path, database_url: str) -> tuple[str, bytes, list[tuple[str, bytes]]]:
    """Fill calendar_sync's database; return (feed path, feed bytes, per-entry CalDAV objects)."""
    from flask_migrate import upgrade

    from docbox_calendar_sync import create_app, ical, operations
    from docbox_calendar_sync.models import Entry, ProcessedEvent, db
    from docbox_shared.events import dump_event
    from docbox_shared.inbox import apply_envelope

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        at = datetime(2026, 1, 5, 9, tzinfo=UTC)
        program = {"id": "bench-program", "created_at": at, "updated_at": at, "slug": "bench", "name": "Bench",
                   "description": "", "timezone": "America/New_York", "open": True}
        items = [("program", program)] + states(program["id"])
        for kind, state in items:
            envelope = dump_event(event_id=uuid.uuid4(), occurred_at=at, kind=kind, entry_id=state["id"],
                                  version=1, state=state)
            envelope["event_id"] = uuid.UUID(envelope["event_id"])
            apply_envelope(db, Entry, ProcessedEvent, envelope, operations.on_change)
        feed, token = operations.create_feed([program["id"]], False, None)
        client = app.test_client()
        body = client.get(f"/feeds/{token}.ics").data
        objects = []
        for row in db.session.query(Entry).filter(Entry.kind != "program"):
            objects.append((ical.uid_for(row.kind, row.entry_id) + ".ics",
                            ical.calendar([(row.kind, row.state, row.version, "Bench")])))
    return f"/feeds/{token}.ics", body, objects


def wrk(url: str, duration: int, connections: int, headers: dict | None = None) -> tuple[float, str]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return float(match.group(1)) if match else 0.0, (f"{errors.group(1)} non-2xx/3xx" if errors else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install -y nginx wrk")

    workdir = Path(tempfile.mkdtemp(prefix="docbox-bench-"))
    workdir.chmod(0o755)  # nginx workers run as an unprivileged user and must read the static file
    database_url = f"sqlite:///{workdir / 'calendar_sync.sqlite'}"
    feed_path, body, objects = build(workdir, database_url)
    print(f"calendar: {ENTRIES} entries, feed of {len(body)} bytes")
    procs: list[subprocess.Popen] = []
    log = open(workdir / "servers.log", "ab")
    try:
        # calendar_sync under gunicorn.
        app_port = free_port()
        env = {**os.environ, "DOCBOX_CALENDAR_SYNC_DATABASE_URL": database_url, "DOCBOX_LOG_LEVEL": "WARNING"}
        procs.append(subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{app_port}",
                                       "docbox_calendar_sync.wsgi:app"], env=env, stdout=log, stderr=log))
        # nginx serving the same bytes.
        www = workdir / "www"
        www.mkdir()
        (www / "feed.ics").write_bytes(body)
        nginx_port = free_port()
        (workdir / "nginx.conf").write_text(f"""
worker_processes 2;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/nginx-tmp;
  types {{ text/calendar ics; }}
  charset utf-8;
  charset_types text/calendar;
  server {{ listen 127.0.0.1:{nginx_port}; root {www}; }}
}}
""")
        procs.append(subprocess.Popen(["nginx", "-c", str(workdir / "nginx.conf"), "-p", str(workdir)],
                                      stdout=log, stderr=log))
        # Radicale holding the same calendar.
        radicale_port = free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "radicale", "--server-hosts",
                                       f"127.0.0.1:{radicale_port}", "--storage-filesystem-folder",
                                       str(workdir / "radicale"), "--auth-type", "none",
                                       "--logging-level", "warning"], stdout=log, stderr=log))
        app_url = f"http://127.0.0.1:{app_port}{feed_path}"
        nginx_url = f"http://127.0.0.1:{nginx_port}/feed.ics"
        radicale_url = f"http://127.0.0.1:{radicale_port}/bench/calendar/"
        wait_for(app_url, procs[0])
        wait_for(nginx_url, procs[1])
        wait_for(f"http://127.0.0.1:{radicale_port}/", procs[2])
        http = requests.Session()
        http.trust_env = False
        assert http.request("MKCALENDAR", radicale_url, auth=("bench", "x")).status_code == 201
        for name, data in objects:
            http.put(radicale_url + name, data=data, auth=("bench", "x"),
                     headers={"Content-Type": "text/calendar; charset=utf-8"}).raise_for_status()

        rows = []
        for label, url, auth in (("calendar_sync (gunicorn)", app_url, None), ("nginx static file", nginx_url, None),
                                 ("Radicale collection GET", radicale_url, "bench")):
            headers = {"Authorization": "Basic YmVuY2g6eA=="} if auth else {}
            first = http.get(url, headers=headers)
            etag = first.headers.get("ETag")
            conditional = http.get(url, headers={**headers, "If-None-Match": etag or '"none"'})
            full, full_note = wrk(url, args.duration, args.connections, headers)
            cond, cond_note = wrk(url, args.duration, args.connections, {**headers, "If-None-Match": etag or '"none"'})
            rows.append((label, len(first.content), full, cond, conditional.status_code, full_note or cond_note))
        nginx_full, nginx_cond = rows[1][2], rows[1][3]
        radicale_full, radicale_cond = rows[2][2], rows[2][3]
        print(f"wrk: 2 threads, {args.connections} connections, {args.duration}s per run, loopback, "
              f"{os.cpu_count()} CPUs")
        print(f"{'server':<26}{'bytes':>9}{'full req/s':>12}{'304 req/s':>12}{'cond. status':>14}"
              f"{'full/nginx':>12}{'304/nginx':>11}{'full/Radicale':>15}{'304/Radicale':>14}")
        for label, size, full, cond, status, note in rows:
            print(f"{label:<26}{size:>9}{full:>12.0f}{cond:>12.0f}{status:>14}"
                  f"{full / nginx_full:>12.3f}{cond / nginx_cond:>11.3f}"
                  f"{full / radicale_full:>15.2f}{cond / radicale_cond:>14.2f}  {note}")
        print("(cond. status: what each server answers to If-None-Match with its own ETag; "
              "a 200 there means it does not do 304)")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
