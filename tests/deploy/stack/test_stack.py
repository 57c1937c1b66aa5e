"""The production deployment, built and run: compose.yaml as an operator runs it (docs/deploy.md).

One scenario in order (each step needs the ones before; ``-x`` stops at the first failure):

1. the previous commit's images are built from its clean checkout and its stack runs; an
   organizer, a program, a session, a feed and a confirmed email subscriber are written to it;
2. this commit's images are built from a clean checkout and ``docker compose up --wait``
   replaces the old containers on the same volume: every container becomes healthy;
3. everything of step 1 is still there, migrated (sign-in, session, feed entry, subscription);
4. through nginx only: an organizer signs in and plans a session on the pages, a feed is
   subscribed and the entry read in it, an email is subscribed and its confirmation read in
   the mail catcher and confirmed;
5. calendar_sync's container is stopped while a session is planned and started again: the
   feed gets the session (delayed, not lost); the signed-in organizer stays signed in;
6. ``docker compose down`` (volumes kept) and ``up --wait`` again: all data is still there.

Every request to Doc Box goes to nginx's published port; the operator's commands (first staff
member, password) go through ``docker compose exec``, as docs/deploy.md says.
"""

from __future__ import annotations

import os
import secrets
from datetime import date, timedelta

import pytest
from web import Browser, Mailpit, link, text_of, wait_until

pytestmark = pytest.mark.usefixtures("engine")

STATE: dict = {}
ZONE = "America/New_York"
SERVICES_BUILT = ["sessions", "calendar-sync", "notifications"]
# What the previous commit's compose file surely has (its demo Radicale is not needed there).
CORE = ["postgres", "sessions", "relay", "calendar-sync", "calendar-sync-worker", "notifications",
        "notifications-worker", "proxy", "mailpit"]


def _origin(stack) -> str:
    return f"http://127.0.0.1:{stack.env()['DOCBOX_HTTP_PORT']}"


def _mailpit(stack) -> Mailpit:
    return Mailpit(f"http://127.0.0.1:{stack.env()['MAILPIT_PORT']}")


def _add_organizer(stack, email: str, password: str) -> str:
    """docs/deploy.md step 3: the first staff member from the command line; returns the API token."""
    added = stack.compose("exec", "-T", "sessions", "flask", "--app", "docbox_sessions", "staff", "add", email,
                          "--role", "organizer", timeout=120)
    token = added.stdout.strip().splitlines()[-1]
    stack.compose("exec", "-T", "sessions", "flask", "--app", "docbox_sessions", "staff", "set-password", email,
                  "--password-stdin", input=password + "\n", timeout=120)
    return token


def _api(browser: Browser, token: str):
    return {"Authorization": f"Bearer {token}"}


def _feed_has(browser: Browser, feed_url: str, *titles: str):
    def check():
        answer = browser.get(feed_url)
        return answer.status_code == 200 and all(t in answer.text for t in titles) and answer.text
    return check


def _listed(browser: Browser, page: str, name: str) -> None:
    """Wait until ``page`` lists the program ``name``: a new program reaches calendar_sync and
    notifications through the relay a moment after sessions has it (faculty see it appear)."""
    wait_until(lambda: name in browser.get(page).text, f"{name!r} on {page}", timeout=120, every=2)


def _new_feed(browser: Browser, program: dict) -> str:
    _listed(browser, "/calendar/", program["name"])
    feed = browser.post("/api/v1/feeds", json={"programs": [program["slug"]]})
    assert feed.status_code == 201, feed.text
    return feed.json()["url"]


def _subscribe_and_confirm(browser: Browser, mailpit: Mailpit, address: str, program: dict) -> str:
    """Subscribe ``address``, read the confirmation in the catcher, confirm it; returns the manage link."""
    _listed(browser, "/reminders/subscribe", program["name"])
    answer = browser.post("/api/v1/subscribers", json={"email": address, "programs": [program["id"]]})
    assert answer.status_code == 202, answer.text
    message = mailpit.wait_for(address, "confirm")
    assert message["To"] == address
    confirm = link(text_of(message), "confirm")
    assert confirm.startswith(os.environ.get("DOCBOX_STACK_PUBLIC_URL", "https://docbox.stack-test.example"))
    confirmed = browser.submit(confirm, {})
    assert confirmed.status_code == 200 and "/manage/" in confirmed.url, (confirmed.status_code, confirmed.url)
    return confirmed.url


