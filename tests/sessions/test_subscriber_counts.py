"""The programs page: how many feeds and reminder subscriptions each program has, asked of the services
that hold them (signed, numbers only), for organizers and admins only."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from docbox_notifications.models import Following, Subscriber
from docbox_notifications.models import db as notifications_db
from docbox_sessions.models import OutboxEvent, db
from docbox_shared import counts, signing
from support.apps import EVENT_SECRET
from support.ports import free_port

PASSWORD = "a long passphrase for tests"


@pytest.fixture
def app_config(app_config, counting):
    urls = counting[2]
    return {**app_config, "CALENDAR_SYNC_INTERNAL_URL": urls["feeds"], "NOTIFICATIONS_INTERNAL_URL": urls["reminders"]}


def _signed_in(app, role):
    runner = app.test_cli_runner()
    email = f"{role}-pages@example.org"
    assert runner.invoke(args=["staff", "add", email, "--role", role]).exit_code == 0
    assert runner.invoke(args=["staff", "set-password", email, "--password-stdin"], input=PASSWORD + "\n").exit_code == 0
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
    return client


def _numbers(page: str) -> dict[str, tuple[str, str]]:
    """Program name -> (feeds cell, reminders cell) as the page's table shows them."""
    rows = re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)(?:</a>)?</th>.*?<td class="num" data-kind="feeds">(.*?)</td>'
                      r'\s*<td class="num" data-kind="reminders">(.*?)</td>', page, re.S)
    plain = lambda cell: re.sub(r"<span class=\"visually-hidden\">.*?</span>", "", cell)  # noqa: E731
    return {name: (re.sub(r"<[^>]+>", "", plain(f)).strip(), re.sub(r"<[^>]+>", "", plain(r)).strip())
            for name, f, r in rows}


def _plan(app, api, counting, feeds: dict[str, int], both: int, reminders: dict[str, int]):
    """Programs named by ``feeds``' keys, that many feeds each (plus ``both`` of all of them), and reminders."""
    calendar, notifications, _urls = counting
    ids = {}
    for name in feeds:
        ids[name] = api("organizer").post("/api/v1/programs", json={"name": name, "timezone": "UTC", "open": True}).json["id"]
    with app.app_context():
        bodies = [e.body.encode() for e in db.session.scalars(db.select(OutboxEvent).order_by(OutboxEvent.id))]
    for consumer in (calendar, notifications):
        client = consumer.test_client()
        for raw in bodies:
            assert client.post("/api/v1/events", data=raw, headers={
                **signing.sign(raw, EVENT_SECRET), "Content-Type": "application/json"}).status_code == 200
    client = calendar.test_client()
    for name, number in feeds.items():
        for _ in range(number):
            assert client.post("/api/v1/feeds", json={"programs": [ids[name]]}).status_code == 201
    for _ in range(both):
        assert client.post("/api/v1/feeds", json={"programs": list(ids.values())}).status_code == 201
    with notifications.app_context():  # confirmed subscribers, as the double opt-in leaves them
        for name, number in reminders.items():
            for i in range(number):
                sub = Subscriber(id=str(uuid.uuid4()), email=f"{name}{i}@example.org", email_hash=uuid.uuid4().hex,
                                 status="active", offsets=[60])
                notifications_db.session.add(sub)
                notifications_db.session.add(Following(subscriber_id=sub.id, program_id=ids[name]))
        pending = Subscriber(id=str(uuid.uuid4()), email="p@example.org", email_hash=uuid.uuid4().hex,
                             status="pending", offsets=[60])
        notifications_db.session.add(pending)
        notifications_db.session.add(Following(subscriber_id=pending.id, program_id=ids["Alpha"]))
        notifications_db.session.commit()
    return ids


def test_organizers_see_the_numbers_and_nobody_else_sees_any(app, api, counting):
    _plan(app, api, counting, feeds={"Alpha": 6, "Beta": 2, "Gamma": 0}, both=1, reminders={"Alpha": 3, "Beta": 7})
    organizer = _signed_in(app, "organizer").get("/programs")
    assert organizer.status_code == 200
    assert _numbers(organizer.get_data(as_text=True)) == {
        "Alpha": ("7", "3"), "Beta": ("3", "7"), "Gamma": ("1", "0")}, \
        "a feed of all programs counts in each; a subscriber still waiting for confirmation does not count"
    for role in ("viewer", "facilitator"):
        answer = _signed_in(app, role).get("/programs")
        assert answer.status_code == 200
        page = answer.get_data(as_text=True)
        assert all(name in page for name in ("Alpha", "Beta", "Gamma")) and _numbers(page) == {}
        assert "Feeds" not in page and "Reminders" not in page
        assert "New program" not in page and "/edit" not in page, "they read, they do not plan"


