"""Benchmark: how cheap is a Doc Box feed next to its floor, nginx and Radicale?

Builds a calendar of 500 entries (one-off sessions and weekly series with
moved and cancelled occurrences) in a fresh SQLite database, then serves in
the same run:

- its feed from calendar_sync under gunicorn (2 sync workers),
- the very same bytes from a bare Flask app under the same gunicorn settings,
  with an ETag and ``make_conditional`` (the framework's floor: the peer the
  issue's 0.9x goal is measured against),
- the same bytes as a static file from nginx (no application at all),
- the same calendar from Radicale (GET of the calendar collection; one
  process, its built-in server, no auth and warnings only: its fastest
  settings), loaded four times as long as the others since its first answers
  come seconds into a run, and only for full answers (it has no 304),
- the feed through the deployment's nginx (``docker/nginx/nginx.conf``, which
  caches a feed for 5 seconds, its access log on) in front of calendar_sync,
  against nginx's static file (logging each request too): at the end the token
  is revoked and the seconds until the cache refuses it are printed,

loads each with ``wrk`` on loopback, for full responses and with
``If-None-Match`` (304 answers), ``--repeat`` times each, and prints requests
per second (median and min-max), server CPU per request (all its processes,
from /proc), the ratios to the bare Flask app, to nginx and to Radicale, and
the load average before and after. Then it starts the other web services
(sessions, notifications, outreach) under the same gunicorn settings, loads each of
their pages and APIs with ``wrk`` (``--memory-seconds`` each; outreach with its
demo data, asking that sessions server who the staff token is), and prints the
RSS of every gunicorn worker of each service against the 100 MB goal, with its
USS (private pages) beside it.
The machine is usually shared: compare the ratios within one run, not the
absolute numbers between runs. It prints; it asserts nothing.

    .venv/bin/python bench/feed.py [--duration 5] [--connections 16] [--repeat 3]

Access lines are off (``DOCBOX_LOG_LEVEL=WARNING``) as the bare app has none;
``--log-level INFO`` measures with them.
Needs ``nginx`` and ``wrk`` on PATH (Debian: ``apt-get install -y nginx wrk``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from _common import free_port

UTC = timezone.utc
ENTRIES = 500
BIN = Path(sys.executable).parent


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:  # a busy shared machine
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


def deployed_nginx(folder: Path, port: int, calendar_sync: str) -> list[str]:
    """The command running ``docker/nginx/nginx.conf`` as compose does, with calendar_sync at
    ``calendar_sync``, listening on ``port``, its /tmp and logs in ``folder`` (as tests/deploy does)."""
    folder.mkdir()
    text = (Path(__file__).resolve().parents[1] / "docker" / "nginx" / "nginx.conf").read_text()
    text = text.replace("/tmp/", f"{folder}/").replace("/dev/stdout", f"{folder}/access.log")
    text = text.replace("/dev/stderr", f"{folder}/error.log").replace("listen 8080", f"listen 127.0.0.1:{port}")
    text, count = re.subn(r"set \$calendar_sync\s+[^;]+;", f"set $calendar_sync {calendar_sync};", text)
    assert count == 1, "no $calendar_sync in docker/nginx/nginx.conf"
    (folder / "nginx.conf").write_text(text)
    command = ["nginx", "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(folder / "nginx.conf"),
               "-g", "daemon off;"]
    if os.geteuid() == 0:  # as root, keep the workers root so they can write the bench's folder
        command[-1] += " user root;"
    return command


BARE_APP = """
from pathlib import Path
from flask import Flask, Response, request

BODY = Path(__file__).with_name("www").joinpath("feed.ics").read_bytes()
app = Flask(__name__)


@app.get("/feed.ics")
def feed():
    answer = Response(BODY, content_type="text/calendar; charset=utf-8")
    answer.set_etag("bench-etag")
    return answer.make_conditional(request)
"""


def wrk(url: str, duration: int, connections: int, headers: dict | None = None) -> tuple[float, int, str]:
    """(requests per second, requests, a note on errors)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (float(match.group(1)) if match else 0.0, int(count.group(1)) if count else 0,
            f"{errors.group(1)} non-2xx/3xx" if errors else "")


def tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn's master and workers, nginx's)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process tree so far."""
    total = 0
    for each in tree(pid):
        try:
            with open(f"/proc/{each}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def worker_rss_mb(pid: int) -> list[tuple[float, float]]:
    """(RSS, USS) of each child (gunicorn worker) of pid, in MB: resident memory, shared pages included (the
    goal's measure), and the part no other process shares (private pages, from /proc/PID/smaps_rollup)."""
    sizes = []
    for each in tree(pid)[1:]:
        try:
            with open(f"/proc/{each}/smaps_rollup") as f:
                kb = {line.split(":")[0]: int(line.split()[1]) for line in f if line.endswith("kB\n")}
            sizes.append((kb["Rss"] / 1024, (kb["Private_Clean"] + kb["Private_Dirty"]) / 1024))
        except (OSError, KeyError):
            pass
    return sizes


OTHER_SERVICES = {  # service -> paths loaded with wrk, with a staff API token (organizer, outreach coordinator)
    "sessions": ["/healthz", "/readyz", "/login", "/api/v1/openapi.json", "/api/v1/occurrences"],
    "notifications": ["/healthz", "/readyz", "/", "/subscribe", "/api/v1/openapi.json"],
    # Outreach asks sessions (still running) who the token is; its demo data: a roster of 100, rounds, pairings.
    "outreach": ["/healthz", "/readyz", "/", "/api/v1/openapi.json", "/roster", "/oneonone/rounds",
                 "/cases/queue", "/cases/report", "/api/v1/members"],
}


def other_services_rss(workdir: Path, gunicorn: list[str], log, duration: int, connections: int) -> dict:
    """Each other web service under the same gunicorn settings, on its own migrated SQLite database,
    loaded with ``wrk`` on its pages and API for ``duration`` seconds each: its workers' RSS in MB.
    Sessions stays up until the end: outreach asks it who the staff token belongs to."""
    found, running = {}, []
    headers, sessions_url = {}, ""
    try:
        for service, paths in OTHER_SERVICES.items() if duration > 0 else ():
            env = {**os.environ, "DOCBOX_LOG_LEVEL": "WARNING",
                   f"DOCBOX_{service.upper()}_DATABASE_URL": f"sqlite:///{workdir / (service + '.sqlite')}",
                   **({"DOCBOX_SESSIONS_URL": sessions_url} if sessions_url else {})}
            flask = [str(BIN / "flask"), "--app", f"docbox_{service}"]
            subprocess.run([*flask, "db", "upgrade"], env=env, check=True, stdout=log, stderr=log)
            if service == "sessions":
                out = subprocess.run([*flask, "staff", "add", "organizer@example.org", "--role", "organizer",
                                      "--outreach-role", "coordinator"], env=env, check=True,
                                     capture_output=True, text=True).stdout
                headers = {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}
            if service == "outreach":
                subprocess.run([*flask, "seed-demo"], env=env, check=True, stdout=log, stderr=log)
            port = free_port()
            proc = subprocess.Popen([*gunicorn, "-b", f"127.0.0.1:{port}", f"docbox_{service}.wsgi:app"],
                                    env=env, stdout=log, stderr=log)
            running.append(proc)
            wait_for(f"http://127.0.0.1:{port}/healthz", proc)
            if service == "sessions":
                sessions_url = f"http://127.0.0.1:{port}"
            for path in paths:
                rate, count, note = wrk(f"http://127.0.0.1:{port}{path}", duration, connections, headers)
                if note:
                    print(f"  {service} {path}: {note}")
            found[service] = worker_rss_mb(proc.pid)
            if service != "sessions":
                proc.terminate()
                proc.wait(10)
    finally:
        for proc in running:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    return found


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def ratio(ours: list[float], peer: list[float]) -> str:
    """Median ratio and its range over the repeats, each repeat against the peer's same repeat."""
    each = [a / b for a, b in zip(ours, peer) if b]
    if not each:
        return "-"
    return f"{statistics.median(each):.2f} ({min(each):.2f}-{max(each):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="runs per server and kind of request")
    parser.add_argument("--log-level", default="WARNING", help="calendar_sync's DOCBOX_LOG_LEVEL")
    parser.add_argument("--memory-seconds", type=int, default=3,
                        help="seconds of load on each page of the other services before their RSS is read"
                             " (0: skip them)")
    args = parser.parse_args()
    # Every server started below runs with the images' malloc settings (docker/Dockerfile, runtime stage).
    os.environ.update(MALLOC_MMAP_THRESHOLD_="4194304", MALLOC_TRIM_THRESHOLD_="16777216")
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install -y nginx wrk")

    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="docbox-bench-"))
    workdir.chmod(0o755)  # nginx workers run as an unprivileged user and must read the static file
    database_url = f"sqlite:///{workdir / 'calendar_sync.sqlite'}"
    feed_path, body, objects = build(workdir, database_url)
    print(f"calendar: {ENTRIES} entries, feed of {len(body)} bytes")
    procs: list[subprocess.Popen] = []
    log = open(workdir / "servers.log", "ab")
    try:
        gunicorn = [str(BIN / "gunicorn"), "-w", "2", "--worker-class", "sync", "--keep-alive", "5",
                    "--no-control-socket"]
        # calendar_sync under gunicorn.
        app_port = free_port()
        env = {**os.environ, "DOCBOX_CALENDAR_SYNC_DATABASE_URL": database_url, "DOCBOX_LOG_LEVEL": args.log_level}
        procs.append(subprocess.Popen([*gunicorn, "-b", f"127.0.0.1:{app_port}", "docbox_calendar_sync.wsgi:app"],
                                      env=env, stdout=log, stderr=log))
        # The same bytes from nginx, and from a bare Flask app under the same gunicorn settings.
        www = workdir / "www"
        www.mkdir()
        (www / "feed.ics").write_bytes(body)
        (workdir / "bare.py").write_text(BARE_APP)
        bare_port = free_port()
        procs.append(subprocess.Popen([*gunicorn, "-b", f"127.0.0.1:{bare_port}", "--chdir", str(workdir), "bare:app"],
                                      stdout=log, stderr=log))
        nginx_port, cache_port = free_port(), free_port()
        (workdir / "nginx.conf").write_text(f"""
worker_processes auto;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
  log_format json escape=json '{{"ts":"$time_iso8601","method":"$request_method","status":$status,'
                              '"seconds":$request_time,"bytes":$body_bytes_sent,"request_id":"$request_id"}}';
  access_log {workdir}/static-access.log json;
  client_body_temp_path {workdir}/nginx-tmp;
  types {{ text/calendar ics; }}
  charset utf-8;
  charset_types text/calendar;
  server {{ listen 127.0.0.1:{nginx_port}; root {www}; }}
}}
""")
        procs.append(subprocess.Popen(["nginx", "-c", str(workdir / "nginx.conf"), "-p", str(workdir)],
                                      stdout=log, stderr=log))
        deployed = deployed_nginx(workdir / "deployed", cache_port, f"127.0.0.1:{app_port}")
        procs.append(subprocess.Popen(deployed, stdout=log, stderr=log))
        # Radicale holding the same calendar.
        radicale_port = free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "radicale", "--server-hosts",
                                       f"127.0.0.1:{radicale_port}", "--storage-filesystem-folder",
                                       str(workdir / "radicale"), "--auth-type", "none",
                                       "--logging-level", "warning"], stdout=log, stderr=log))
        app_url = f"http://127.0.0.1:{app_port}{feed_path}"
        bare_url = f"http://127.0.0.1:{bare_port}/feed.ics"
        nginx_url = f"http://127.0.0.1:{nginx_port}/feed.ics"
        radicale_url = f"http://127.0.0.1:{radicale_port}/bench/calendar/"
        cache_url = f"http://127.0.0.1:{cache_port}{feed_path}"
        wait_for(app_url, procs[0])
        wait_for(bare_url, procs[1])
        wait_for(nginx_url, procs[2])
        wait_for(cache_url, procs[3])
        wait_for(f"http://127.0.0.1:{radicale_port}/", procs[4])
        http = requests.Session()
        http.trust_env = False
        assert http.request("MKCALENDAR", radicale_url, auth=("bench", "x")).status_code == 201
        for name, data in objects:
            http.put(radicale_url + name, data=data, auth=("bench", "x"),
                     headers={"Content-Type": "text/calendar; charset=utf-8"}).raise_for_status()

        servers = [("calendar_sync (gunicorn)", app_url, None, procs[0]),
                   ("bare Flask (gunicorn)", bare_url, None, procs[1]),
                   ("nginx static file", nginx_url, None, procs[2]),
                   ("deployed nginx -> cal_sync", cache_url, None, procs[3]),
                   # Last: Radicale goes on answering wrk's last requests (seconds each) after wrk stops.
                   ("Radicale collection GET", radicale_url, "bench", procs[4])]
        results = {}
        for label, url, auth, proc in servers:
            headers = {"Authorization": "Basic YmVuY2g6eA=="} if auth else {}
            first = http.get(url, headers=headers)
            etag = first.headers.get("ETag")
            conditional = http.get(url, headers={**headers, "If-None-Match": etag or '"none"'})
            result = {"bytes": len(first.content), "status": conditional.status_code, "note": "",
                      "full": [], "cond": [], "cpu_full": [], "cpu_cond": []}
            # Radicale answers a few a second, 16 at once: its first answers come seconds into a run,
            # so its runs are longer (a short one would understate it); it has no 304 to measure.
            slow = label.startswith("Radicale")
            kinds = (("full", {}),) if slow and conditional.status_code != 304 else \
                (("full", {}), ("cond", {"If-None-Match": etag or '"none"'}))
            for _ in range(args.repeat):
                for kind, extra in kinds:
                    cpu = cpu_seconds(proc.pid)
                    rate, count, note = wrk(url, args.duration * (4 if slow else 1), args.connections,
                                            {**headers, **extra})
                    result[kind].append(rate)
                    result["cpu_" + kind].append((cpu_seconds(proc.pid) - cpu) / max(count, 1) * 1e6)
                    result["note"] = result["note"] or note
            result["rss"] = worker_rss_mb(proc.pid) if "gunicorn" in label else []
            results[label] = result
        others = other_services_rss(workdir, gunicorn, log, args.memory_seconds, args.connections)
        load_after = os.getloadavg()
        # Revoke the token: how long does the cache go on serving it?
        token = feed_path.rsplit("/", 1)[1][:-len(".ics")]
        http.get(cache_url)
        http.post(f"http://127.0.0.1:{app_port}/api/v1/feeds/revoke", json={"token": token}).raise_for_status()
        revoked_at = time.monotonic()
        while http.get(cache_url).status_code != 404 and time.monotonic() - revoked_at < 60:
            time.sleep(0.1)
        refused_after = time.monotonic() - revoked_at

        ours, bare = results["calendar_sync (gunicorn)"], results["bare Flask (gunicorn)"]
        nginx, radicale = results["nginx static file"], results["Radicale collection GET"]
        print(f"wrk: 2 threads, {args.connections} connections, {args.duration}s per run, {args.repeat} runs, "
              f"loopback, {os.cpu_count()} CPUs; median (min-max)")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}, "
              f"after: {' '.join(f'{x:.2f}' for x in load_after)}")
        print(f"{'server':<26}{'bytes':>8}{'full req/s':>20}{'304 req/s':>20}{'cond.':>6}"
              f"{'CPU us/full':>13}{'CPU us/304':>12}  notes")
        for label, r in results.items():
            cond = (spread(r["cond"]), f"{statistics.median(r['cpu_cond']):.0f}") if r["cond"] else ("-", "-")
            print(f"{label:<26}{r['bytes']:>8}{spread(r['full']):>20}{cond[0]:>20}{r['status']:>6}"
                  f"{statistics.median(r['cpu_full']):>13.0f}{cond[1]:>12}  {r['note']}")
        print("(cond.: what each server answers to If-None-Match with its own ETag; 200 means it does not do 304;"
              " CPU: user+system of all the server's processes per request)")
        print()
        print(f"{'calendar_sync against':<28}{'full':>20}{'304':>20}")
        print(f"{'bare Flask (goal >= 0.9)':<28}{ratio(ours['full'], bare['full']):>20}"
              f"{ratio(ours['cond'], bare['cond']):>20}")
        print(f"{'nginx static file':<28}{ratio(ours['full'], nginx['full']):>20}{ratio(ours['cond'], nginx['cond']):>20}")
        print(f"{'Radicale (goal >= 300)':<28}{ratio(ours['full'], radicale['full']):>20}"
              f"{ratio(ours['cond'], radicale['full']):>20}   (304 against Radicale's full GET: it has no 304)"
              if radicale["status"] != 304 else
              f"{'Radicale (goal >= 300)':<28}{ratio(ours['full'], radicale['full']):>20}"
              f"{ratio(ours['cond'], radicale['cond']):>20}")
        print(f"{'bare Flask against Radicale':<28}{ratio(bare['full'], radicale['full']):>20}"
              f"   (the floor's own ratio: Python WSGI serving stored bytes)")
        print("CPU per full answer, Radicale / calendar_sync and / bare Flask: "
              f"{statistics.median(radicale['cpu_full']) / statistics.median(ours['cpu_full']):.0f}x, "
              f"{statistics.median(radicale['cpu_full']) / statistics.median(bare['cpu_full']):.0f}x "
              "(Radicale is one process, the gunicorn apps two: on 2 idle CPUs the req/s ratio tops out near twice this)")
        cached = results["deployed nginx -> cal_sync"]
        print(f"{'deployed nginx (feed cache) -> cal_sync, against nginx static (moonshot >= 0.5)':<80}"
              f"{ratio(cached['full'], nginx['full'])} full, {ratio(cached['cond'], nginx['cond'])} 304")
        print(f"revoked token refused through the nginx cache after {refused_after:.1f} s")
        print()
        print("RSS of each gunicorn worker after the load (goal <= 100 MB per worker), and in brackets its USS"
              " (the pages no other process shares):")
        rows = [("calendar_sync (the feeds above)", results["calendar_sync (gunicorn)"]["rss"]),
                *((f"{service} ({', '.join(OTHER_SERVICES[service])})", sizes) for service, sizes in others.items()),
                ("bare Flask (the floor)", results["bare Flask (gunicorn)"]["rss"])]
        width = max(len(label) for label, _ in rows) + 2
        for label, sizes in rows:
            verdict = "" if not sizes else ("  within the goal" if max(r for r, _ in sizes) <= 100 else
                                            "  OVER THE GOAL")
            print(f"  {label:<{width}}{', '.join(f'{r:.0f} MB ({u:.0f})' for r, u in sizes)}{verdict}")
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
