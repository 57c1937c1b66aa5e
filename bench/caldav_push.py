"""Benchmark: Doc Box's first CalDAV push of 500 entries vs vdirsyncer's first sync of the same objects.

    .venv/bin/python bench/caldav_push.py [--entries 500] [--rounds 3] [--servers radicale,xandikos]
                                          [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

For each server (Radicale with htpasswd auth, Xandikos without auth: it
refuses Basic over plain HTTP) it starts a real process over a temporary
folder. Each round makes two empty calendars on it; Doc Box's worker pushes
the entries of a new target into one (``push.run_pass()`` in this process,
timed from its start to its end, claims and bookkeeping included), and
``vdirsyncer sync`` (its own process, timed whole, as a user runs it) uploads
the very same objects, written to a local vdir first, into the other. The
order alternates between rounds, after an untimed warm-up of the server (a
few writes into a calendar of its own: a server's first requests load its
code, a cost that fell on Doc Box, which goes first). The entries: one program, four fifths
one-off sessions and one fifth weekly series with exceptions, in two time
zones.

vdirsyncer is not a dependency of Doc Box: the bench installs the version
pinned in ``bench/requirements-vdirsyncer.txt`` into its own virtualenv
(``bench/.venv-vdirsyncer``, made on first use) unless ``--vdirsyncer`` names
an executable.

Prints each round's seconds, the median of each, their ratio (Doc Box /
vdirsyncer: below 1.0 means Doc Box is faster), each round's own ratio (its
two runs are adjacent, so a load that drifts over the run cancels out), the
CPU each client and the server spent per entry, and the load average before
and after each server's rounds. It prints; it does not assert.

On a busy machine (more runnable processes than cores) a client's CPU is
CPU the server does not get: the ratio then follows both CPU columns.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from _common import free_port, fresh_postgres

UTC = timezone.utc
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SECRET = "bench-secret"
USER, PASSWORD = "docbox", "bench-password"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def vdirsyncer_executable(given: str | None) -> str:
    if given:
        return given
    venv = HERE / ".venv-vdirsyncer"
    exe = venv / "bin" / "vdirsyncer"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r",
                        str(HERE / "requirements-vdirsyncer.txt")], check=True)
    return str(exe)


# --- the servers -------------------------------------------------------------------

class Server:
    """A CalDAV server process on a free port; ``new_calendar()`` makes an empty calendar collection."""

    auth: tuple[str, str] | None = None

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        root.mkdir(parents=True)
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.auth = self.auth
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,
                                     stderr=open(root / "server.log", "ab"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.http.get(self.base + "/", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        sys.exit(f"{self.name} did not start; see {root / 'server.log'}")

    def new_calendar(self) -> str:
        url = f"{self.base}{self.home}{uuid.uuid4().hex[:10]}/"
        answer = self.http.request("MKCALENDAR", url)
        assert answer.status_code == 201, (answer.status_code, answer.text)
        return url

    def warm_up(self, items: dict[str, bytes]) -> None:
        """A few writes and a listing into a calendar of their own, untimed: a server's first requests
        load its code and caches, and that cost must not fall on whichever client goes first."""
        url = self.new_calendar()
        for name, body in list(items.items())[:10]:
            answer = self.http.put(url + name, data=body, headers={"Content-Type": "text/calendar; charset=utf-8",
                                                                    "If-None-Match": "*"})
            assert answer.status_code in (201, 204), (answer.status_code, answer.text)
        self.count(url)

    def count(self, url: str) -> int:
        """How many objects the calendar holds (one PROPFIND, depth 1)."""
        answer = self.http.request("PROPFIND", url, headers={"Depth": "1"})
        return sum(1 for _ in ET.fromstring(answer.content).iter("{DAV:}response")) - 1

    def cpu(self) -> float:
        """CPU seconds the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:  # a busy machine: its results must still be printed
            self.proc.kill()
            self.proc.wait()


class Radicale(Server):
    name, auth, home = "radicale", (USER, PASSWORD), f"/{USER}/"

    def command(self) -> list[str]:
        (self.root / "users").write_text(f"{USER}:{PASSWORD}\n")
        return [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder", str(self.root / "collections"),
                "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(self.root / "users"),
                "--auth-htpasswd-encryption", "plain", "--rights-type", "owner_only",
                "--logging-level", "warning"]


class Xandikos(Server):
    name, home = "xandikos", "/user/calendars/"

    def command(self) -> list[str]:
        return [str(BIN / "xandikos"), "serve", "-d", str(self.root / "data"), "--defaults",
                "-l", "127.0.0.1", "-p", str(self.port), "--state-dir", str(self.root / "state"),
                "--no-detect-systemd"]