def _wait_healthy_with_compose(stack) -> None:
    stack.compose("up", "--detach", "--wait", "--wait-timeout", "300", timeout=420)
    unhealthy = [(c["Service"], c.get("State"), c.get("Health")) for c in stack.containers()
                 if c.get("State") != "running" or c.get("Health") != "healthy"]
    assert not unhealthy, f"after `up --wait` every container has a health check and passes it: {unhealthy}"


# --- 1. the previous commit ----------------------------------------------------------------------

def test_previous_commit_builds_runs_and_takes_data(stacks):
    old = stacks["old"]
    if old is None:
        pytest.skip(f"no previous commit {stacks['previous']!r} to upgrade from (shallow clone?)")
    base = os.environ.get("DOCBOX_PYTHON_IMAGE", "python:3.11-slim-bookworm")
    old.compose("build", "--build-arg", f"PYTHON_IMAGE={base}", *SERVICES_BUILT, timeout=1800)
    old.up_until_healthy(CORE)

    browser = Browser(_origin(old))
    password = secrets.token_urlsafe(18)
    token = _add_organizer(old, "before@stack-test.example", password)
    headers = _api(browser, token)
    program = browser.post("/api/v1/programs", headers=headers, json={
        "name": "Circle before the upgrade", "timezone": ZONE, "open": True, "default_format": "in_person",
        "default_location": "ED conference room 2"})
    assert program.status_code == 201, program.text
    program = program.json()
    day = date.today() + timedelta(days=20)
    session = browser.post("/api/v1/sessions", headers=headers, json={
        "program_id": program["id"], "title": "Session planned before the upgrade", "timezone": ZONE,
        "start": f"{day.isoformat()}T19:00:00-05:00", "end": f"{day.isoformat()}T20:30:00-05:00"})
    assert session.status_code == 201, session.text
    feed_url = _new_feed(browser, program)
    wait_until(_feed_has(browser, feed_url, "Session planned before the upgrade"), "the session in the old feed")
    manage = _subscribe_and_confirm(browser, _mailpit(old), "before@hospital.example", program)
    STATE["before"] = {"password": password, "token": token, "program": program, "session": session.json(),
                       "feed_url": feed_url, "manage": manage}
    old.compose("down", timeout=300)   # volumes kept; the new commit's containers take them over


# --- 2. this commit: build, up --wait --------------------------------------------------------------

def test_images_build_from_a_clean_checkout_and_every_container_becomes_healthy(stacks):
    new = stacks["new"]
    new.compose("build", timeout=1800)
    _wait_healthy_with_compose(new)
    answer = Browser(_origin(new)).get("/healthz")
    assert answer.status_code == 200 and answer.json()["service"] == "proxy"


# --- 3. the upgrade kept everything -----------------------------------------------------------------

def test_upgrade_from_the_previous_images_migrated_without_loss(stacks):
    before = STATE.get("before")
    if before is None:
        pytest.skip("no previous commit was run (see the first test)")
    browser = Browser(_origin(stacks["new"]))
    signed_in = browser.submit("/login", {"email": "before@stack-test.example", "password": before["password"]})
    assert signed_in.status_code == 200 and "before@stack-test.example" in signed_in.text
    session = browser.get(f"/api/v1/sessions/{before['session']['id']}", headers=_api(browser, before["token"]))
    assert session.status_code == 200 and session.json()["title"] == "Session planned before the upgrade"
    assert wait_until(_feed_has(browser, before["feed_url"], "Session planned before the upgrade"),
                      "the old feed link after the upgrade", timeout=30)
    manage = browser.get(before["manage"])
    assert manage.status_code == 200 and "Circle before the upgrade" in manage.text


# --- 4. a person's day, through nginx only ----------------------------------------------------------

