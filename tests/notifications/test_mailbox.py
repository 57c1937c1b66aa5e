"""A subscribed person's whole mailbox while an organizer works on the calendar.

The real sessions service (its API, its split of a running series, its outbox)
feeds the notifications service through the signed events endpoint, as the
relay does, in order or with the events of one change delivered in reverse
(a relay catching up after an outage may do that). Everything the person
receives goes through a real SMTP server (aiosmtpd). The feed is
calendar_sync's rendering of the same events; the feed and every mailed
invitation are loaded into one calendar store keyed by UID and RECURRENCE-ID,
as a calendar application that subscribes to the feed and accepts the
invitations would hold them.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import icalendar
import pytest
import recurring_ical_events

from docbox_calendar_sync import ical
from docbox_sessions.models import OutboxEvent
from docbox_sessions.models import db as sessions_db
from docbox_shared import signing
from docbox_shared.events import load_state
from support.apps import running_app
from support.clock import clock_config

from .conftest import SECRET, UTC

ADA = "ada@example.org"


class Sessions:
    """The sessions service in this process, and a relay from its outbox to notifications."""

    def __init__(self, app, client, token, notifications):
        self.app, self.client, self.notifications = app, client, notifications
        self.headers = {"Authorization": f"Bearer {token}"}
        self.relayed = 0

    def call(self, method, url, expect=(200, 201), **kwargs):
        response = getattr(self.client, method)(f"/api/v1{url}", headers=self.headers, **kwargs)
        assert response.status_code in expect, response.get_data(as_text=True)
        return response.json if response.data else None

    def relay(self, reverse=False):
        """Deliver the events not delivered yet (newest first with ``reverse``)."""
        with self.app.app_context():
            bodies = [e.body for e in sessions_db.session.scalars(
                sessions_db.select(OutboxEvent).where(OutboxEvent.id > self.relayed).order_by(OutboxEvent.id))]
            last = sessions_db.session.scalar(sessions_db.select(sessions_db.func.max(OutboxEvent.id)))
        self.relayed = last or 0
        for body in reversed(bodies) if reverse else bodies:
            headers = {**signing.sign(body.encode(), SECRET), "Content-Type": "application/json"}
            response = self.notifications.post("/api/v1/events", data=body.encode(), headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)

    def latest_states(self):
        """``(kind, state, version)`` of every session and series, from their newest event."""
        with self.app.app_context():
            events = sessions_db.session.scalars(sessions_db.select(OutboxEvent).order_by(OutboxEvent.id)).all()
            newest = {(e.entry_kind, e.entry_id): json.loads(e.body) for e in events}
        return [(kind, load_state(kind, body["data"]), body["version"]) for (kind, _), body in newest.items()
                if kind in ("session", "series")]

    def occurrences(self):
        return self.call("get", "/occurrences?from=2027-03-01T00:00:00Z&to=2027-07-01T00:00:00Z")


@pytest.fixture
def sessions(make_database_url, clock, client):
    with running_app("sessions", {"SQLALCHEMY_DATABASE_URI": make_database_url("sessions"),
                                  **clock_config("sessions", clock),
                                  "EVENT_SUBSCRIBERS": ["http://notifications.test/api/v1/events"],
                                  "EVENT_SECRETS": [SECRET], "MIN_CELL": 5}) as app:
        out = app.test_cli_runner().invoke(args=["staff", "add", "org@example.org", "--role", "organizer"])
        assert out.exit_code == 0, out.output
        yield Sessions(app, app.test_client(), out.output.strip().splitlines()[-1], client)


def notices(messages, prefix):
    return [m for m in messages if m["Subject"].startswith(prefix)]


def subject_days(messages):
    return sorted(re.search(r"\w+day \d+ \w+ 2027", m["Subject"]).group(0) for m in messages)


def store_of(feed: bytes, messages) -> dict:
    """One calendar store: the feed's components, then each invitation applied by UID + RECURRENCE-ID."""
    store, zones = {}, {}

    def apply(component, method):
        rid = component.get("recurrence-id")
        key = (str(component["uid"]), rid.dt.astimezone(UTC) if rid is not None else None)
        held = store.get(key)
        if held is not None and int(held.get("sequence", 0)) > int(component.get("sequence", 0)):
            return
        if method == "CANCEL":
            component["status"] = "CANCELLED"
        store[key] = component

    for cal in [icalendar.Calendar.from_ical(feed)] + [
            icalendar.Calendar.from_ical(part.get_content()) for m in messages for part in m.calendar_parts()]:
        for tz in cal.walk("VTIMEZONE"):
            zones.setdefault(str(tz["tzid"]), tz)
        for event in cal.walk("VEVENT"):
            apply(event, str(cal.get("method", "PUBLISH")))
    return store, zones


