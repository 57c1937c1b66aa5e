"""A database that drops every connection (a failover, a restart, an idle timeout) delays work and loses none.

Every process runs for real; the test terminates the server-side backends of
each service's own test database (never another one: other engineers share
the server) and sees the web apps answer 200 at once and the relay and both
workers carry on within seconds, without a restart. PostgreSQL only: SQLite
has no server connection to cut.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from suite.test_cross_service import converged, local, pending_reminders, world  # noqa: F401 - world is a fixture

from support.suite import ADMIN_TOKEN, links, wait_until

UTC = timezone.utc

pytestmark = pytest.mark.skipif(
    not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DOCBOX_TEST_DATABASE_URL): SQLite has no server connections to terminate")


def terminate_backends(suite, service: str) -> int:
    """Cut every connection to ``service``'s own test database; how many there were."""
    url = suite.env[f"DOCBOX_{service.upper()}_DATABASE_URL"]
    database = url.rsplit("/", 1)[1]
    admin = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall()
    return len(rows)


def cut_all(suite) -> None:
    for service in ("sessions", "calendar_sync", "notifications"):
        assert terminate_backends(suite, service) > 0, f"{service} held no connection to cut"


def test_web_apps_answer_200_to_every_request_after_their_connections_were_cut(suite, world):  # noqa: F811 (fixture)
    org = suite.tokens["organizer"]
    cut_all(suite)
    # More requests than gunicorn workers times pooled connections: each stale connection is met once.
    for _ in range(12):
        answer = suite.api("sessions", "GET", "/api/v1/programs", org)
        assert answer.status_code == 200, answer.text
        answer = suite.http.get(world["feed"]["url"])
        assert answer.status_code == 200, answer.text
        answer = suite.api("notifications", "GET", "/api/v1/deliveries", ADMIN_TOKEN, params={"limit": 1})
        assert answer.status_code == 200, answer.text
        assert suite.http.get(suite.url["calendar_sync"] + "/").status_code == 200
        assert suite.http.get(suite.url["notifications"] + "/subscribe").status_code == 200


def test_relay_and_workers_resume_within_seconds_after_their_connections_were_cut(suite, world):  # noqa: F811 (fixture)
    org = suite.tokens["organizer"]
    start, end = datetime.now(UTC), datetime.now(UTC) + timedelta(days=40)
    assert wait_until(lambda: converged(suite, world, start, end), timeout=30)
    for round_ in range(2):  # twice: a loop that recovered once must recover again
        cut_all(suite)
        created = suite.api("sessions", "POST", "/api/v1/sessions", org, json={
            "program_id": world["program"]["id"], "title": f"After the failover {round_}", "format": "in_person",
            "start": local(5 + round_, 12).isoformat(), "end": local(5 + round_, 13).isoformat()})
        assert created.status_code == 201, created.text
        # relay -> calendar_sync inbox -> feed, and the calendar_sync worker -> Radicale
        assert wait_until(lambda: converged(suite, world, start, end), timeout=20), "feed or Radicale stopped"
        # relay -> notifications inbox -> plan, and the notifications worker sends mail again
        assert wait_until(lambda: created.json()["id"] in pending_reminders(suite), timeout=20)  # noqa: B023 (called now)
        address = f"after.failover.{round_}@hospital.example"
        answer = suite.api("notifications", "POST", "/api/v1/subscribers",
                           json={"email": address, "programs": [world["program"]["id"]]})
        assert answer.status_code == 202, answer.text
        assert wait_until(lambda: [m for m in suite.messages()
                                   if m["To"] == address and links(m, "confirm")],  # noqa: B023 (called now)
                          timeout=20), "the notifications worker stopped sending"
    assert "PendingRollbackError" not in suite.logs()
