"""The three services as real processes: changes reach the feed, Radicale and
the reminders; stopped or killed processes delay work and lose none of it."""

from __future__ import annotations

import collections
import random
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from support.suite import ADMIN_TOKEN, links, wait_until

UTC = timezone.utc
ZONE = ZoneInfo("America/New_York")
FACULTY = "faculty.member@hospital.example"


def local(days: int, hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(ZONE) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


@pytest.fixture(scope="module")
def world(suite):
    """A program with a feed, a CalDAV target and a confirmed reminder subscriber."""
    org, admin = suite.tokens["organizer"], suite.tokens["admin"]
    program = suite.api("sessions", "POST", "/api/v1/programs", org, json={
        "name": "Doc Box", "timezone": "America/New_York", "open": True, "default_format": "in_person",
        "default_location": "ED conference room 2", "default_video_url": "https://meet.example.org/docbox"}).json()
    feed = wait_until(lambda: _created(suite.api("calendar_sync", "POST", "/api/v1/feeds",
                                                 json={"programs": [program["id"]]})))
    assert feed, "the program never reached calendar_sync"
    assert suite.dav.request("MKCALENDAR", suite.calendar_url).status_code == 201
    target = suite.api("calendar_sync", "POST", "/api/v1/caldav-targets", admin, json={
        "name": "Radicale", "server_url": suite.radicale_url + "/", "calendar_url": suite.calendar_url,
        "username": "docbox", "password": "radicale-password", "programs": [program["id"]]})
    assert target.status_code == 201, target.text
    subscribed = wait_until(lambda: suite.api("notifications", "POST", "/api/v1/subscribers", json={
        "email": FACULTY, "programs": [program["id"]]}).status_code == 202 and _confirmation(suite))
    assert subscribed, "no confirmation email arrived"
    answer = suite.http.post(links(subscribed, "confirm")[0])
    assert answer.status_code in (200, 303), answer.text
    return dict(program=program, feed=feed, target=target.json())


def _created(response):
    return response.json() if response.status_code == 201 else None


def _confirmation(suite):
    found = [m for m in suite.messages() if links(m, "confirm")]
    return found[-1] if found else None


def occurrences(suite, start, end):
    answer = suite.api("sessions", "GET", "/api/v1/occurrences", suite.tokens["organizer"],
                       params={"from": start.isoformat(), "to": end.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()


def expected(suite, start, end) -> set:
    return {(datetime.fromisoformat(o["start"]).astimezone(UTC), o["title"], o["status"], o["location"])
            for o in occurrences(suite, start, end)}


def expanded(calendar_text: str, start, end) -> set:
    calendar = icalendar.Calendar.from_ical(calendar_text)
    found = set()
    for event in recurring_ical_events.of(calendar).between(start, end):
        status = str(event.get("STATUS", "CONFIRMED")).lower()
        title = str(event["SUMMARY"]).removeprefix("Cancelled: ")
        location = str(event["LOCATION"]) if event.get("LOCATION") else None
        found.add((event["DTSTART"].dt.astimezone(UTC), title, "cancelled" if status == "cancelled" else "scheduled",
                   location))
    return found


def feed_text(suite, world) -> str:
    return suite.http.get(world["feed"]["url"]).text


def radicale_text(suite) -> str:
    """Every object of the Radicale calendar, as one calendar."""
    answer = suite.dav.get(suite.calendar_url)
    return answer.text if answer.status_code == 200 else "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def pending_reminders(suite) -> set[str]:
    answer = suite.api("notifications", "GET", "/api/v1/deliveries", ADMIN_TOKEN,
                       params={"status": "pending", "limit": 1000})
    assert answer.status_code == 200, answer.text
    return {d["occurrence_id"] for d in answer.json() if d["kind"].startswith("reminder")}


def converged(suite, world, start, end) -> bool:
    want = expected(suite, start, end)
    return want == expanded(feed_text(suite, world), start, end) == expanded(radicale_text(suite), start, end)


def test_changes_reach_the_feed_radicale_and_the_reminders(suite, world):
    org = suite.tokens["organizer"]
    series = suite.api("sessions", "POST", "/api/v1/series", org, json={
        "program_id": world["program"]["id"], "title": "Doc Box circle", "start": local(3, 19).isoformat(),
        "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=4"}).json()
    start, end = datetime.now(UTC), datetime.now(UTC) + timedelta(days=40)
    assert wait_until(lambda: converged(suite, world, start, end), timeout=30), "feed and Radicale never matched"
    ids = [o["id"] for o in occurrences(suite, start, end)]
    assert wait_until(lambda: pending_reminders(suite) == set(ids), timeout=20), "reminders were not planned"

    moved = suite.api("sessions", "PATCH", f"/api/v1/occurrences/{ids[0]}", org,
                      json={"start": local(4, 18).isoformat(), "location": "Library, room 4"})
    assert moved.status_code == 200, moved.text
    cancelled = suite.api("sessions", "POST", f"/api/v1/occurrences/{ids[1]}/cancel", org)
    assert cancelled.status_code == 200
    assert wait_until(lambda: converged(suite, world, start, end), timeout=30)
    assert wait_until(lambda: pending_reminders(suite) == {ids[0], ids[2], ids[3]}, timeout=20)

    def notices():
        return [m for m in suite.messages() if (m["Subject"] or "").startswith(("Changed", "Cancelled"))]

    assert wait_until(lambda: {m["Subject"].split(":")[0] for m in notices()} >= {"Changed", "Cancelled"},
                      timeout=20), [m["Subject"] for m in notices()]
    [changed] = [m for m in notices() if m["Subject"].startswith("Changed")]
    assert "Library, room 4" in changed.get_body(("plain",)).get_content()
    # A series occurrence gets no invitation of its own: the feed holds it, one entry per session.
    assert not [p for m in notices() for p in m.walk() if p.get_content_type() == "text/calendar"]
    assert all(m["To"] == FACULTY for m in suite.messages())
    del series


def test_stopped_consumers_catch_up_and_converge(suite, world):
    org = suite.tokens["organizer"]
    suite.stop("calendar_sync")
    suite.stop("notifications")
    suite.stop("calendar_sync_worker")
    suite.stop("notifications_worker")
    created = suite.api("sessions", "POST", "/api/v1/sessions", org, json={
        "program_id": world["program"]["id"], "title": "After a lawsuit, while they were down", "format": "hybrid",
        "start": local(6, 17, 30).isoformat(), "end": local(6, 19).isoformat()})
    assert created.status_code == 201
    assert wait_until(lambda: suite.api("sessions", "GET", "/api/v1/outbox", suite.tokens["admin"]).json()
                      ["subscribers"][0]["failing"], timeout=20), "the relay should see the consumers down"
    for name in ("calendar_sync", "notifications", "calendar_sync_worker", "notifications_worker"):
        suite.start(name)
    start, end = datetime.now(UTC), datetime.now(UTC) + timedelta(days=40)
    assert wait_until(lambda: converged(suite, world, start, end), timeout=40)
    assert wait_until(lambda: created.json()["id"] in pending_reminders(suite), timeout=20)


def test_burst_of_changes_with_processes_killed_again_and_again(suite, world):
    org = suite.tokens["organizer"]
    rng = random.Random(500)
    start, end = datetime.now(UTC), datetime.now(UTC) + timedelta(days=40)
    series_ids = []
    for i in range(5):
        answer = suite.api("sessions", "POST", "/api/v1/series", org, json={
            "program_id": world["program"]["id"], "title": f"Burst circle {i}", "start": local(2 + i, 12 + i).isoformat(),
            "duration_minutes": 60, "rrule": "FREQ=WEEKLY;COUNT=5"})
        assert answer.status_code == 201, answer.text
        series_ids.append(answer.json()["id"])
    changes, kills = 5, collections.Counter()
    victims = ("relay", "calendar_sync_worker", "notifications_worker")
    while changes < 500:
        occ = rng.choice([o for o in occurrences(suite, start, end) if o["status"] == "scheduled"
                          and o["title"].startswith("Burst")])
        roll = rng.random()
        if roll < 0.02:
            answer = suite.api("sessions", "POST", f"/api/v1/occurrences/{occ['id']}/cancel", org)
        elif roll < 0.3:
            moved = datetime.fromisoformat(occ["start"]) + timedelta(minutes=rng.choice([-30, 30]))
            answer = suite.api("sessions", "PATCH", f"/api/v1/occurrences/{occ['id']}", org,
                               json={"start": moved.isoformat()})
        else:
            answer = suite.api("sessions", "PATCH", f"/api/v1/occurrences/{occ['id']}", org,
                               json={"location": f"Room {changes}"})
        assert answer.status_code == 200, answer.text
        changes += 1
        if changes % 60 == 0:
            victim = victims[(changes // 60) % len(victims)]
            suite.kill(victim)
            kills[victim] += 1
            suite.start(victim)
    if not wait_until(lambda: converged(suite, world, start, end), timeout=120):
        want = expected(suite, start, end)
        pytest.fail(f"feed differs: {sorted(want ^ expanded(feed_text(suite, world), start, end))[:6]}; "
                    f"Radicale differs: {sorted(want ^ expanded(radicale_text(suite), start, end))[:6]}; "
                    f"outbox: {suite.api('sessions', 'GET', '/api/v1/outbox', suite.tokens['admin']).json()}; "
                    f"target: {suite.api('calendar_sync', 'GET', '/api/v1/caldav-targets', suite.tokens['admin']).json()}")
    want = {o["id"] for o in occurrences(suite, start, end) if o["status"] == "scheduled"
            and datetime.fromisoformat(o["start"]) - timedelta(hours=1) > datetime.now(UTC)}
    assert wait_until(lambda: pending_reminders(suite) == want, timeout=30)
    # No email lost: everything due was sent, and every message recorded as sent reached the SMTP server.
    def deliveries(status):
        return suite.api("notifications", "GET", "/api/v1/deliveries", ADMIN_TOKEN,
                         params={"status": status, "limit": 1000}).json()

    def overdue(d):
        due = datetime.fromisoformat(d["due_at"])
        return (due if due.tzinfo else due.replace(tzinfo=UTC)) <= datetime.now(UTC) - timedelta(seconds=5)

    assert wait_until(lambda: not [d for d in deliveries("pending") if overdue(d)], timeout=30), \
        "due messages were left unsent"
    sent = {d["message_id"] for d in deliveries("sent")}  # first: the worker may send more meanwhile
    received = collections.Counter(m["Message-ID"] for m in suite.messages())
    assert sent and sent <= set(received), f"recorded as sent, never received: {sorted(sent - set(received))[:3]}"
    # Sent once, except at most the one in flight at each kill of the notifications worker.
    assert sum(n - 1 for n in received.values()) <= kills["notifications_worker"]
    assert deliveries("failed") == []


def test_no_log_line_holds_an_email_address_a_token_or_a_password(suite, world):
    logs = suite.logs()
    assert logs, "the processes wrote logs"
    assert FACULTY not in logs and "@suite.example" not in logs
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", logs), "an email address reached a log"
    for token in suite.tokens.values():
        assert token not in logs
    feed_token = world["feed"]["url"].rsplit("/", 1)[-1].removesuffix(".ics")
    assert feed_token not in logs
    assert "radicale-password" not in logs and ADMIN_TOKEN not in logs
    for message in suite.messages():
        # Headers and decoded text parts: a quoted-printable body breaks a long link across lines.
        text = "\n".join([str(value) for value in message.values()] + [
            part.get_content() for part in message.walk() if part.get_content_maintype() == "text"])
        for token in re.findall(r"/(?:manage|unsubscribe|confirm)/([A-Za-z0-9_\-]+)", text):
            assert len(token) >= 40, f"a whole link token, not a piece of one: {token!r}"
            assert token not in logs


def test_a_reason_a_restore_and_a_deletion_reach_the_feed_radicale_and_the_subscriber(suite, world):
    """Last in this module: the deleted session stays in the feed as cancelled, which sessions no longer lists."""
    org, title = suite.tokens["organizer"], "Debrief after a hard week"
    session = suite.api("sessions", "POST", "/api/v1/sessions", org, json={
        "program_id": world["program"]["id"], "title": title, "start": local(2, 12).isoformat(),
        "end": local(2, 13).isoformat()}).json()
    uid = f"docbox-session-{session['id']}"
    start, end = datetime.now(UTC), datetime.now(UTC) + timedelta(days=40)
    assert wait_until(lambda: converged(suite, world, start, end), timeout=30)

    def feed():
        return feed_text(suite, world).replace("\r\n ", "")

    def about_it(first_line):
        return [m for m in suite.messages() if m.get_body(("plain",)).get_content().startswith(f"{first_line}: {title}")]

    path = f"/api/v1/occurrences/{session['id']}"
    assert suite.api("sessions", "POST", path + "/cancel", org, json={"reason": "Room unavailable"}).status_code == 200
    assert wait_until(lambda: "DESCRIPTION:Cancelled: Room unavailable" in feed(), timeout=30)
    assert wait_until(lambda: about_it("Cancelled"), timeout=20)
    assert "Reason: Room unavailable" in about_it("Cancelled")[0].get_body(("plain",)).get_content()

    assert suite.api("sessions", "POST", path + "/restore", org).status_code == 200
    assert wait_until(lambda: about_it("Takes place after all"), timeout=20), "the restore was not told"
    assert about_it("Takes place after all")[0]["Subject"].startswith("Takes place after all: ")
    assert wait_until(lambda: converged(suite, world, start, end), timeout=30)

    assert suite.api("sessions", "DELETE", f"/api/v1/sessions/{session['id']}", org).status_code == 204
    assert wait_until(lambda: uid not in radicale_text(suite), timeout=30), "Radicale still holds it"
    assert wait_until(lambda: len(about_it("Cancelled")) == 2, timeout=20), "those told were not told of the deletion"
    entry = [e for e in icalendar.Calendar.from_ical(feed_text(suite, world)).walk("VEVENT") if str(e["UID"]) == uid]
    assert [str(e["STATUS"]) for e in entry] == ["CANCELLED"], "the feed keeps it, cancelled"
