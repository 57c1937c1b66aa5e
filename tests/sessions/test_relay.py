"""The relay delivers every event to a real HTTP consumer, through refusals and kills.

The consumer is the ``consumer`` fixture: a real Flask app with the shared
inbox over its own database, served on a free port. The relay is the real
``flask --app docbox_sessions relay`` command in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from docbox_sessions.models import OneOffSession, OutboxDelivery, OutboxEvent, Program, Series, db, outbox
from docbox_shared import relay
from support.clock import clock_config


@pytest.fixture
def receiver_url(consumer, serve):
    return serve(consumer.app) + "/api/v1/events"


@pytest.fixture
def app_config(app_config, receiver_url):
    # The relay subprocess runs on the real clock, so the app does too.
    return {**app_config, **clock_config("sessions", None), "EVENT_SUBSCRIBERS": [receiver_url]}


@pytest.fixture
def start_relay(app, tmp_path):
    processes = []

    def start():
        env = {**os.environ, "DOCBOX_SESSIONS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "DOCBOX_EVENT_SECRET": "test-secret", "DOCBOX_VAR_DIR": str(tmp_path)}
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "docbox_sessions", "relay"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait()


def source_versions(app) -> dict:
    with app.app_context():
        return {(kind, e.id): e.version for kind, model in (("program", Program), ("session", OneOffSession),
                                                           ("series", Series))
                for e in db.session.scalars(db.select(model))}


def pending(app) -> int:
    with app.app_context():
        return db.session.query(OutboxDelivery).filter(OutboxDelivery.delivered_at.is_(None)).count()


def wait_until(condition, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def make_changes(api, program, n_series=3):
    for i in range(n_series):
        series = api("organizer").post("/api/v1/series", json={
            "program_id": program["id"], "title": f"Circle {i}", "format": "in_person",
            "start": f"2027-0{3 + i}-03T19:00:00", "duration_minutes": 60, "rrule": "FREQ=WEEKLY;COUNT=5"}).json
        ids = [f"{series['id']}_2027{3 + i:02d}{d:02d}" for d in (3, 10, 17)]
        api("organizer").post(f"/api/v1/occurrences/{ids[1]}/cancel")
        api("organizer").patch(f"/api/v1/occurrences/{ids[2]}", json={"location": f"Room {i}"})
        api("organizer").patch(f"/api/v1/series/{series['id']}", json={"title": f"Circle {i}, renamed"})
    api("organizer").patch(f"/api/v1/programs/{program['id']}", json={"description": "changed"})


def test_every_event_arrives_although_the_consumer_refuses_at_first(app, api, program, consumer, start_relay):
    make_changes(api, program)
    consumer.refuse(4)
    start_relay()
    assert wait_until(lambda: pending(app) == 0), f"{pending(app)} deliveries still pending"
    assert consumer.entries() == source_versions(app)
    assert consumer.received >= pending(app) + 4


def test_a_relay_killed_mid_delivery_and_restarted_delivers_the_rest(app, api, program, consumer, start_relay):
    make_changes(api, program, n_series=4)
    total = pending(app)
    consumer.delay = 0.05
    for _ in range(3):
        process = start_relay()
        assert wait_until(lambda: pending(app) < total, timeout=30)
        time.sleep(0.15)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert pending(app) > 0, "the kills came before the end: some deliveries must be left"
    consumer.delay = 0
    start_relay()
    assert wait_until(lambda: pending(app) == 0)
    assert consumer.entries() == source_versions(app)


@pytest.fixture
def unanswering_url():
    """A subscriber cut off the way a network partition cuts it: connections are taken, nothing answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)   # the kernel completes handshakes; nobody ever reads or writes
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1/events"
    sock.close()