def test_organizer_signs_in_and_plans_a_session_on_the_pages(stacks):
    new = stacks["new"]
    browser = Browser(_origin(new))
    password = secrets.token_urlsafe(18)
    token = _add_organizer(new, "organizer@stack-test.example", password)
    program = browser.post("/api/v1/programs", headers=_api(browser, token), json={
        "name": "Residents circle", "timezone": ZONE, "open": True, "default_format": "in_person",
        "default_location": "ED conference room 2"})
    assert program.status_code == 201, program.text
    program = program.json()

    refused = browser.submit("/login", {"email": "organizer@stack-test.example", "password": "not the password"})
    assert refused.status_code == 401
    signed_in = browser.submit("/login", {"email": "organizer@stack-test.example", "password": password})
    assert signed_in.status_code == 200 and "organizer@stack-test.example" in signed_in.text, signed_in.text[:2000]

    day = date.today() + timedelta(days=10)
    planned = browser.submit("/sessions/new", {
        "program_id": program["id"], "title": "Stack test session", "format": "in_person",
        "location": "ED conference room 2", "timezone": ZONE, "date": day.isoformat(),
        "start_time": "19:00", "end_time": "20:30"})
    assert planned.status_code == 200 and "/occurrences/" in planned.url, (planned.status_code, planned.text[:2000])
    assert "Stack test session" in planned.text
    STATE["now"] = {"browser": browser, "token": token, "program": program, "day": day,
                    "occurrence": planned.url.rsplit("/", 1)[1]}


def test_a_feed_is_subscribed_and_shows_the_session(stacks):
    now = STATE["now"]
    browser = Browser(_origin(stacks["new"]))   # faculty: no account, no cookie
    now["feed_url"] = _new_feed(browser, now["program"])
    assert now["feed_url"].startswith("https://docbox.stack-test.example/feeds/")
    body = wait_until(_feed_has(browser, now["feed_url"], "Stack test session"), "the planned session in the feed")
    assert "BEGIN:VCALENDAR" in body and f"DTSTART;TZID={ZONE}:{now['day'].strftime('%Y%m%d')}T190000" in body


def test_an_email_is_subscribed_and_its_confirmation_arrives_in_the_mail_catcher(stacks):
    now = STATE["now"]
    new = stacks["new"]
    now["manage"] = _subscribe_and_confirm(Browser(_origin(new)), _mailpit(new), "faculty@hospital.example",
                                           now["program"])
    assert "Residents circle" in Browser(_origin(new)).get(now["manage"]).text


# --- 5. a service restarted: delayed, never lost ------------------------------------------------------

def test_a_change_made_while_calendar_sync_is_stopped_reaches_the_feed_after_it_starts(stacks):
    now, new = STATE["now"], stacks["new"]
    browser = now["browser"]
    new.compose("stop", "calendar-sync", timeout=120)
    # nginx: that part is down, nothing else (once its 5 s feed cache has run out: it serves nothing stale)
    wait_until(lambda: browser.get(now["feed_url"]).status_code == 503, "503 for the feed", timeout=10)
    day = now["day"] + timedelta(days=1)
    planned = browser.submit("/sessions/new", {
        "program_id": now["program"]["id"], "title": "Planned while the feeds were down", "format": "in_person",
        "location": "ED conference room 2", "timezone": ZONE, "date": day.isoformat(),
        "start_time": "19:00", "end_time": "20:30"})
    assert planned.status_code == 200 and "/occurrences/" in planned.url
    new.compose("start", "calendar-sync", timeout=120)
    _wait_healthy_with_compose(new)
    wait_until(_feed_has(browser, now["feed_url"], "Stack test session", "Planned while the feeds were down"),
               "the change made while calendar_sync was stopped, in the feed", timeout=180)
    assert "organizer@stack-test.example" in browser.get("/").text    # still signed in


# --- 6. down and up again ----------------------------------------------------------------------------

def test_down_with_volumes_kept_and_up_again_keeps_everything(stacks):
    now, new = STATE["now"], stacks["new"]
    new.compose("down", timeout=300)
    assert not new.containers()
    _wait_healthy_with_compose(new)
    browser = now["browser"]
    assert "organizer@stack-test.example" in browser.get("/").text   # the login cookie outlives the containers
    detail = browser.get(f"/occurrences/{now['occurrence']}")
    assert detail.status_code == 200 and "Stack test session" in detail.text
    wait_until(_feed_has(browser, now["feed_url"], "Stack test session", "Planned while the feeds were down"),
               "the feed after down and up", timeout=30)
    assert "Residents circle" in browser.get(now["manage"]).text
    if STATE.get("before"):
        assert browser.get(f"/api/v1/sessions/{STATE['before']['session']['id']}",
                           headers={"Authorization": f"Bearer {STATE['before']['token']}"}).status_code == 200
