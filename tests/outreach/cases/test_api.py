"""The case-based program over HTTP: the referrer's wall, the coordinator, the supporter, the survey, the audit."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from docbox_outreach.cases import retention
from docbox_outreach.cases.host import OutgoingMail, ReadAudit, db

from .conftest import as_staff

REFERRER = as_staff("risk@hospital.test", "referrer")
COORD = as_staff("coord@hospital.test", "coordinator")
VIEWER = as_staff("chair@hospital.test", "viewer")
EVE = as_staff("eve@hospital.test", "supporter")


def post(client, url, who, body=None):
    return client.post(f"/api/v1/cases{url}", json=body if body is not None else {}, headers=who)


def setup_supporter(client, roster):
    supporter = post(client, "/supporters", COORD, {"member_id": roster.peer1.id, "trained_on": "2026-01-10"})
    assert supporter.status_code == 201, supporter.json
    return supporter.json["id"]


def the_pairing(client):
    return client.get("/api/v1/cases/pairings", headers=COORD).json["pairings"][0]


def drive(client, roster, clock, state):
    """Take Cy's first referral to ``state`` through the API, as the coordinator and the supporter would."""
    supporter_id = setup_supporter(client, roster)
    if state == "never referred":
        return
    assert post(client, "/referrals", REFERRER, {"physician_id": roster.phys.id, "trigger": "quality_review",
                                                  "referred_on": "2026-02-20"}).status_code == 201
    if state == "waiting":
        return
    pid = the_pairing(client)["id"]
    assert post(client, f"/pairings/{pid}/assign", COORD, {"supporter_id": supporter_id}).status_code == 200
    if state == "refused":
        assert post(client, f"/pairings/{pid}/refuse", EVE).status_code == 200
        return
    assert post(client, f"/pairings/{pid}/attest", EVE, {"not_involved": True, "not_reviewing": True,
                                                          "not_in_reporting_line": True}).status_code == 200
    clock.advance(hours=2)
    outcome = {"declined": "declined", "deferred": "deferred"}.get(state, "accepted")
    assert post(client, f"/pairings/{pid}/contacts", EVE, {"channel": "call", "outcome": outcome}).status_code == 201
    if state in ("closed", "purged"):
        assert post(client, f"/pairings/{pid}/close", EVE, {"reason": "support_given"}).status_code == 200
    if state == "purged":
        clock.advance(days=400)
        with client.application.app_context():
            retention.purge(clock())


def referrer_view(client, roster):
    """Everything a referrer can ask about an earlier referral, with the answers' status and body."""
    answers = []
    for method, url, body in [
        ("post", "/referrals", {"physician_id": roster.phys.id, "trigger": "litigation", "referred_on": "2026-03-01"}),
        ("get", "/pairings", None), ("get", "/pairings/1", None), ("get", "/pairings/2", None),
        ("get", "/pairings/999", None), ("get", "/mine", None), ("get", "/report", None), ("get", "/audit", None),
        ("get", "/supporters", None), ("get", "/survey-rounds", None),
        ("post", "/pairings/1/close", {"reason": "moved_on"}), ("post", "/pairings/1/contacts", {}),
    ]:
        response = getattr(client, method)(f"/api/v1/cases{url}", headers=REFERRER,
                                           **({"json": body} if body is not None else {}))
        answers.append((method, url, response.status_code, response.get_data(as_text=True),
                        sorted((k, v) for k, v in response.headers.items() if k not in ("X-Request-Id", "Date"))))
    for page in ("/cases/refer", "/cases/queue", "/cases/pairings/1", "/cases/mine", "/cases/report",
                 *every_route(client.application)):
        response = client.get(page, headers=REFERRER)
        body = response.get_data(as_text=True)
        answers.append(("get", page, response.status_code, body.split('name="csrf_token"')[0], []))
    for url in every_route(client.application, "POST"):   # and every change it might try, with nothing in it
        response = client.post(url, headers=REFERRER, **({"json": {}} if url.startswith("/api/") else {"data": {}}))
        answers.append(("post", url, response.status_code, response.get_data(as_text=True).split('name="csrf_token"')[0],
                        []))
    return answers