# --- Doc Box ---------------------------------------------------------------------

def entries(count: int) -> list[tuple[str, dict]]:
    """``(kind, state)`` of one program and ``count`` sessions and series in it."""
    at = datetime.now(UTC)
    base = {"created_at": at, "updated_at": at, "description": "Peer support, all welcome.",
            "capacity": None, "video_url": None, "format": "in_person", "program_id": "prog"}
    found = [("program", {"id": "prog", "slug": "peer", "name": "Peer support", "timezone": "Europe/Berlin",
                          "open": True, "description": "", "created_at": at, "updated_at": at})]
    for i in range(count):
        tz = "Europe/Berlin" if i % 3 else "America/New_York"
        if i % 5 == 4:
            start = datetime(2026, 1, 5, 18, 0) + timedelta(days=i % 7)
            exceptions = [{"date": (start + timedelta(weeks=3)).date(), "status": "cancelled", "start": None,
                           "end": None, "location": None, "video_url": None, "updated_at": at}]
            found.append(("series", {**base, "id": f"series{i:04d}", "title": f"Evening circle {i}",
                                     "location": f"Room {i % 20}", "timezone": tz, "start_local": start,
                                     "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=40",
                                     "exceptions": exceptions, "continues_series_id": None}))
        else:
            start = datetime(2026, 1, 1, 8, tzinfo=UTC) + timedelta(hours=13 * i)
            found.append(("session", {**base, "id": f"session{i:04d}", "title": f"Grand rounds {i}",
                                      "location": f"Room {i % 20}", "timezone": tz, "start": start,
                                      "end": start + timedelta(hours=1), "status": "scheduled"}))
    return found


def make_app(database_url: str):
    import flask_migrate

    from docbox_calendar_sync import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "EVENT_SECRETS": [SECRET],
                      "PUBLIC_URL": "https://calendar.example.org", "SECRET_KEYS": [_fernet_key()],
                      "LOG_LEVEL": "WARNING", "CALDAV_TIMEOUT": 30.0})
    with app.app_context():
        flask_migrate.upgrade()
    return app


def _fernet_key() -> str:
    from cryptography.fernet import Fernet
    return Fernet.generate_key().decode()


def publish(app, items: list[tuple[str, dict]]) -> None:
    from docbox_shared import signing
    from docbox_shared.events import dump_event

    client = app.test_client()
    for kind, state in items:
        body = json.dumps(dump_event(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), kind=kind,
                                     entry_id=state["id"], version=1, state=state)).encode()
        headers = {**signing.sign(body, SECRET), "Content-Type": "application/json"}
        answer = client.post("/api/v1/events", data=body, headers=headers)
        assert answer.status_code == 200, answer.get_json()


def objects(app) -> dict[str, bytes]:
    """``{resource name: bytes}`` exactly as the worker renders them."""
    from sqlalchemy import select

    from docbox_calendar_sync import ical, push
    from docbox_calendar_sync.models import Entry, db

    with app.app_context():
        found = {}
        for entry in db.session.scalars(select(Entry).where(Entry.kind != "program")):
            found[push.resource_name(entry.kind, entry.entry_id)] = ical.calendar(
                [(entry.kind, entry.state, entry.version, "Peer support")])
        return found


def docbox_push(app, server: Server, calendar_url: str, expected: int) -> tuple[float, float]:
    """Seconds of the worker's pass and the CPU seconds this process spent in it."""
    from docbox_calendar_sync import operations, push
    from docbox_calendar_sync.models import db

    with app.app_context():
        auth = server.auth or ("", "")
        operations.create_target(name=server.name, server_url=server.base, calendar_url=calendar_url,
                                 username=auth[0], password=auth[1], program_ids=["prog"])
        started, cpu = time.perf_counter(), time.process_time()
        report = push.run_pass()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        db.session.remove()
    if report.pushed != expected or report.failed or report.requests != expected + 1:
        sys.exit(f"Doc Box's push: {report}; expected {expected} pushed in {expected + 1} requests")
    return seconds, cpu


