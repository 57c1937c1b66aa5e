"""Signed in once on the staff pages, a person reaches the outreach pages their outreach role opens; a role in
group sessions opens nothing here. The real sessions and outreach apps each run on a port of 127.0.0.1."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from support.outreach import browser, one_sign_in, sign_in


@pytest.fixture
def suite(make_database_url, clock, serve):
    with one_sign_in(make_database_url, clock, serve, [("coord@example.org", "viewer", "coordinator"),
                                                      ("admin@example.org", "admin", None),
                                                      ("quality@example.org", "none", "referrer")],  # outreach only
                     secret_key="one-sign-in-test-key") as urls:
        yield urls


def test_a_coordinator_signed_in_once_opens_the_roster_and_a_sessions_admin_does_not(suite):
    roster = suite["outreach_url"] + "/roster"
    http = browser()
    sent = http.get(roster, allow_redirects=False)
    assert sent.status_code == 303 and parse_qs(urlsplit(sent.headers["Location"]).query)["next"] == [roster]
    back = sign_in(http, suite, "coord@example.org", roster)
    assert back.headers["Location"] == roster
    page = http.get(roster)
    assert page.status_code == 200 and "Faculty roster" in page.text
    added = http.post(suite["outreach_url"] + "/roster/new", allow_redirects=False, data={
        "name": "Ada Chair", "email": "ada@example.org", "division": "Medicine",
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                http.get(suite["outreach_url"] + "/roster/new").text).group(1)})
    assert added.status_code == 302  # a change through a page's form, on the suite's sign-in cookie

    admin = browser()
    sign_in(admin, suite, "admin@example.org", roster)
    refused = admin.get(roster)
    assert refused.status_code == 403 and "no outreach role" in refused.text
    assert "Ada Chair" not in refused.text
    # nor through the API
    assert admin.get(suite["outreach_url"] + "/api/v1/members").status_code == 403


def test_an_outreach_only_referrer_signs_in_once_refers_and_is_refused_group_sessions(suite):
    http = browser()
    landed = sign_in(http, suite, "quality@example.org", "")
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