@pytest.mark.parametrize("reverse", [False, True], ids=["in-order", "split-events-reversed"])
def test_whole_mailbox_across_create_move_split_end_and_cancel(sessions, subscribe, smtp, worker, clock, reverse):
    program = sessions.call("post", "/programs", json={
        "name": "Doc Box", "timezone": "Europe/Berlin", "open": True, "default_format": "in_person",
        "default_location": "Room A"})
    circle = sessions.call("post", "/series", json={
        "program_id": program["id"], "title": "Doc Box circle", "format": "in_person", "location": "Room A",
        "start": "2027-03-23T18:00:00+01:00", "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=6"})
    lunch = sessions.call("post", "/series", json={
        "program_id": program["id"], "title": "Lunch talk", "format": "virtual",
        "video_url": "https://video.example/lunch", "start": "2027-03-25T12:00:00+01:00",
        "duration_minutes": 45, "rrule": "FREQ=WEEKLY;COUNT=6"})
    one_off = sessions.call("post", "/sessions", json={
        "program_id": program["id"], "title": "After a lawsuit", "format": "in_person", "location": "Room C",
        "start": "2027-03-26T15:00:00+01:00", "end": "2027-03-26T16:00:00+01:00"})
    other_one_off = sessions.call("post", "/sessions", json={
        "program_id": program["id"], "title": "Open hour", "format": "in_person", "location": "Room C",
        "start": "2027-04-02T15:00:00+02:00", "end": "2027-04-02T16:00:00+02:00"})
    sessions.relay()
    subscribe(ADA, programs=(program["id"],))
    smtp.clear()

    # Moves: one within the notice window, one far ahead (to where the edit below will put the series).
    sessions.call("patch", f"/occurrences/{circle['id']}_20270330", json={
        "start": "2027-03-31T18:00:00+02:00", "end": "2027-03-31T19:30:00+02:00"})
    sessions.call("patch", f"/occurrences/{circle['id']}_20270413", json={
        "start": "2027-04-13T19:00:00+02:00", "end": "2027-04-13T20:30:00+02:00", "location": "Room B"})
    sessions.call("patch", f"/occurrences/{one_off['id']}", json={
        "start": "2027-03-27T15:00:00+01:00", "end": "2027-03-27T16:00:00+01:00"})
    sessions.relay()
    worker()

    # The circle has begun; an edit of its description alone changes nothing for anyone.
    clock.set(datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    worker()
    continuation = sessions.call("patch", f"/series/{circle['id']}", json={"description": "Bring a friend."})
    assert continuation["continues_series_id"] == circle["id"]
    sessions.relay(reverse=reverse)
    worker()

    # Later, a second split: 19:00 in Room B from 6 April on (13 April is already there).
    clock.set(datetime(2027, 3, 30, 20, 0, tzinfo=UTC))
    worker()
    third = sessions.call("patch", f"/series/{continuation['id']}", json={
        "start": "2027-04-06T19:00:00+02:00", "location": "Room B"})
    assert third["continues_series_id"] == continuation["id"]
    sessions.relay(reverse=reverse)
    worker()

    # Real cancellations: the lunch talks end, one circle and one one-off session are cancelled.
    sessions.call("post", f"/series/{lunch['id']}/end", json={"on": "2027-04-08"})
    sessions.call("post", f"/occurrences/{third['id']}_20270420/cancel")
    sessions.call("post", f"/occurrences/{other_one_off['id']}/cancel")
    sessions.relay()
    worker()
    day = datetime(2027, 3, 31, tzinfo=UTC)
    while day < datetime(2027, 4, 29, tzinfo=UTC):   # each reminder at its time: 16:00 and 17:00 UTC
        for hour in (16, 17):
            clock.set(day.replace(hour=hour, minute=5))
            worker()
        day += timedelta(days=1)

    mailbox = smtp.to(ADA)
    print("\n".join(f"{m['Date']} {m['Subject']}" for m in mailbox))
    assert len({m["Message-ID"] for m in mailbox}) == len(mailbox)
    for subject in {m["Subject"] for m in mailbox}:
        assert len([m for m in mailbox if m["Subject"] == subject]) <= 2, f"{subject} more often than its reminders"

    cancelled = notices(mailbox, "Cancelled:")
    assert subject_days(cancelled) == sorted([
        "Thursday 8 April 2027", "Thursday 15 April 2027", "Thursday 22 April 2027", "Thursday 29 April 2027",
        "Tuesday 20 April 2027", "Friday 2 April 2027"]), "a cancellation only where a session no longer takes place"

    changed = notices(mailbox, "Changed:")
    assert subject_days(changed) == sorted(["Wednesday 31 March 2027", "Saturday 27 March 2027",
                                            "Tuesday 6 April 2027"]), "one notice per real change, none otherwise"
    by_day = {re.search(r"\w+day \d+ \w+ 2027", m["Subject"]).group(0): m.text for m in changed}
    moved = by_day["Wednesday 31 March 2027"]
    assert "Wednesday 31 March 2027, 18:00–19:30" in moved and "Tuesday 30 March 2027, 18:00–19:30" in moved
    edited = by_day["Tuesday 6 April 2027"]
    assert "19:00–20:30" in edited and "18:00–19:30" in edited, "new and old time"
    assert "Room B" in edited and "Room A" in edited, "new and old place"
    assert edited.index("19:00") < edited.index("18:00") and edited.index("Room B") < edited.index("Room A")

    # Reminders followed the continuing occurrences: 6 April at its new time, 13 April unchanged, each once.
    reminders = [m for m in mailbox if not m["Subject"].startswith(("Changed:", "Cancelled:"))]
    april_6 = [m for m in reminders if "6 April" in m["Subject"]]
    assert len(april_6) == 2 and all("19:00–20:30" in m.text and "Room B" in m.text for m in april_6)
    assert len([m for m in reminders if "13 April" in m["Subject"]]) == 2
    assert len([m for m in reminders if "20 April" in m["Subject"]]) == 0

    # The feed and every invitation in one store: each occurrence once.
    feed = ical.calendar([(kind, state, version, "Doc Box") for kind, state, version in sessions.latest_states()],
                         name="Doc Box")
    store, zones = store_of(feed, mailbox)
    merged = icalendar.Calendar()
    merged.add("prodid", "-//test//store//EN")
    merged.add("version", "2.0")
    for tz in zones.values():
        merged.add_component(tz)
    for component in store.values():
        merged.add_component(component)
    window = (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC))
    shown = sorted(e.decoded("dtstart").astimezone(UTC)
                   for e in recurring_ical_events.of(merged).between(*window)
                   if str(e.get("status", "")).upper() != "CANCELLED")
    expected = sorted(datetime.fromisoformat(o["start"]).astimezone(UTC) for o in sessions.occurrences()
                      if o["status"] == "scheduled")
    assert shown == expected


