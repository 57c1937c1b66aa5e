"""The outreach service stands on the kit: it starts, answers health checks, and only outreach roles see its pages."""

from __future__ import annotations

from support.outreach import as_staff


def test_health_readiness_and_openapi_answer(client):
    assert client.get("/healthz").json == {"status": "ok", "service": "outreach"}
    assert client.get("/readyz").json["status"] == "ready"
    assert client.get("/api/v1/openapi.json").json["info"]["title"] == "Doc Box outreach"


def test_start_page_asks_a_visitor_to_sign_in(client):
    page = client.get("/")
    assert page.status_code == 200 and "Sign in with your staff account" in page.text


def test_a_page_sends_a_visitor_who_is_not_signed_in_to_the_suite_sign_in(client):
    answer = client.get("/oneonone/rounds")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "http://127.0.0.1:5001/login?next=http%3A%2F%2Flocalhost%2Foneonone%2Frounds"


def test_a_sessions_role_without_an_outreach_role_sees_no_outreach_page(client):
    answer = client.get("/oneonone/rounds", headers=as_staff("organizer@example.org"))
    assert answer.status_code == 403 and "no outreach role" in answer.text
    assert "no outreach role" in client.get("/", headers=as_staff("organizer@example.org")).text


def test_a_coordinator_sees_the_rounds_page_and_its_link(client):
    assert "Rounds" in client.get("/", headers=as_staff("coordinator@example.org")).text
    page = client.get("/oneonone/rounds", headers=as_staff("coordinator@example.org"))
    assert page.status_code == 200 and "No round has been opened yet" in page.text


def test_the_demo_seed_is_a_roster_of_100_ten_mentors_and_an_open_round_half_reached(app, client):
    from docbox_outreach.demo import seed

    with app.app_context():
        assert "100 faculty" in seed()
        assert seed() is None  # once
    page = client.get("/oneonone/rounds/1", headers=as_staff("coordinator@example.org")).text
    assert '<th scope="row">Assigned</th><td>100</td>' in page and '<th scope="row">Reached</th><td>50</td>' in page
    assert page.count("<tr><td>") >= 10  # ten mentors' rows
    assert "50 by day 6" in page  # the chart of an open round stops at today
    assert "open" in page


def test_the_start_pages_sign_in_link_comes_back_to_the_start_page(client):
    answer = client.get("/sign-in")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "http://127.0.0.1:5001/login?next=http%3A%2F%2Flocalhost%2F"
