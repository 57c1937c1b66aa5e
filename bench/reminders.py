"""Benchmark: 5,000 due reminders through the notifications worker vs a plain smtplib loop.

    .venv/bin/python bench/reminders.py [--messages 5000] [--repeat 3] [--database-url URL] [--connections 2]

Both deliver to the same local aiosmtpd sink (``docbox_notifications.mailsink``
in its own process, as in ``make run``, writing one .eml file per message). The worker's run covers what a
real pass does: claim due rows in batches (one committed UPDATE per batch, see
``docbox_shared.mail.queue``), check each is still useful, render the text and
the iTIP invitation, store the hash of the message's fresh manage token, send,
and commit it sent before the next message, on ``--connections`` SMTP
connections at once (``DOCBOX_MAIL_CONNECTIONS``, default 2). The peer is one smtplib
connection sending the very same bytes the worker produced, so the ratio shows
the price of the bookkeeping that makes delivery exactly-once. Goal (issue
16): ratio >= 0.5 on SQLite and PostgreSQL.

Runs ``--repeat`` rounds (each the worker, then the smtplib loop, on a fresh
database) and prints messages per second for each, the ratio (worker /
smtplib) of each round and their median and range, and the load average
before and after (a busy machine slows both, not always alike).
By default the database is SQLite in a temporary folder; pass a
postgresql+psycopg:// URL of an empty database to measure PostgreSQL.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import free_port, fresh_postgres

UTC = timezone.utc
SESSIONS = 10


def start_sink(port: int, folder: Path) -> subprocess.Popen:
    sink = subprocess.Popen([sys.executable, "-m", "docbox_notifications.mailsink", "--port", str(port),
                             "--dir", str(folder)], stdout=subprocess.PIPE, text=True)
    sink.stdout.readline()   # "listening ..."
    return sink


def wait_for_files(folder: Path, count: int, timeout: float = 60.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(folder.glob("*.eml"))
        if len(files) >= count:
            return files
        time.sleep(0.05)
    sys.exit(f"the sink received {len(list(folder.glob('*.eml')))} of {count} messages")


def setup(app, messages: int, real_now: datetime) -> None:
    """Subscribers and sessions such that ``messages`` reminders are due at ``real_now``."""
    import flask_migrate

    from docbox_notifications import MIGRATIONS
    from docbox_notifications.models import Following, Subscriber, db
    from docbox_shared import signing
    from docbox_shared.events import dump_event

    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
        subscribers = messages // SESSIONS
        for i in range(subscribers):
            sub_id = str(uuid.uuid4())
            db.session.add(Subscriber(id=sub_id, email=f"person{i}@example.org", email_hash=uuid.uuid4().hex,
                                      status="active", offsets=[60], digest=False, requests=1, bounces=0,
                                      created_at=real_now, confirmed_at=real_now))
            db.session.add(Following(subscriber_id=sub_id, program_id="prog"))
        db.session.commit()
    client = app.test_client()

    def publish(kind, state):
        body = json.dumps(dump_event(event_id=uuid.uuid4(), occurred_at=real_now, kind=kind, entry_id=state["id"],
                                     version=1, state=state)).encode()
        headers = {**signing.sign(body, "bench-secret"), "Content-Type": "application/json"}
        assert client.post("/api/v1/events", data=body, headers=headers).status_code == 200

    base = {"created_at": real_now, "updated_at": real_now}
    publish("program", {**base, "id": "prog", "slug": "prog", "name": "Balint group", "timezone": "Europe/Berlin",
                        "open": True})
    for i in range(SESSIONS):
        start = real_now + timedelta(minutes=30 + i)
        publish("session", {**base, "id": f"s{i}", "program_id": "prog", "title": f"Session {i}",
                            "format": "hybrid", "location": "Room 4", "video_url": "https://video.example/r",
                            "timezone": "Europe/Berlin", "start": start, "end": start + timedelta(hours=1),
                            "status": "scheduled"})


def one_round(messages: int, database_url: str | None, tmp: Path, connections: int) -> dict:
    """One round: the worker sends ``messages`` reminders, then the smtplib loop sends the same bytes."""
    tmp.mkdir()
    drop = None
    if database_url:   # the server: each round gets a new database on it, dropped afterwards
        database_url, drop = fresh_postgres(database_url)
    try:
        return _round(messages, database_url, tmp, connections)
    finally:
        if drop is not None:
            drop()


def _round(messages: int, database_url: str | None, tmp: Path, connections: int) -> dict:
    from docbox_notifications import create_app
    from docbox_notifications.delivery import run_pass
    from docbox_notifications.models import db

    port = free_port()
    sink = start_sink(port, tmp / "worker-mail")
    real_now = datetime.now(UTC)
    planning = {"now": real_now - timedelta(hours=2)}   # planned two hours ago, due now
    config = {"SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp / 'bench.sqlite'}",
              "EVENT_SECRETS": ["bench-secret"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
              "PUBLIC_URL": "https://docbox.example", "MAIL_FROM": "Doc Box <reminders@docbox.example>",
              "SECRET_KEYS": ["bench-key"], "LOG_LEVEL": "WARNING", "CLOCK": lambda: planning["now"],
              "MAIL_CONNECTIONS": connections}
    try:
        app = create_app(config)
        setup(app, messages, real_now)
        app.config["CLOCK"] = None    # the worker runs on real time

        with app.app_context():
            started, cpu = time.perf_counter(), time.process_time()
            counts = run_pass()
            worker_seconds, worker_cpu = time.perf_counter() - started, time.process_time() - cpu
        if counts.get("sent", 0) != messages:
            sys.exit(f"worker: {counts}; expected {messages} sent")
        files = wait_for_files(tmp / "worker-mail", messages)
    finally:
        sink.terminate()   # also when the round fails: a sink left running keeps the caller's pipe open
        sink.wait()

    batch = []
    for path in files:
        raw = path.read_bytes()
        batch.append((email.message_from_bytes(raw)["To"], raw))
    port = free_port()
    sink = start_sink(port, tmp / "plain-mail")
    try:
        started, cpu = time.perf_counter(), time.process_time()
        with smtplib.SMTP("127.0.0.1", port) as conn:
            for recipient, raw in batch:
                conn.sendmail("reminders@docbox.example", [recipient], raw)
        plain_seconds, plain_cpu = time.perf_counter() - started, time.process_time() - cpu
        wait_for_files(tmp / "plain-mail", messages)
    finally:
        sink.terminate()
        sink.wait()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()   # before the round's database is dropped (SQLite: a new file each round)
    return dict(worker=messages / worker_seconds, plain=messages / plain_seconds,
                worker_cpu=worker_cpu / messages * 1000, plain_cpu=plain_cpu / messages * 1000)


def spread(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:5432/postgres): each round makes a new database on it and drops it (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (worker, then the smtplib loop, each round)")
    parser.add_argument("--connections", type=int, default=2, help="the worker's SMTP connections (DOCBOX_MAIL_CONNECTIONS)")
    args = parser.parse_args()

    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="docbox-bench-"))
    rounds = []
    try:
        for i in range(args.repeat):
            rounds.append(one_round(args.messages, args.database_url, tmp / f"round-{i}", args.connections))
            r = rounds[-1]
            print(f"round {i + 1}: worker {r['worker']:.0f}/s, smtplib {r['plain']:.0f}/s, "
                  f"ratio {r['worker'] / r['plain']:.2f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    dialect = (args.database_url or "sqlite").split(":", 1)[0]
    print(f"messages: {args.messages} a round, {args.repeat} rounds ({dialect}), the worker on {args.connections} "
          "SMTP connection(s); median (min-max)")
    print(f"worker (claim, render, iTIP, send, mark sent): {spread([r['worker'] for r in rounds], 1):>24} messages/s")
    print(f"plain smtplib loop, same bytes:                {spread([r['plain'] for r in rounds], 1):>24} messages/s")
    print(f"ratio worker/smtplib (goal >= 0.5): {spread([r['worker'] / r['plain'] for r in rounds])}")
    print(f"CPU of the sending process per message: worker {spread([r['worker_cpu'] for r in rounds])} ms, "
          f"smtplib loop {spread([r['plain_cpu'] for r in rounds])} ms (the database server and the sink not counted)")
    print("load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(*load_before, *load_after))


if __name__ == "__main__":
    main()