def test_a_subscriber_that_never_answers_does_not_hold_up_the_others(app, api, program, consumer, start_relay,
                                                                     unanswering_url):
    # One relay serves every consumer: each event waited for the silent one's ten-second timeout first,
    # so with notifications unreachable, a change reached the feeds minutes late.
    app.config["EVENT_SUBSCRIBERS"] = [unanswering_url, app.config["EVENT_SUBSCRIBERS"][0]]
    make_changes(api, program, n_series=2)
    started = time.monotonic()
    start_relay()
    assert wait_until(lambda: consumer.entries() == source_versions(app), timeout=60)
    assert time.monotonic() - started < 25, "the answering consumer waited for the silent one"
    with app.app_context():  # delayed, never lost: the silent subscriber's events are all still there
        assert db.session.query(OutboxDelivery).filter(OutboxDelivery.subscriber == unanswering_url,
                                                       OutboxDelivery.delivered_at.is_(None)).count() >= 9


def test_a_failing_subscriber_is_visible_and_kept(app, api, program):
    app.config["EVENT_SUBSCRIBERS"] = ["http://127.0.0.1:9/api/v1/events"]  # port 9: nothing listens
    api("organizer").patch(f"/api/v1/programs/{program['id']}", json={"name": "Doc Box 2"})
    with app.app_context():
        outbox.deliver_due()
    status = api("admin").get("/api/v1/outbox").json
    dead = next(s for s in status["subscribers"] if s["subscriber"].startswith("http://127.0.0.1:9/"))
    assert dead["failing"] is True and dead["pending"] == 1 and "could not reach" in dead["last_error"]
    assert status["pending"] >= 1 and status["oldest_pending_age_seconds"] >= 0


def test_backoff_grows_and_is_capped():
    delays = [relay.backoff_seconds(n) for n in range(1, 30)]
    assert 0.5 <= delays[0] <= 1.5 and 4 <= delays[3] <= 12
    assert max(delays) <= relay.MAX_BACKOFF * 1.5


def test_two_relays_at_once_deliver_everything(app, api, program, consumer, start_relay):
    make_changes(api, program, n_series=4)
    consumer.delay = 0.01
    start_relay(), start_relay()
    assert wait_until(lambda: pending(app) == 0)
    assert consumer.entries() == source_versions(app)


def _poison(app, api, program) -> str:
    """An outbox event as a sessions release before the shared check wrote it: a rule no calendar can show."""
    series = api("organizer").post("/api/v1/series", json={
        "program_id": program["id"], "title": "Circle", "format": "in_person", "start": "2027-03-03T19:00:00",
        "duration_minutes": 60, "rrule": "FREQ=WEEKLY;COUNT=2"}).json
    with app.app_context():
        event = db.session.scalars(db.select(OutboxEvent).where(OutboxEvent.entry_id == series["id"])).one()
        body = json.loads(event.body)
        body["data"]["rrule"] = "FREQ=WEEKLY;INTERVAL=99999999999999999999;COUNT=2"
        event.body = json.dumps(body)
        db.session.commit()
        return event.event_id


def test_an_event_the_consumer_refuses_is_parked_visible_and_not_retried(app, api, program, consumer):
    poisoned = _poison(app, api, program)
    with app.app_context():
        outbox.deliver_due()
        outbox.deliver_due()  # a second pass does not try it again
        row = db.session.scalars(db.select(OutboxDelivery).join(OutboxEvent)
                                 .where(OutboxEvent.event_id == poisoned)).one()
        assert row.parked_at is not None and row.delivered_at is None and row.attempts == 1
        assert "422" in row.last_error and "rrule" in row.last_error
    status = api("admin").get("/api/v1/outbox").json
    assert status["parked"] == 1 and status["pending"] == 0
    assert status["subscribers"][0]["parked"] == 1 and "INTERVAL" in status["subscribers"][0]["last_error"]
    assert "docbox_outbox_parked 1.0" in app.test_client().get("/metrics").get_data(as_text=True)
    # Later changes still arrive; an admin can send the parked one again once the consumer was fixed.
    api("organizer").patch(f"/api/v1/programs/{program['id']}", json={"description": "later"})
    with app.app_context():
        outbox.deliver_due()
    assert consumer.entries()[("program", program["id"])] == 2
    out = app.test_cli_runner().invoke(args=["outbox", "retry-parked"])
    assert "1 parked deliveries are due again" in out.output
    assert api("admin").get("/api/v1/outbox").json["pending"] == 1
