"""A real worker process killed with SIGKILL mid-batch and restarted loses no message.

At most the one message in flight at the kill arrives twice on each of the
worker's SMTP connections, and then with the same Message-ID. The SMTP server
is slowed down so the kill lands in the middle of the batch; the restarted
worker retries the in-flight messages once their lease (3 s here) has run out.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from docbox_notifications.models import Delivery, db

from .conftest import wait_for


def start_worker(app, smtp, tmp_path, connections=2):
    env = {**os.environ, "DOCBOX_MAIL_CONNECTIONS": str(connections), "DOCBOX_NOTIFICATIONS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "DOCBOX_SMTP_HOST": "127.0.0.1", "DOCBOX_SMTP_PORT": str(smtp.port),
           "DOCBOX_NOTIFICATIONS_URL": app.config["PUBLIC_URL"], "DOCBOX_SECRET_KEYS": "test-key",
           "DOCBOX_MAIL_FROM": app.config["MAIL_FROM"], "DOCBOX_NOTIFICATIONS_LEASE_SECONDS": "3",
           "DOCBOX_NOTIFICATIONS_POLL_SECONDS": "0.2", "DOCBOX_VAR_DIR": str(tmp_path)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "docbox_notifications", "worker"],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def unfinished(app) -> list[int]:
    with app.app_context():
        rows = db.session.scalars(select(Delivery.id).where(Delivery.status.in_(("pending", "sending")))).all()
        db.session.remove()
    return rows


def plan(app, calendar, subscribe, smtp, clock, people: int) -> set[str]:
    """Ten sessions starting within the hour, ``people`` subscribers: ``10 x people`` reminders due now."""
    real_now = datetime.now(timezone.utc).replace(microsecond=0)
    clock.set(real_now - timedelta(hours=2))        # planned earlier, so the reminders are due now
    calendar.program()
    for i in range(10):
        calendar.session(f"s{i}", real_now + timedelta(minutes=40 + i), title=f"Session {i}")
    for i in range(people):
        subscribe(f"person{i}@example.org", offsets_minutes=[60])
    with app.app_context():
        expected = set(db.session.scalars(select(Delivery.message_id).where(Delivery.kind == "reminder")))
        db.session.remove()
    assert len(expected) == 10 * people
    smtp.clear()
    smtp.data_delay = 0.15
    return expected


def kill_and_restart(app, smtp, tmp_path, expected: set[str], connections: int, in_flight) -> collections.Counter:
    """Start a worker, SIGKILL it once ``in_flight()`` holds mid-pass, start another; what the server received."""
    first = start_worker(app, smtp, tmp_path, connections)
    wait_for(in_flight)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    at_kill = len(smtp.messages)
    assert at_kill < len(expected), "the kill must land in the middle of the pass"

    second = start_worker(app, smtp, tmp_path, connections)
    try:
        wait_for(lambda: {m["Message-ID"] for m in smtp.messages} >= expected, timeout=60)
        wait_for(lambda: not unfinished(app), timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=15)
    counts = collections.Counter(m["Message-ID"] for m in smtp.messages)
    print(f"received at kill: {at_kill}, duplicates: {sum(counts.values()) - len(counts)}")
    assert set(counts) == expected
    assert all(n <= 2 for n in counts.values())              # sent at most twice, same Message-ID
    with app.app_context():
        statuses = set(db.session.scalars(select(Delivery.status).where(Delivery.kind == "reminder")))
    assert statuses == {"sent"}
    assert second.returncode == 0
    return counts


def test_sigkill_mid_batch_loses_nothing_and_duplicates_at_most_one(app, calendar, subscribe, smtp, clock, tmp_path):
    expected = plan(app, calendar, subscribe, smtp, clock, people=3)   # 30: less than a batch, one connection
    counts = kill_and_restart(app, smtp, tmp_path, expected, 1, lambda: len(smtp.messages) >= 8)
    assert sum(counts.values()) - len(counts) <= 1            # at most one duplicate


def test_sigkill_with_two_connections_sending_loses_nothing_and_duplicates_at_most_one_each(
        app, calendar, subscribe, smtp, clock, tmp_path):
    expected = plan(app, calendar, subscribe, smtp, clock, people=6)   # 60: more than a batch (50)
    both_sending = lambda: len(smtp.messages) >= 8 and smtp.open >= 2   # noqa: E731 - the kill waits for both
    counts = kill_and_restart(app, smtp, tmp_path, expected, 2, both_sending)
    assert sum(counts.values()) - len(counts) <= 2            # each connection sent at most its one in flight twice