DIGEST, LATE = "dora@example.org", "late@example.org"


def test_whole_mailbox_of_a_digest_reader_across_delete_cancel_and_restore(sessions, subscribe, smtp, worker, clock):
    """A weekly digest tells its reader of the sessions it lists, as a reminder does: deleting one of them is a
    cancellation for that reader too, also after an edit split its series; one the digest never listed is
    deleted without a word, and cancelling and restoring reach digest readers exactly as they reach people
    reminded before each session."""
    program = sessions.call("post", "/programs", json={
        "name": "Doc Box", "timezone": "Europe/Berlin", "open": True, "default_format": "in_person",
        "default_location": "Room A"})

    def one_off(title, day):
        return sessions.call("post", "/sessions", json={
            "program_id": program["id"], "title": title, "format": "in_person", "location": "Room C",
            "start": f"2027-03-{day}T15:00:00+01:00", "end": f"2027-03-{day}T16:00:00+01:00"})

    listed, unlisted = one_off("Listed", 25), one_off("Not listed yet", 31)
    circle = sessions.call("post", "/series", json={
        "program_id": program["id"], "title": "Doc Box circle", "format": "in_person", "location": "Room A",
        "start": "2027-03-23T18:00:00+01:00", "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=4"})
    sessions.relay()
    subscribe(ADA, programs=(program["id"],))                    # reminders 24 h and 1 h before
    subscribe(DIGEST, programs=(program["id"],), digest=True)
    clock.set(datetime(2027, 3, 22, 6, 0, tzinfo=UTC))           # Monday 07:00 in Berlin: the digest
    worker()
    [digest] = smtp.to(DIGEST)[1:]
    assert "Listed" in digest.text and "Tuesday 23 March 2027" in digest.text
    assert "Not listed yet" not in digest.text and "30 March" not in digest.text
    subscribe(LATE, programs=(program["id"],), digest=True)      # after this week's digest: told of nothing yet
    smtp.clear()

    # Deleted: the session the digest listed, and one it did not (31 March is beyond its seven days).
    clock.set(datetime(2027, 3, 22, 12, 0, tzinfo=UTC))
    sessions.call("delete", f"/sessions/{listed['id']}", expect=(204,))
    sessions.call("delete", f"/sessions/{unlisted['id']}", expect=(204,))
    sessions.relay()
    worker()
    assert [(m.rcpt_tos, m["Subject"]) for m in smtp.messages] == [
        ([DIGEST], "Cancelled: Doc Box — Thursday 25 March 2027")], \
        "the digest's reader hears of a listed session's deletion; nobody else was told of either"

    # Cancelled and restored: everyone following hears of both, digest or not (the newcomer too, as a
    # reminder reader who had no reminder yet does: the cancellation is news about a planned session).
    smtp.clear()
    sessions.call("post", f"/occurrences/{circle['id']}_20270330/cancel")
    sessions.relay()
    worker()
    assert sorted(r for m in notices(smtp.messages, "Cancelled:") for r in m.rcpt_tos) == [ADA, DIGEST, LATE]
    smtp.clear()
    sessions.call("post", f"/occurrences/{circle['id']}_20270330/restore")
    sessions.relay()
    worker()
    restored = notices(smtp.messages, "Takes place after all:")
    assert sorted(r for m in restored for r in m.rcpt_tos) == [ADA, DIGEST, LATE]

    # Next Monday's digest lists 30 March for both digest readers; then the whole series is deleted.
    clock.set(datetime(2027, 3, 29, 5, 0, tzinfo=UTC))           # 07:00 CEST
    smtp.clear()
    worker()
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == [DIGEST, LATE]
    # An edit of the running series splits it (30 March on goes to the continuation): nothing to tell.
    clock.set(datetime(2027, 3, 29, 12, 0, tzinfo=UTC))
    smtp.clear()
    continuation = sessions.call("patch", f"/series/{circle['id']}", json={"description": "Bring a friend."})
    assert continuation["continues_series_id"] == circle["id"]
    sessions.relay()
    worker()
    assert smtp.messages == []
    sessions.call("delete", f"/series/{continuation['id']}", expect=(204,))
    sessions.relay()
    worker()
    cancelled = notices(smtp.messages, "Cancelled:")
    assert sorted((m.rcpt_tos[0], m["Subject"]) for m in cancelled) == [
        (person, "Cancelled: Doc Box — Tuesday 30 March 2027") for person in (ADA, DIGEST, LATE)], \
        "30 March was listed in a digest or noticed to each; 6 and 13 April to nobody"
    assert len(smtp.messages) == len(cancelled)
