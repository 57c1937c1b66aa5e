"""Feeds served by several workers or replicas over one database: nothing per process.

Two apps on the same database stand for two gunicorn workers (or two replicas):
whatever one learns (a change, a revoke, a rendered body) the other answers
from the database on its very next request.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from support.clock import clock_config
from support.ports import free_port
from support.statements import statements

from .test_feeds import new_feed, path_of

UTC = timezone.utc


@pytest.fixture
def other_worker(app, clock):
    from docbox_calendar_sync import create_app
    from docbox_calendar_sync.models import db

    twin = create_app({**{key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "EVENT_SECRETS", "PUBLIC_URL", "SESSIONS_URL")},
        **clock_config("calendar_sync", clock)})
    yield twin.test_client()
    with twin.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def program_feed(client, sessions):
    program = sessions.program(name="Peer support")
    session = sessions.session(program, "Grand rounds", datetime(2026, 3, 5, 17, tzinfo=UTC),
                               datetime(2026, 3, 5, 18, tzinfo=UTC))
    feed = new_feed(client, [program])
    return program, session, feed


def test_a_change_is_served_by_every_worker_on_its_next_request(client, other_worker, sessions, program_feed):
    _program, session, feed = program_feed
    first = client.get(path_of(feed["url"]))
    assert other_worker.get(path_of(feed["url"])).data == first.data
    sessions.change("session", session, title="Moved to the library")
    for worker in (other_worker, client):
        answer = worker.get(path_of(feed["url"]), headers={"If-None-Match": first.headers["ETag"]})
        assert answer.status_code == 200 and b"Moved to the library" in answer.data
        assert answer.headers["ETag"] != first.headers["ETag"]


def test_a_revoked_token_is_refused_by_every_worker_at_once(client, other_worker, program_feed):
    _program, _session, feed = program_feed
    etag = client.get(path_of(feed["url"])).headers["ETag"]
    assert other_worker.get(path_of(feed["url"]), headers={"If-None-Match": etag}).status_code == 304
    token = feed["url"].rsplit("/", 1)[1][:-4]
    assert client.post("/api/v1/feeds/revoke", json={"token": token}).status_code == 204
    for worker in (other_worker, client):
        for headers in ({}, {"If-None-Match": etag}):
            answer = worker.get(path_of(feed["url"]), headers=headers)
            assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


def test_a_change_is_rendered_once_for_all_workers(app, client, other_worker, sessions, program_feed):
    _program, session, feed = program_feed
    client.get(path_of(feed["url"]))
    sessions.change("session", session, title="Rendered once")
    with statements(app) as seen:
        assert b"Rendered once" in client.get(path_of(feed["url"])).data
    assert any("FROM entries" in s for s in seen)  # this worker rendered it
    with statements(other_worker.application) as seen:
        answer = other_worker.get(path_of(feed["url"]))
    assert b"Rendered once" in answer.data and not any("FROM entries" in s for s in seen)  # the other did not
    with statements(other_worker.application) as twin_seen:
        again = other_worker.get(path_of(feed["url"]))
    assert again.data == answer.data
    assert not any("FROM entries" in s for s in twin_seen)  # no rendering


def test_feeds_sharing_programs_and_options_share_one_stored_body(app, client, sessions, program_feed):
    program, _session, feed = program_feed
    other = new_feed(client, [program])
    assert client.get(path_of(feed["url"])).status_code == 200
    with statements(app) as seen:
        answer = client.get(path_of(other["url"]))
    assert answer.status_code == 200 and not any("FROM entries" in s for s in seen)
    different = new_feed(client, [program], hide_cancelled=True)
    with statements(app) as seen:
        assert client.get(path_of(different["url"])).status_code == 200
    assert any("FROM entries" in s for s in seen)


def test_stored_answers_are_still_counted_and_logged_without_the_token(app, client, program_feed, caplog):
    _program, _session, feed = program_feed
    token = feed["url"].rsplit("/", 1)[1][:-4]
    etag = client.get(path_of(feed["url"])).headers["ETag"]
    caplog.set_level(logging.INFO)
    caplog.clear()  # only the two requests below (an earlier test may have left INFO on)
    full = client.get(path_of(feed["url"]), headers={"X-Request-Id": "poll-request-0001"})
    not_modified = client.get(path_of(feed["url"]), headers={"If-None-Match": etag})
    assert full.status_code == 200 and not_modified.status_code == 304
    assert full.headers["X-Request-Id"] == "poll-request-0001" and not_modified.headers["X-Request-Id"]
    lines = [r for r in caplog.records if getattr(r, "route", None) == "/feeds/<token>.ics"]
    assert [r.status for r in lines] == [200, 304] and lines[0].request_id == "poll-request-0001"
    assert token not in caplog.text
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'route="/feeds/<token>.ics",service="calendar_sync",status="304"' in metrics
    assert token not in metrics


def test_a_change_is_rendered_once_by_real_gunicorn_workers_racing_for_it(app, client, sessions, tmp_path):
    """Two gunicorn workers (processes) on the test's database, a dozen subscribers polling at once
    right after a change: one render, and every answer, from both workers, is the changed feed."""
    program = sessions.program(name="Peer support")
    first = datetime(2026, 3, 2, 8, tzinfo=UTC)
    entries = [sessions.session(program, f"Grand rounds {i}", first + timedelta(hours=5 * i),
                                first + timedelta(hours=5 * i + 1)) for i in range(150)]  # a render takes a while
    path = path_of(new_feed(client, [program])["url"])
    assert client.get(path).status_code == 200  # rendered and stored here: the workers start with a body
    port, log = free_port(), tmp_path / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCBOX_", "GUNICORN_"))}
    env.update(DOCBOX_CALENDAR_SYNC_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], DOCBOX_LOG_LEVEL="INFO")
    # The access log gives each answer's worker (pid), status and size; never the path (it holds the token).
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--no-control-socket",
         "--access-logfile", str(tmp_path / "access.log"), "--access-logformat", "%(p)s %(s)s %(B)s",
         "docbox_calendar_sync.wsgi:app"], env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    try:
        url = f"http://127.0.0.1:{port}{path}"
        deadline = time.monotonic() + 120  # a busy shared machine
        while True:
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        sessions.change("session", entries[0], title="Moved to the library")
        served_before, logged_before = (len(f.read_text().splitlines()) for f in (tmp_path / "access.log", log))
        # Which worker accepts a request is the kernel's choice: on a busy machine one may take a whole burst,
        # so bursts go on (a few at most) until both workers have answered; none may render again.
        answers, workers = [], set()
        for _ in range(10):
            with ThreadPoolExecutor(12) as pool:
                answers += pool.map(lambda _: requests.get(url, timeout=60), range(24))
            served = (tmp_path / "access.log").read_text().splitlines()[served_before:]
            workers = {line.split()[0] for line in served if line.split()[1] == "200"}
            if len(workers) == 2:
                break
        assert all(a.status_code == 200 and b"Moved to the library" in a.content for a in answers)
        assert len({a.headers["ETag"] for a in answers}) == 1
        assert len(workers) == 2, served  # both workers
        renders = [line for line in log.read_text().splitlines()[logged_before:]
                   if line.startswith("{") and json.loads(line)["msg"] == "feed rendered"]
        assert len(renders) == 1, renders
    finally:
        server.terminate()
        server.wait(30)
