"""The four services as real processes (one suite for the whole module), as ``make run`` starts them.

What is checked, in this order:

- Group sessions: changes reach the feed, Radicale and the reminders; stopped or killed processes (the
  relay, the workers) delay work and lose none of it; a reason, a restore and a deletion reach everyone.
- Outreach on the suite's one sign-in: a coordinator and a mentor signed in once on the sessions sign-in
  page use outreach's pages without a second password (a mentor's form post with outreach's CSRF token);
  an organizer, signed in or by token, gets 403 and no name on every outreach page and API. A round is
  opened and its mail delivered by the outreach worker to the SMTP sink (aiosmtpd); mentors log attempts
  (reached, declined, follow-up), a mentee opts out for good through the link in the program's mail, and the
  coordinator's report counts exactly that. A referrer refers two physicians and is refused everything
  after; the supporter is mailed each match, refuses one pairing and logs a declined offer on the other.
- Last, across every process's log (at DEBUG) and every service's ``/metrics``: no email address, no name of
  the roster, no API token, password, sign-in cookie or capability link token, no outreach outcome, opt-out,
  trigger or closing reason (code or label), no line of any mail's text.
"""

from __future__ import annotations

import collections
import random
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from docbox_outreach.domain.vocabulary import AttemptOutcome, ClosingReason, ContactOutcome, OptOutScope, Trigger
from support.suite import ADMIN_TOKEN, PASSWORD, SERVICES, STAFF, links, wait_until

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


def test_a_reason_a_restore_and_a_deletion_reach_the_feed_radicale_and_the_subscriber(suite, world):
    """Last of the group-sessions tests: the deleted session stays in the feed as cancelled, which sessions no
    longer lists (``converged`` no longer holds after it)."""
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


# --- outreach, the fourth service, on the same sign-in and the same mail server -------------------------------

# Names no other line of the suite writes: a log line holding one of them names a person of the roster.
MENTORS = {"mentor": "Wilhelmina Tarrant", "mentor2": "Bartholomew Ashdown"}
SUPPORTER = "Cordelia Vantongeren"
FACULTY_NAMES = ["Philippa Quenby", "Oswin Marchetti", "Ysolde Fairweather", "Leopold Gunnarsson",
                 "Araminta Kowalczyk", "Evander Holloway", "Griselda Okonkwo", "Thaddeus Villanueva",
                 "Perpetua Lindqvist"]


def roster_csv() -> str:
    rows = [f"{name},{STAFF[key][0]},Medicine" for key, name in MENTORS.items()]
    rows.append(f"{SUPPORTER},{STAFF['supporter'][0]},Nephrology")
    rows += [f"{name},{name.lower().replace(' ', '.')}@hospital.example,{('Surgery', 'Cardiology')[i % 2]}"
             for i, name in enumerate(FACULTY_NAMES)]
    return "name,work email,division\n" + "\n".join(rows) + "\n"


def outreach_today():
    return datetime.now(ZoneInfo("America/New_York")).date()  # the outreach service's default time zone


def open_outreach_round(suite, due_in_days: int = 14) -> dict:
    answer = suite.api("outreach", "POST", "/api/v1/oneonone/rounds", suite.tokens["coordinator"],
                       json={"due_on": (outreach_today() + timedelta(days=due_in_days)).isoformat()})
    assert answer.status_code == 201, answer.text
    return answer.json()


def outreach_mail(suite, address: str, path: str) -> list:
    """Messages to ``address`` holding a link to outreach's ``path`` (``/oneonone/link/``, ``/cases/mine``)."""
    return [m for m in suite.messages() if m["To"] == address and suite.url["outreach"] + path in text_of(m)]


