"""Delivery: a server that is down, temporary and permanent SMTP errors, idempotent planning."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from docbox_notifications.models import Subscriber, db

from .conftest import UTC

ADMIN = {"Authorization": "Bearer test-admin-token"}


def test_smtp_down_then_back_delivers_everything_once(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    for i in range(3):
        calendar.session(f"s{i}", datetime(2027, 3, 23, 18, i, tzinfo=UTC), title=f"Session {i}")
    subscribe("ada@example.org")
    subscribe("bob@example.org")
    smtp.clear()
    smtp.stop()
    clock.set(datetime(2027, 3, 22, 18, 5, tzinfo=UTC))
    worker()                                   # refused: nothing lost, nothing sent
    clock.advance(minutes=10)
    worker()
    smtp.start()
    clock.advance(hours=1, minutes=30)
    worker()
    received = [(m.rcpt_tos[0], m.text.splitlines()[0]) for m in smtp.messages]
    assert sorted(received) == sorted((who, f"Session {i}") for who in ("ada@example.org", "bob@example.org")
                                      for i in range(3))
    assert len({m["Message-ID"] for m in smtp.messages}) == 6
    worker()
    assert len(smtp.messages) == 6


def test_temporary_failures_retry_then_fail_visibly_after_a_day(client, calendar, subscribe, smtp, worker, clock):
    calendar.program()
    calendar.session("s1", datetime(2027, 4, 4, 18, 0, tzinfo=UTC))
    subscribe(offsets_minutes=[10080, 60])
    smtp.clear()
    smtp.rcpt_reply = "450 4.2.1 mailbox busy for <ada@example.org>"
    clock.set(datetime(2027, 3, 28, 18, 0, tzinfo=UTC))          # the one-week reminder is due
    for _ in range(30):
        worker()
        clock.advance(hours=1)
    assert smtp.messages == []
    assert client.get("/api/v1/deliveries?status=failed").status_code == 401
    failed = client.get("/api/v1/deliveries?status=failed", headers=ADMIN)
    assert failed.status_code == 200
    [row] = failed.get_json()
    assert row["kind"] == "reminder" and row["attempts"] > 3
    assert row["last_error"].startswith("450") and "ada@" not in row["last_error"]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "docbox_mail_failed 1.0" in metrics and "ada@" not in metrics
    assert "docbox_mail_due 0.0" in metrics and "docbox_mail_pending 1.0" in metrics  # the 1 h reminder waits
    smtp.rcpt_reply = None
    clock.set(datetime(2027, 4, 4, 17, 0, tzinfo=UTC))
    worker()                                                     # the 1 h one still goes out
    assert len(smtp.messages) == 1


def test_permanent_bounces_pause_the_subscriber(app, client, calendar, subscribe, smtp, worker, clock):
    calendar.program()
    for day in (23, 24, 25, 26):
        calendar.session(f"s{day}", datetime(2027, 3, day, 18, 0, tzinfo=UTC))
    token = subscribe()
    smtp.clear()
    smtp.rcpt_reply = "550 5.1.1 no such user"
    for day in (22, 23, 24):
        clock.set(datetime(2027, 3, day, 18, 0, tzinfo=UTC))
        worker()
    with app.app_context():
        assert db.session.scalar(select(Subscriber.status)) == "paused"
    bounced = client.get("/api/v1/deliveries?status=bounced", headers=ADMIN).get_json()
    assert len(bounced) == 3 and all(b["last_error"].startswith("550") for b in bounced)
    assert "docbox_mail_bounced 3.0" in client.get("/metrics").get_data(as_text=True)
    smtp.rcpt_reply = None
    clock.set(datetime(2027, 3, 25, 17, 0, tzinfo=UTC))
    worker()
    assert smtp.messages == []                                    # paused: nothing is tried
    assert b"Resume" in client.get(f"/manage/{token}").data
    client.post(f"/manage/{token}", data={"action": "resume"})
    clock.set(datetime(2027, 3, 26, 17, 0, tzinfo=UTC))
    worker()
    assert len(smtp.messages) == 1


def test_redelivered_and_reordered_events_plan_once(calendar, subscribe, smtp, worker, clock):
    calendar.program()
    state = calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    calendar.versions[("session", "s1")] -= 1                    # the same version again
    calendar.publish("session", state)
    calendar.versions[("session", "s1")] -= 1
    calendar.publish("session", {**state, "start": state["start"] + timedelta(hours=2),
                                 "end": state["end"] + timedelta(hours=2)})   # stale: ignored
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))
    worker()
    worker()
    assert len(smtp.messages) == 1


def test_bad_event_signature_is_refused(client):
    response = client.post("/api/v1/events", json={"event_id": "x"})
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_message_that_cannot_be_built_fails_visibly_at_once_and_is_not_retried(app, client, calendar, subscribe,
                                                                                   smtp, worker, clock):
    """A subject with a line break, stored before input refused it (an upgrade): failed at once, counted, shown."""
    from docbox_notifications.models import Entry, db

    calendar.program(email_subject="Peer support {date}")
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    subscribe()
    smtp.clear()
    with app.app_context():
        entry = db.session.get(Entry, ("program", "prog-1"))
        entry.data = {**entry.data, "email_subject": "Peer support\r\nBcc: everyone@hospital.example {date}"}
        db.session.commit()
    clock.set(datetime(2027, 3, 22, 18, 5, tzinfo=UTC))          # the 24 h reminder is due
    worker()
    failed = client.get("/api/v1/deliveries?status=failed", headers=ADMIN).get_json()
    assert [(row["kind"], row["last_error"]) for row in failed] == [
        ("reminder", "the message could not be built (ValueError)")]
    assert "docbox_mail_failed 1.0" in client.get("/metrics").get_data(as_text=True)
    clock.advance(minutes=30)
    worker()
    assert smtp.messages == []
    assert [row["attempts"] for row in client.get("/api/v1/deliveries?status=failed", headers=ADMIN).get_json()] == [1]


def test_closing_a_program_stops_its_mail_to_subscribers_and_reopening_resumes_it(calendar, subscribe, smtp,
                                                                                   worker, clock):
    program = calendar.program()
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC), title="Before closing")
    calendar.session("s2", datetime(2027, 3, 30, 18, 0, tzinfo=UTC), title="After reopening")
    subscribe()
    smtp.clear()
    program = calendar.update("program", program, open=False)
    clock.set(datetime(2027, 3, 22, 18, 5, tzinfo=UTC))          # s1's 24 h reminder is due
    worker()
    clock.set(datetime(2027, 3, 23, 17, 5, tzinfo=UTC))          # and its 1 h one
    worker()
    assert smtp.messages == []
    calendar.update("program", program, open=True)
    clock.set(datetime(2027, 3, 29, 18, 5, tzinfo=UTC))
    worker()
    assert [m.text.splitlines()[0] for m in smtp.messages] == ["After reopening"]


def sixty_due(calendar, subscribe, smtp, clock) -> list[tuple[str, str]]:
    """Six subscribers of ten sessions, their day-ahead reminders due: 60, more than a batch (50)."""
    calendar.program()
    for i in range(10):
        calendar.session(f"s{i}", datetime(2027, 3, 23, 18, i, tzinfo=UTC), title=f"Session {i}")
    people = [f"person{i}@example.org" for i in range(6)]
    for person in people:
        subscribe(person)
    smtp.clear()
    clock.set(datetime(2027, 3, 22, 18, 10, tzinfo=UTC))
    return sorted((who, f"Session {i}") for who in people for i in range(10))


def received(smtp) -> list[tuple[str, str]]:
    return sorted((m.rcpt_tos[0], m.text.splitlines()[0]) for m in smtp.messages)


def test_a_relay_that_refuses_a_second_connection_still_gets_every_message_once_in_the_same_pass(
        calendar, subscribe, smtp, worker, clock):
    expected = sixty_due(calendar, subscribe, smtp, clock)
    smtp.max_connections = 1                   # "421 too many connections" to the worker's second one
    worker()
    assert smtp.refused >= 1                   # the worker tried a second connection ...
    assert received(smtp) == expected          # ... and its first one sent everything, each once, none put off


def test_a_relay_turning_every_connection_away_puts_off_one_message_not_the_whole_batch(
        calendar, subscribe, smtp, worker, clock):
    expected = sixty_due(calendar, subscribe, smtp, clock)
    smtp.max_connections = 0                   # "421 too many connections" (another worker holds them all)
    worker()
    assert smtp.messages == [] and smtp.refused == 1   # the batch is given back at the first refusal
    smtp.max_connections = None
    clock.advance(seconds=30)
    worker()                                   # the next pass sends all but the one that met the refusal
    assert len(received(smtp)) == 59
    clock.advance(minutes=5)                   # ... which follows after its backoff
    worker()
    assert received(smtp) == expected
