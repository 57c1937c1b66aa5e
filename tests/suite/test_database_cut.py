"""A database that drops every connection (a failover, a restart, an idle timeout) delays work and loses none.

Every process runs for real, outreach and its worker too (one suite for the module); the test terminates the
server-side backends of each service's own test database (never another one: other engineers share the
server). What is checked:

- the four web apps answer 200 at once to every request after the cut: sessions' API, a feed, notifications'
  API and pages, outreach's API (a coordinator's token) and pages (a coordinator signed in once on the
  sessions sign-in page);
- the relay and the three workers carry on within seconds, without a restart, twice in a row: a new session
  reaches the feed, Radicale and the reminders, a subscriber's confirmation mail goes out, and an outreach
  round opened just before the cut is mailed to every member and mentor;
- last, outreach's connections are cut while its worker is half-way through a round's mail (an SMTP server
  that acknowledges each message late makes the sending take seconds): every message still arrives, at most
  the one in flight twice, with the same Message-ID (the kit's mail queue promise), twice in a row.

PostgreSQL only: SQLite has no server connection to cut.
"""

from __future__ import annotations

import collections
import os
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from suite.test_cross_service import converged, local, open_outreach_round, outreach, pending_reminders, text_of, world  # noqa: F401 - fixtures

from support.ports import free_port
from support.smtp import SmtpSink
from support.suite import ADMIN_TOKEN, SERVICES, STAFF, links, wait_until

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
    for service in SERVICES:
        assert terminate_backends(suite, service) > 0, f"{service} held no connection to cut"


def test_web_apps_answer_200_to_every_request_after_their_connections_were_cut(suite, world, outreach):  # noqa: F811
    org, coordinator = suite.tokens["organizer"], suite.tokens["coordinator"]
    browser = suite.sign_in("coordinator")
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
        answer = suite.api("outreach", "GET", "/api/v1/oneonone/rounds", coordinator)
        assert answer.status_code == 200, answer.text
        answer = browser.get(suite.url["outreach"] + "/roster", allow_redirects=False)
        assert answer.status_code == 200, answer.text


def outreach_rounds_mailed(suite, outreach, rounds: int) -> bool:  # noqa: F811 (fixture)
    """Every member holds a link mail of each of the ``rounds`` rounds opened so far, each mentor a list mail."""
    links_, lists = collections.defaultdict(set), collections.defaultdict(set)
    for message in suite.messages():
        text = text_of(message)
        for kind, path in ((links_, "/oneonone/link/"), (lists, "/oneonone/mine")):
            if suite.url["outreach"] + path in text:
                kind[message["To"]].add(message["Message-ID"])
    return (all(len(links_[email]) >= rounds for email in outreach["members"])
            and all(len(lists[STAFF[key][0]]) >= rounds for key in ("mentor", "mentor2")))


def next_outreach_round(suite, current: dict) -> dict:
    closed = suite.api("outreach", "POST", f"/api/v1/oneonone/rounds/{current['id']}/close", suite.tokens["coordinator"])
    assert closed.status_code == 200, closed.text
    return open_outreach_round(suite)


def test_relay_and_workers_resume_within_seconds_after_their_connections_were_cut(suite, world, outreach):  # noqa: F811
    org = suite.tokens["organizer"]
    start, end = datetime.now(UTC), datetime.now(UTC) + timedelta(days=40)
    assert wait_until(lambda: converged(suite, world, start, end), timeout=30)
    outreach_round = outreach["round"]   # round 1, mailed
    for round_ in range(2):  # twice: a loop that recovered once must recover again
        outreach_round = next_outreach_round(suite, outreach_round)
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
        # The outreach worker's connections died with the round's mail queued: it sends every message.
        mailed = 2 + round_   # the fixture's round and those opened here
        assert wait_until(lambda: outreach_rounds_mailed(suite, outreach, mailed), timeout=30), \
            "the outreach worker stopped sending"  # noqa: B023 (called now)
    assert "PendingRollbackError" not in suite.logs()


def test_outreach_mail_cut_off_mid_send_all_arrives_once_without_a_restart(suite, outreach):  # noqa: F811
    """Last in this module: the outreach worker sends to a real SMTP server (aiosmtpd) that acknowledges each
    message 0.2 s late, so a round's mail takes seconds; its database connections are cut once two messages
    of the round have arrived. Every message still arrives, at most one of them twice (same Message-ID)."""
    slow = SmtpSink(free_port())
    slow.data_delay = 0.2
    slow.start()
    suite.stop("outreach_worker")
    suite.env["DOCBOX_SMTP_PORT"] = str(slow.port)   # for the worker started now
    try:
        suite.start("outreach_worker")
        current = suite.api("outreach", "GET", "/api/v1/oneonone/rounds", suite.tokens["coordinator"]).json()[0]
        expected = len(outreach["members"]) + 2   # a link to every member, a list to each mentor
        for _ in range(2):   # twice: a worker that recovered once must recover again
            before = len(slow.messages)
            current = next_outreach_round(suite, current)
            assert wait_until(lambda: len(slow.messages) >= before + 2, timeout=30)  # noqa: B023 (called now)
            assert terminate_backends(suite, "outreach") > 0
            assert len(slow.messages) < before + expected, "the cut came after the round was sent"

            def arrived():
                return collections.Counter(m["Message-ID"] for m in slow.messages[before:])  # noqa: B023

            assert wait_until(lambda: len(arrived()) == expected, timeout=40), \
                f"{expected - len(arrived())} messages of the round were lost, or wait for a restart"
            assert sum(n - 1 for n in arrived().values()) <= 1, "more than the one message in flight sent twice"
    finally:
        suite.stop("outreach_worker")
        suite.env["DOCBOX_SMTP_PORT"] = str(suite.ports["smtp"])
        suite.start("outreach_worker")
        slow.stop()
    assert "PendingRollbackError" not in suite.logs()