def text_of(message) -> str:
    """Headers and decoded text parts: a quoted-printable body breaks a long link across lines."""
    return "\n".join([str(value) for value in message.values()] + [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"])


@pytest.fixture(scope="module")
def outreach(suite):
    """The roster imported, both mentors in the pool and a round open, through outreach's API with the
    coordinator's staff token; every mentor and mentee mailed through the outreach worker to the SMTP sink."""
    coordinator = suite.tokens["coordinator"]
    imported = suite.api("outreach", "POST", "/api/v1/roster/import", coordinator, json={"csv": roster_csv()})
    assert imported.status_code == 200, imported.text
    members = {m["email"]: m["id"] for m in suite.api("outreach", "GET", "/api/v1/members", coordinator).json()}
    for key in MENTORS:
        added = suite.api("outreach", "POST", "/api/v1/oneonone/mentors", coordinator,
                          json={"member_id": members[STAFF[key][0]]})
        assert added.status_code == 201, added.text
    round_ = open_outreach_round(suite)
    assert wait_until(lambda: all(outreach_mail(suite, email, "/oneonone/link/") for email in members)
                      and all(outreach_mail(suite, STAFF[key][0], "/oneonone/mine") for key in MENTORS),
                      timeout=40), "the outreach worker did not deliver the round's mail"
    return dict(members=members, round=round_)


def test_outreach_one_sign_in_a_round_its_attempts_and_an_opt_out_through_the_real_processes(suite, outreach):
    """Signed in once on the sessions sign-in page, the coordinator reads the round on outreach and a mentor
    logs an attempt on their phone page (the form's CSRF token with the suite's cookie); the other mentor
    logs by API token; a mentee opts out for good through the link in the program's mail. An organizer,
    signed in the same way or by token, sees no outreach data."""
    round_id, people = outreach["round"]["id"], [*MENTORS.values(), SUPPORTER, *FACULTY_NAMES]
    coordinator = suite.sign_in("coordinator")
    page = coordinator.get(f"{suite.url['outreach']}/oneonone/rounds/{round_id}", allow_redirects=False)
    assert page.status_code == 200, page.text  # no second password: the sessions cookie opens outreach
    assert MENTORS["mentor"] in page.text and MENTORS["mentor2"] in page.text

    organizer = suite.sign_in("organizer")
    for path in (f"/oneonone/rounds/{round_id}", "/roster", "/oneonone/mine", "/cases/queue"):
        refused = organizer.get(suite.url["outreach"] + path, allow_redirects=False)
        assert refused.status_code == 403, (path, refused.status_code)
        assert not [name for name in people if name in refused.text], path
    for path in ("/api/v1/members", f"/api/v1/oneonone/rounds/{round_id}/report", "/api/v1/cases/pairings"):
        refused = suite.api("outreach", "GET", path, suite.tokens["organizer"])
        assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json", path
        assert not [name for name in people if name in refused.text], path

    mentor = suite.sign_in("mentor")
    mine = mentor.get(suite.url["outreach"] + "/oneonone/mine")
    assert mine.status_code == 200 and "My list" in mine.text
    [assignment_id, *_] = re.findall(r'action="/oneonone/mine/(\d+)"', mine.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', mine.text).group(1)
    logged = mentor.post(f"{suite.url['outreach']}/oneonone/mine/{assignment_id}", allow_redirects=False, data={
        "csrf_token": csrf, "channel": "call", "day": outreach_today().isoformat(), "outcome": "reached"})
    assert logged.status_code == 303, logged.text

    token2 = suite.tokens["mentor2"]
    mine2 = suite.api("outreach", "GET", "/api/v1/oneonone/mine", token2).json()
    assert len(mine2) >= 2 and not {row["mentee"] for row in mine2} & set(re.findall(
        r"<h2[^>]*>([^<]+)</h2>", mine.text)), "a mentor sees only their own mentees"
    for row, outcome in zip(mine2, ("declined", "follow_up_requested"), strict=False):
        answer = suite.api("outreach", "POST", "/api/v1/oneonone/attempts", token2,
                           json={"assignment_id": row["assignment_id"], "channel": "text", "outcome": outcome})
        assert answer.status_code == 201, answer.text

    mentee = STAFF["supporter"][0]
    [link] = re.findall(re.escape(suite.url["outreach"]) + r"/oneonone/link/[A-Za-z0-9_-]+",
                        text_of(outreach_mail(suite, mentee, "/oneonone/link/")[0]))
    opted = suite.http.post(link, data={"action": "for_good"}, allow_redirects=False)
    assert opted.status_code in (200, 303), opted.text

    report = suite.api("outreach", "GET", f"/api/v1/oneonone/rounds/{round_id}/report", suite.tokens["coordinator"])
    assert report.status_code == 200, report.text
    numbers = report.json()
    assert (numbers["assigned"], numbers["reached"], numbers["declined"], numbers["follow_up"],
            numbers["opted_out"]) == (len(people), 1, 1, 1, 1)
    outreach["browsers"] = [coordinator, organizer, mentor]


def test_outreach_a_referral_a_refusal_and_a_declined_offer_through_the_real_processes(suite, outreach):
    """The case-based program over the suite's staff tokens: a referrer refers two physicians and learns
    nothing after; the coordinator matches the supporter, who gets one mail each time (the SMTP sink), refuses
    the first pairing and, on the second, logs a contact the physician declined and closes it."""
    coordinator, referrer, supporter = (suite.tokens[k] for k in ("coordinator", "referrer", "supporter"))
    members = outreach["members"]
    added = suite.api("outreach", "POST", "/api/v1/cases/supporters", coordinator, json={
        "member_id": members[STAFF["supporter"][0]], "trained_on": (outreach_today() - timedelta(days=30)).isoformat()})
    assert added.status_code == 201, added.text
    supporter_id = added.json()["id"]
    physicians = [members[f"{name.lower().replace(' ', '.')}@hospital.example"] for name in FACULTY_NAMES[:2]]
    for physician, trigger in zip(physicians, ("litigation", "quality_review"), strict=True):
        receipt = suite.api("outreach", "POST", "/api/v1/cases/referrals", referrer, json={
            "physician_id": physician, "trigger": trigger, "referred_on": outreach_today().isoformat()})
        assert receipt.status_code == 201, receipt.text
    for path in ("/api/v1/cases/pairings", "/api/v1/cases/pairings/1", "/api/v1/cases/report"):
        assert suite.api("outreach", "GET", path, referrer).status_code == 403, path

    def assign(pairing_id):
        answer = suite.api("outreach", "POST", f"/api/v1/cases/pairings/{pairing_id}/assign", coordinator,
                           json={"supporter_id": supporter_id})
        assert answer.status_code == 200, answer.text

    queue = suite.api("outreach", "GET", "/api/v1/cases/pairings", coordinator).json()["pairings"]
    first, second = (p["id"] for p in sorted(queue, key=lambda p: p["physician"]["id"] != physicians[0]))
    assign(first)
    assert wait_until(lambda: outreach_mail(suite, STAFF["supporter"][0], "/cases/mine"), timeout=30), \
        "the supporter was not mailed"
    refused = suite.api("outreach", "POST", f"/api/v1/cases/pairings/{first}/refuse", supporter)
    assert refused.status_code == 200, refused.text
    assign(second)
    path = f"/api/v1/cases/pairings/{second}"
    attested = suite.api("outreach", "POST", path + "/attest", supporter, json=dict.fromkeys(
        ("not_involved", "not_reviewing", "not_in_reporting_line"), True))
    assert attested.status_code == 200, attested.text
    declined = suite.api("outreach", "POST", path + "/contacts", supporter, json={"channel": "call",
                                                                                 "outcome": "declined"})
    assert declined.status_code == 201, declined.text
    closed = suite.api("outreach", "POST", path + "/close", supporter, json={"reason": "declined"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    assert wait_until(lambda: len(outreach_mail(suite, STAFF["supporter"][0], "/cases/mine")) == 2, timeout=30), \
        "the second match was not mailed"


# What an outreach row may say about a person, as codes and as the words on the pages: none of it is logged.
OUTCOMES = sorted({*AttemptOutcome, *OptOutScope, *Trigger, *ContactOutcome, *ClosingReason} - {Trigger.OTHER})


def test_no_log_line_or_metric_of_any_process_holds_a_person_a_secret_an_outcome_or_a_mail_body(suite, world, outreach):
    """Last in this module: everything every process wrote while the tests above ran (the four services, the
    relay, the three workers, the SMTP sink, Radicale), and each service's ``/metrics``, holds no email address,
    no name of the roster, no API token, password, sign-in cookie or capability link (feed, reminders,
    outreach's mentee links), no outreach outcome, opt-out, trigger or closing reason, and no line of any
    mail's text."""
    logs = suite.logs()
    silent = [name for name in (*SERVICES, "outreach_worker") if not (suite.logs_dir / f"{name}.log").stat().st_size]
    assert logs and not silent, f"these processes wrote no log: {silent}"
    metrics = "\n".join(line for service in SERVICES for line in suite.http.get(suite.url[service] + "/metrics")
                        .text.splitlines() if not line.startswith("#"))   # the samples, not the fixed help texts
    assert "docbox_http_requests_total" in metrics
    seen = logs + "\n" + metrics
    # Nobody: no address, no name (first or last alone) of anyone on the roster.
    assert FACULTY not in seen and "@suite.example" not in seen and "@hospital.example" not in seen
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", seen), "an email address reached a log"
    for part in {part for name in [*MENTORS.values(), SUPPORTER, *FACULTY_NAMES] for part in name.split()}:
        assert part not in seen, f"a name of the roster reached a log: {part}"
    # No secret: staff tokens, the password, the suite's sign-in cookie, the configured secrets.
    for token in suite.tokens.values():
        assert token not in seen
    assert PASSWORD not in seen and "radicale-password" not in seen and ADMIN_TOKEN not in seen
    cookies = [cookie.value for browser in outreach["browsers"] for cookie in browser.cookies]
    assert len(cookies) >= 3 and not [c for c in cookies if c in seen], "a sign-in or page cookie reached a log"
    feed_token = world["feed"]["url"].rsplit("/", 1)[-1].removesuffix(".ics")
    assert feed_token not in seen
    # Nothing that happened between people: no outcome, opt-out, trigger or closing reason, as code or label.
    said = [match.group(0) for code in OUTCOMES for word in {code.value, code.label}
            for match in re.finditer(rf".{{0,80}}\b{re.escape(word)}\b.{{0,40}}", seen, re.I)]
    assert said == [], "an outreach outcome, opt-out, trigger or reason reached a log"
    # No mail: not one line of any message's text, and no capability token of any link in it.
    messages = suite.messages()
    assert {"/oneonone/link/", "/cases/mine", "/confirm/"} <= {kind for m in messages for kind in
                                                              ("/oneonone/link/", "/cases/mine", "/confirm/")
                                                              if kind in text_of(m)}
    for message in messages:
        text = text_of(message)
        for token in re.findall(r"/(?:manage|unsubscribe|confirm|link|survey)/([A-Za-z0-9_\-]+)", text):
            assert len(token) >= 40, f"a whole link token, not a piece of one: {token!r}"
            assert token not in seen
        body = message.get_body(("plain",)).get_content()
        for line in {line.strip() for line in body.splitlines() if len(line.strip()) >= 20}:
            assert line not in seen, f"a line of a mail reached a log: {line!r}"