def vdirsyncer_sync(exe: str, folder: Path, server: Server, calendar_url: str,
                    items: dict[str, bytes]) -> tuple[float, float]:
    """Seconds of ``vdirsyncer sync`` and the CPU seconds its process spent."""
    local = folder / "local"
    local.mkdir(parents=True)
    for name, body in items.items():
        (local / name).write_bytes(body)
    auth = "".join(f'{k} = "{v}"\n' for k, v in zip(("username", "password"), server.auth or ()))
    (folder / "config").write_text(f"""[general]
status_path = "{folder / 'status'}"

[pair bench]
a = "local"
b = "remote"
collections = null
conflict_resolution = "a wins"

[storage local]
type = "filesystem"
path = "{local}"
fileext = ".ics"

[storage remote]
type = "caldav"
url = "{calendar_url}"
{auth}""")
    env = {**os.environ, "VDIRSYNCER_CONFIG": str(folder / "config")}
    env.pop("REQUESTS_CA_BUNDLE", None)
    subprocess.run([exe, "discover"], env=env, check=True, capture_output=True)
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([exe, "sync"], env=env, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode:
        sys.exit(f"vdirsyncer sync failed:\n{done.stderr[-2000:]}")
    return seconds, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default="radicale,xandikos")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server: the bench makes a new database on it and drops it (default: SQLite)")
    parser.add_argument("--vdirsyncer", default=None, help="a vdirsyncer executable (default: bench's own venv)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="the worker's requests in flight per target (default: push.CONCURRENT_REQUESTS)")
    args = parser.parse_args()
    if args.concurrency:
        from docbox_calendar_sync import push
        push.CONCURRENT_REQUESTS = args.concurrency
    exe = vdirsyncer_executable(args.vdirsyncer)
    tmp = Path(tempfile.mkdtemp(prefix="docbox-bench-caldav-"))
    url, drop = fresh_postgres(args.database_url) if args.database_url else (None, None)
    app = make_app(url or f"sqlite:///{tmp / 'calendar_sync.sqlite'}")
    publish(app, entries(args.entries))
    items = objects(app)
    print(f"entries: {len(items)}, {sum(map(len, items.values())) // 1024} KB of iCalendar "
          f"({app.config['SQLALCHEMY_DATABASE_URI'].split(':', 1)[0]}); "
          f"vdirsyncer {subprocess.run([exe, '--version'], capture_output=True, text=True).stdout.split()[-1]}")
    print(f"load average before: {load()}")
    servers = {"radicale": Radicale, "xandikos": Xandikos}
    try:
        for name in args.servers.split(","):
            server_load = load()
            server = servers[name](tmp / name)
            server.warm_up(items)
            times = {"docbox": [], "vdirsyncer": []}
            cpu = {"docbox": [], "vdirsyncer": [], "server for docbox": [], "server for vdirsyncer": []}
            try:
                for round_ in range(args.rounds):
                    order = ["docbox", "vdirsyncer"] if round_ % 2 == 0 else ["vdirsyncer", "docbox"]
                    for who in order:
                        calendar_url = server.new_calendar()
                        server_cpu = server.cpu()
                        if who == "docbox":
                            seconds, client_cpu = docbox_push(app, server, calendar_url, len(items))
                        else:
                            seconds, client_cpu = vdirsyncer_sync(exe, tmp / f"vdir-{name}-{round_}", server,
                                                                  calendar_url, items)
                        cpu[who].append(client_cpu)
                        cpu[f"server for {who}"].append(server.cpu() - server_cpu)
                        held = server.count(calendar_url)
                        if held != len(items):
                            sys.exit(f"{who}: {name} holds {held} objects, expected {len(items)}")
                        times[who].append(seconds)
            finally:
                server.stop()
            ours, theirs = statistics.median(times["docbox"]), statistics.median(times["vdirsyncer"])
            paired = [a / b for a, b in zip(times["docbox"], times["vdirsyncer"])]
            print(f"{name}: Doc Box first push   {ours:6.2f} s  (rounds: {_list(times['docbox'])})")
            print(f"{name}: vdirsyncer first sync {theirs:6.2f} s  (rounds: {_list(times['vdirsyncer'])})")
            print(f"{name}: ratio Doc Box/vdirsyncer: {ours / theirs:.2f} (of medians); each round's: "
                  f"{_list(paired)}, median {statistics.median(paired):.2f}")
            print(f"{name}: CPU ms per entry, median: " + ", ".join(
                f"{who} {1000 * statistics.median(values) / len(items):.2f}" for who, values in cpu.items()))
            print(f"{name}: load average before: {server_load}, after: {load()}")
    finally:
        print(f"load average after: {load()}")
        with app.app_context():
            from docbox_calendar_sync.models import db
            db.engine.dispose()
        if drop is not None:
            drop()
        shutil.rmtree(tmp, ignore_errors=True)


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