def test_a_service_that_is_down_leaves_its_column_unavailable_and_the_page_renders(app, api, counting):
    _plan(app, api, counting, feeds={"Alpha": 6}, both=0, reminders={"Alpha": 5})
    app.config["NOTIFICATIONS_INTERNAL_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    answer = _signed_in(app, "organizer").get("/programs")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert _numbers(page) == {"Alpha": ("6", "unavailable")}
    assert "The reminder service did not answer" in page


def test_the_counts_endpoint_answers_only_a_signed_request_with_numbers_by_program(app, api, counting):
    ids = _plan(app, api, counting, feeds={"Alpha": 2}, both=0, reminders={"Alpha": 1})
    for url in counting[2].values():
        assert requests.get(url + counts.PATH, timeout=5).status_code == 401
        wrong = signing.sign(b"GET " + counts.PATH.encode(), "another-secret")
        assert requests.get(url + counts.PATH, headers=wrong, timeout=5).status_code == 401
        other_question = signing.sign(b"GET /api/v1/events", EVENT_SECRET)
        assert requests.get(url + counts.PATH, headers=other_question, timeout=5).status_code == 401
    assert counts.fetch_counts(counting[2]["feeds"], EVENT_SECRET) == {ids["Alpha"]: 2}
    answer = requests.get(counting[2]["reminders"] + counts.PATH, timeout=5,
                          headers=signing.sign(b"GET " + counts.PATH.encode(), EVENT_SECRET))
    assert answer.json() == {"counts": {ids["Alpha"]: 1}} and "example.org" not in answer.text
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_api_gives_planners_the_numbers_and_refuses_everyone_else(app, api, counting):
    ids = _plan(app, api, counting, feeds={"Alpha": 6, "Beta": 2}, both=0, reminders={"Alpha": 3, "Beta": 7})
    exact = api("organizer").get("/api/v1/stats/subscribers").json
    assert exact["unavailable"] == []
    assert [(r["program_id"], r["feeds"], r["reminders"]) for r in exact["programs"]] == [
        (ids["Alpha"], 6, 3), (ids["Beta"], 2, 7)]
    for role in ("viewer", "facilitator"):
        refused = api(role).get("/api/v1/stats/subscribers")
        assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
        assert "admin or organizer" in refused.json["detail"]
    app.config["CALENDAR_SYNC_INTERNAL_URL"] = f"http://127.0.0.1:{free_port()}"
    down = api("admin").get("/api/v1/stats/subscribers").json
    assert down["unavailable"] == ["feeds"] and [r["feeds"] for r in down["programs"]] == [None, None]
    assert api("organizer").get("/api/v1/stats/subscribers", headers={"Authorization": ""}).status_code == 401


def test_no_staff_member_works_out_a_withheld_count_by_adding_feeds_of_their_own(app, api, counting):
    """The attack: anyone may follow an open program without an account, so someone shown a withheld count
    adds feeds of their own, one at a time, until the number shows, and takes away what they added. Every
    answer a non-planner can get is read after each step (the API and the programs page); none may tell
    the count that was withheld."""
    ids = _plan(app, api, counting, feeds={"Alpha": 6, "Beta": 2}, both=0, reminders={"Alpha": 3, "Beta": 7})
    calendar = counting[0].test_client()
    for role in ("viewer", "facilitator"):
        page_reader = _signed_in(app, role)

        def shown(role=role, page_reader=page_reader):
            answers = []
            listed = api(role).get("/api/v1/stats/subscribers")
            if listed.status_code == 200:
                answers += [r["feeds"] for r in listed.json["programs"] if r["program_id"] == ids["Beta"]]
            cells = _numbers(page_reader.get("/programs").get_data(as_text=True))
            answers += [int(cells["Beta"][0])] if cells.get("Beta", ("",))[0].isdigit() else []
            return next((n for n in answers if n is not None), None)

        added, learned = [], None
        for step in range(1, 6):
            feed = calendar.post("/api/v1/feeds", json={"programs": [ids["Beta"]]})
            assert feed.status_code == 201
            added.append(feed.json["url"].rsplit("/", 1)[1].removesuffix(".ics"))
            if (number := shown()) is not None:
                learned = number - step
                break
        for token in added:
            assert calendar.post("/api/v1/feeds/revoke", json={"token": token}).status_code in (200, 204)
        assert learned is None, f"a {role} worked out that Beta has {learned} feeds"