def every_route(app, method: str = "GET") -> list[str]:
    """Every page and API route of the service ``method`` reaches, its ids 1 and 2 and its tokens made up (not
    ``/metrics`` and ``/readyz``: the proxy answers 404 for them, only the internal network scrapes them)."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static" or rule.rule in ("/metrics", "/readyz"):
            continue
        for value in (1, 2):
            args = {name: value if rule._converters[name].__class__.__name__ == "IntegerConverter" else "x" * 43
                    for name in rule.arguments}
            urls.add(rule.build(args)[1])
    return sorted(urls)


STATES = ["never referred", "waiting", "refused", "active", "declined", "deferred", "closed", "purged"]


@pytest.mark.parametrize("state", STATES[1:])
def test_a_referrer_gets_the_same_answers_whatever_happened_after_a_referral(app, make_database_url, clock, state):
    """The referrer's every request, after an earlier referral reached ``state``, answers exactly as when the
    physician was never referred (a second database, the same clock)."""
    from support.apps import dispose, migrated_app

    from .conftest import START, people_of
    seen = {}
    for run in ("never referred", state):
        fresh = migrated_app("outreach", {**{k: app.config[k] for k in ("STAFF_LOOKUP", "MIN_CELL", "PUBLIC_URL")},
                                          "SQLALCHEMY_DATABASE_URI": make_database_url(f"wall{len(seen)}"),
                                          "CLOCK": clock, "WTF_CSRF_ENABLED": False})
        clock.set(START)
        try:
            people = people_of(fresh, db)
            client = fresh.test_client()
            drive(client, people, clock, run)
            with fresh.app_context():   # and no mail ever goes to the referrer
                assert db.session.scalars(select(OutgoingMail.recipient)).all().count("risk@hospital.test") == 0
            clock.set(START)
            seen[run] = referrer_view(client, people)
        finally:
            dispose(fresh)
    assert seen[state] == seen["never referred"]
    assert len(seen[state]) > 40          # every route the service serves, not a few
    statuses = {u: s for m, u, s, *_ in seen[state]}
    assert statuses["/referrals"] == 201 and statuses["/pairings/1"] == 403 and statuses["/cases/queue"] == 403


def test_the_whole_program_through_the_api(app, client, people, clock, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["CASE_COORDINATOR_EMAILS"] = ["coord@hospital.test"]
    supporter_id = setup_supporter(client, people)
    receipt = post(client, "/referrals", REFERRER, {"physician_id": people.phys.id, "trigger": "litigation",
                                                     "referred_on": "2026-02-27"})
    assert receipt.status_code == 201 and "Location" not in receipt.headers
    assert set(receipt.json) == {"physician", "trigger", "referred_on", "received_at", "detail"}
    queue = client.get("/api/v1/cases/pairings", headers=COORD).json["pairings"]
    pid = queue[0]["id"]
    detail = client.get(f"/api/v1/cases/pairings/{pid}", headers=COORD).json
    assert [c["supporter_id"] for c in detail["candidates"] if c["eligible"]] == [supporter_id]
    # Another supporter's pairing does not exist for Gus; a supporter cannot read the queue.
    assert client.get("/api/v1/cases/pairings", headers=EVE).status_code == 403
    assert post(client, f"/pairings/{pid}/assign", COORD, {"supporter_id": supporter_id}).json["status"] == "assigned"
    assert post(client, f"/pairings/{pid}/contacts", EVE, {"channel": "call", "outcome": "reached"}).status_code == 403
    refused = post(client, f"/pairings/{pid}/attest", EVE, {"not_involved": True, "not_reviewing": False,
                                                             "not_in_reporting_line": True})
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    assert list(refused.json["errors"]) == ["not_reviewing"]
    assert post(client, f"/pairings/{pid}/attest", EVE, {"not_involved": True, "not_reviewing": True,
                                                          "not_in_reporting_line": True}).json["status"] == "active"
    gus = as_staff("gus@hospital.test", "supporter")
    assert client.get("/api/v1/cases/mine", headers=gus).json == {"supporter_id": None, "pairings": []}
    assert post(client, f"/pairings/{pid}/contacts", gus, {"channel": "call", "outcome": "reached"}).status_code == 404
    note = post(client, f"/pairings/{pid}/contacts", EVE, {"channel": "call", "outcome": "accepted",
                                                            "note": "talked about the patient"})
    assert note.status_code == 422 and "note" in note.json["errors"]
    clock.advance(hours=3)
    assert post(client, f"/pairings/{pid}/contacts", EVE, {"channel": "call", "outcome": "accepted"}).status_code == 201
    report = client.get("/api/v1/cases/report", headers=COORD).json
    assert report["quarters"][0]["counts"]["accepted"] == 1 and report["supporter_load"][0]["name"] == "Eve Stone"
    viewer = client.get("/api/v1/cases/report", headers=VIEWER).json
    assert viewer["supporter_load"] == [] and viewer["quarters"] == []   # this quarter is not released yet
    # The audit: the coordinator's and the supporter's reads, for admins only.
    assert client.get("/api/v1/cases/audit", headers=COORD).status_code == 403
    with app.app_context():
        pages = [(r.staff_email, r.page, r.subject_id) for r in db.session.scalars(
            select(ReadAudit).where(ReadAudit.program == "cases").order_by(ReadAudit.id))]
        [(recipient, raw)] = [(r.recipient, r.body) for r in db.session.scalars(select(OutgoingMail))]
    assert ("coord@hospital.test", "cases.queue", pid) in pages and ("coord@hospital.test", "cases.pairing", pid) in pages
    assert ("eve@hospital.test", "cases.mine.pairing", pid) in pages
    assert recipient == "eve@hospital.test"
    assert "litigation" in message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    # No log line names the physician, their email or the trigger.
    text = "\n".join(r.getMessage() + " " + str(vars(r)) for r in caplog.records)
    assert "Cy Patel" not in text and "cy@hospital.test" not in text and "litigation" not in text


def test_the_audit_is_for_admins(app, client, people):
    from dataclasses import dataclass

    from docbox_outreach.access import Staff

    @dataclass(frozen=True)
    class Admin(Staff):
        admin: bool = True

    app.config["STAFF_LOOKUP"] = lambda req: Admin("admin@hospital.test", "Admin", None) \
        if req.headers.get("X-Admin") else None
    post(client, "/referrals", REFERRER, {})
    assert client.get("/api/v1/cases/audit", headers={"X-Admin": "1"}).json == {"reads": []}
    assert client.get("/cases/audit", headers={"X-Admin": "1"}).status_code == 200


@pytest.mark.parametrize("body", [
    {"physician_id": 1, "trigger": "litigation", "referred_on": "2026-03-01", "case_number": "C-2026-117"},
    {"physician_id": 1, "trigger": "litigation", "referred_on": "2026-03-01", "narrative": "the patient..."},
    {"physician_id": "1; drop", "trigger": "litigation", "referred_on": "2026-03-01"},
    {"physician_id": 1, "trigger": "Malpractice claim", "referred_on": "2026-03-01"},
    {"physician_id": 1, "trigger": "litigation", "referred_on": "yesterday"},
    {"physician_id": 99999999999, "trigger": "litigation", "referred_on": "2026-03-01"},
])
def test_a_referral_with_anything_more_or_anything_wrong_is_refused_and_writes_nothing(client, people, body):
    response = post(client, "/referrals", REFERRER, body)
    assert response.status_code == 422 and response.headers["Content-Type"] == "application/problem+json"
    with client.application.app_context():
        from docbox_outreach.cases.models import Pairing
        assert db.session.scalars(select(Pairing)).all() == []


def test_a_survey_round_through_the_api_and_viewers_never_see_how_many_links_went_out(app, client, people, clock):
    supporter_id = setup_supporter(client, people)
    post(client, "/referrals", REFERRER, {"physician_id": people.phys.id, "trigger": "other", "referred_on": "2026-03-01"})
    pid = the_pairing(client)["id"]
    post(client, f"/pairings/{pid}/assign", COORD, {"supporter_id": supporter_id})
    post(client, f"/pairings/{pid}/attest", EVE, dict.fromkeys(("not_involved", "not_reviewing",
                                                                 "not_in_reporting_line"), True))
    post(client, f"/pairings/{pid}/contacts", EVE, {"channel": "video", "outcome": "accepted"})
    clock.advance(days=40)
    opened = post(client, "/survey-rounds", COORD, {"period_start": "2026-03-01", "period_end": "2026-03-31"})
    assert opened.status_code == 201 and opened.json["links_sent"] == 1 and opened.json["results_shown"] is False
    assert post(client, "/survey-rounds", VIEWER, {"period_start": "2026-03-01",
                                                   "period_end": "2026-03-31"}).status_code == 403
    with app.app_context():
        [row] = db.session.scalars(select(OutgoingMail).where(OutgoingMail.key.like("case:survey:%"))).all()
        token = message_from_bytes(row.body, policy=policy.default).get_body(("plain",)).get_content() \
            .split("/cases/survey/")[1].split()[0]
    answered = client.post(f"/api/v1/cases/survey/{token}", json={"valuable": True, "recommend": True,
                                                                  "items": {"safe": 5}})
    assert answered.status_code == 201
    again = client.post(f"/api/v1/cases/survey/{token}", json={"valuable": False, "recommend": False})
    assert again.status_code == 404 and again.headers["Content-Type"] == "application/problem+json"
    viewer = client.get("/api/v1/cases/survey-rounds", headers=VIEWER).json["rounds"][0]
    assert "links_sent" not in viewer and "answers" not in viewer and viewer["results_shown"] is False
    coordinator = client.get("/api/v1/cases/survey-rounds", headers=COORD).json["rounds"][0]
    assert (coordinator["links_sent"], coordinator["answers"]) == (1, 1)
    closed = post(client, f"/survey-rounds/{coordinator['id']}/close", COORD)
    assert closed.status_code == 200 and closed.json["closed"] is True
