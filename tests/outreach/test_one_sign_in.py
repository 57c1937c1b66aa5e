"""Signed in once on the staff pages, a person reaches the outreach pages their outreach role opens; a role in
group sessions opens nothing here. The real sessions and outreach apps each run on a port of 127.0.0.1."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from support.apps import running_app
from support.clock import clock_config

PASSWORD = "a long passphrase for tests"


@pytest.fixture
def suite(make_database_url, clock, serve):
    with running_app("sessions", {"SQLALCHEMY_DATABASE_URI": make_database_url("sessions"),
                                  **clock_config("sessions", clock), "EVENT_SUBSCRIBERS": [],
                                  "EVENT_SECRETS": ["test-secret"], "SECRET_KEY": "one-sign-in-test-key"}) as sessions:
        from docbox_sessions.models import Staff, db
        from docbox_sessions.staff_admin import set_roles

        runner = sessions.test_cli_runner()
        for email, role, outreach in (("coord@example.org", "viewer", "coordinator"),
                                      ("admin@example.org", "admin", None),
                                      ("quality@example.org", "none", "referrer")):  # outreach only
            assert runner.invoke(args=["staff", "add", email, "--role", role,
                                       "--outreach-role", outreach or "none"]).exit_code == 0
            assert runner.invoke(args=["staff", "set-password", email, "--password-stdin"],
                                 input=PASSWORD + "\n").exit_code == 0
            with sessions.app_context():
                set_roles(db.session.scalar(select(Staff).where(Staff.email == email)), outreach_role=outreach)
                db.session.commit()
        sessions_url = serve(sessions)
        with running_app("outreach", {"SQLALCHEMY_DATABASE_URI": make_database_url("outreach"),
                                      "CLOCK": clock, "SESSIONS_URL": sessions_url,
                                      "STAFF_LOGIN_URL": sessions_url + "/login"}) as outreach_app:
            outreach_url = serve(outreach_app)
            sessions.config["OUTREACH_URL"] = outreach_url  # where the sign-in page may send people back to
            yield {"sessions_url": sessions_url, "outreach_url": outreach_url}


def _browser() -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    return http


def _sign_in(http, suite, email, next_url):
    login = suite["sessions_url"] + "/login"
    page = http.get(login, params={"next": next_url})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = http.post(login, data={"email": email, "password": PASSWORD, "csrf_token": token, "next": next_url},
                       allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer


def test_a_coordinator_signed_in_once_opens_the_roster_and_a_sessions_admin_does_not(suite):
    roster = suite["outreach_url"] + "/roster"
    http = _browser()
    sent = http.get(roster, allow_redirects=False)
    assert sent.status_code == 303 and parse_qs(urlsplit(sent.headers["Location"]).query)["next"] == [roster]
    back = _sign_in(http, suite, "coord@example.org", roster)
    assert back.headers["Location"] == roster
    page = http.get(roster)
    assert page.status_code == 200 and "Faculty roster" in page.text
    added = http.post(suite["outreach_url"] + "/roster/new", allow_redirects=False, data={
        "name": "Ada Chair", "email": "ada@example.org", "division": "Medicine",
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                http.get(suite["outreach_url"] + "/roster/new").text).group(1)})
    assert added.status_code == 302  # a change through a page's form, on the suite's sign-in cookie

    admin = _browser()
    _sign_in(admin, suite, "admin@example.org", roster)
    refused = admin.get(roster)
    assert refused.status_code == 403 and "no outreach role" in refused.text
    assert "Ada Chair" not in refused.text
    # nor through the API
    assert admin.get(suite["outreach_url"] + "/api/v1/members").status_code == 403


def test_an_outreach_only_referrer_signs_in_once_refers_and_is_refused_group_sessions(suite):
    http = _browser()
    landed = _sign_in(http, suite, "quality@example.org", "")
    start = http.get(suite["sessions_url"] + landed.headers["Location"])
    assert start.status_code == 200 and "Go to the outreach pages" in start.text
    link = re.search(r'href="([^"]+)">Go to the outreach pages', start.text).group(1)
    assert link == suite["outreach_url"] + "/"
    assert http.get(link).status_code == 200  # signed in once: the sessions cookie opens outreach
    refer = http.get(suite["outreach_url"] + "/cases/refer")
    assert refer.status_code == 200 and 'name="physician_id"' in refer.text
    for page in ("/stats", "/upcoming", "/programs"):
        refused = http.get(suite["sessions_url"] + page, allow_redirects=False)
        assert refused.status_code == 403 and "no role in group sessions" in refused.text, page
    me = http.get(suite["sessions_url"] + "/api/v1/me").json()
    assert (me["role"], me["outreach_role"]) == (None, "referrer")
