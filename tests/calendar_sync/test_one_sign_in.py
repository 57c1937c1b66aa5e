"""One sign-in for every service's staff pages: sign in once on sessions, open calendar_sync's admin pages.

The real sessions app and the real calendar_sync app each run on their own
port of 127.0.0.1 (as under ``make run``), spoken to over HTTP by a
``requests`` session that keeps cookies like a browser: a cookie of one host
goes to every port of it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from support.apps import running_app
from support.clock import clock_config

PASSWORD = "a long passphrase for tests"


@pytest.fixture
def suite(make_database_url, clock, serve):
    """``(sessions_app, sessions_url, calendar_url)``; staff admin@, admin2@, organizer@ with PASSWORD."""
    with running_app("sessions", {"SQLALCHEMY_DATABASE_URI": make_database_url("sessions"),
                                  **clock_config("sessions", clock), "EVENT_SUBSCRIBERS": [],
                                  "EVENT_SECRETS": ["test-secret"], "SECRET_KEY": "one-sign-in-test-key"}) as sessions:
        runner = sessions.test_cli_runner()
        for email, role in (("admin@example.org", "admin"), ("admin2@example.org", "admin"),
                            ("organizer@example.org", "organizer")):
            assert runner.invoke(args=["staff", "add", email, "--role", role]).exit_code == 0
            out = runner.invoke(args=["staff", "set-password", email, "--password-stdin"], input=PASSWORD + "\n")
            assert out.exit_code == 0, out.output
        token = runner.invoke(args=["staff", "add", "script@example.org", "--role", "admin"]).output.split()[-1]
        sessions_url = serve(sessions)
        with running_app("calendar_sync", {"SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"),
                                           **clock_config("calendar_sync", clock), "EVENT_SECRETS": ["test-secret"],
                                           "SESSIONS_URL": sessions_url,
                                           "STAFF_LOGIN_URL": sessions_url + "/login"}) as calendar:
            calendar_url = serve(calendar)
            sessions.config["CALENDAR_SYNC_URL"] = calendar_url  # where sign-in may send people back to
            yield {"sessions": sessions, "sessions_url": sessions_url, "calendar_url": calendar_url,
                   "admin_token": token}


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(http, suite, email, next_url=None):
    """Signs in through the sessions login form; the answer's redirect (not followed)."""
    login = suite["sessions_url"] + "/login"
    page = http.get(login, params={"next": next_url} if next_url else None)
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf(page.text)}
    if next_url:
        data["next"] = next_url
    answer = http.post(login, data=data, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer


def test_signing_in_once_on_sessions_opens_calendar_sync_admin_pages(suite):
    http = browser()
    targets = suite["calendar_url"] + "/admin/targets"
    sent = http.get(targets, allow_redirects=False)
    assert sent.status_code == 303  # not signed in: to the one sign-in page, coming back here afterwards
    login = urlsplit(sent.headers["Location"])
    assert f"{login.scheme}://{login.netloc}{login.path}" == suite["sessions_url"] + "/login"
    assert parse_qs(login.query)["next"] == [targets]

    answer = sign_in(http, suite, "admin@example.org", next_url=targets)
    assert answer.headers["Location"] == targets
    page = http.get(targets, allow_redirects=False)
    assert page.status_code == 200 and "<h1>CalDAV targets</h1>" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    api = http.get(suite["calendar_url"] + "/api/v1/caldav-targets")  # a read of the API, same cookie
    assert api.status_code == 200 and api.json() == []
    me = http.get(suite["sessions_url"] + "/api/v1/me").json()
    assert (me["email"], me["role"], me["outreach_role"]) == ("admin@example.org", "admin", None)


def test_switching_an_account_off_stops_its_sign_in_in_every_service_at_once(suite):
    http = browser()
    sign_in(http, suite, "admin2@example.org")
    targets = suite["calendar_url"] + "/admin/targets"
    assert http.get(targets, allow_redirects=False).status_code == 200
    script = {"Authorization": f"Bearer {suite['admin_token']}"}
    staff = requests.get(suite["sessions_url"] + "/api/v1/staff", headers=script).json()
    admin2 = next(m["id"] for m in staff if m["email"] == "admin2@example.org")
    assert requests.patch(f"{suite['sessions_url']}/api/v1/staff/{admin2}", json={"active": False},
                          headers=script).status_code == 200
    page = http.get(targets, allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"].startswith(suite["sessions_url"] + "/login?")
    api = http.get(suite["calendar_url"] + "/api/v1/caldav-targets")
    assert api.status_code == 401 and api.headers["Content-Type"].startswith("application/problem+json")


def signed(key: str, value: dict) -> str:
    """A session cookie as Flask signs it with ``key``."""
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(value)


@pytest.mark.parametrize("cookie", [
    None,
    "not-a-cookie",
    signed("another-key", {"staff_id": 1, "stamp": "0" * 32}),           # someone else's key
    signed("one-sign-in-test-key", {"staff_id": 1, "stamp": "0" * 32}),  # the real key, a guessed stamp
])
def test_an_absent_or_forged_sign_in_cookie_is_refused(suite, cookie):
    http = browser()
    if cookie:
        http.cookies.set("docbox_staff", cookie)
    page = http.get(suite["calendar_url"] + "/admin/targets", allow_redirects=False)
    assert page.status_code == 303 and "/login?next=" in page.headers["Location"]
    assert http.get(suite["calendar_url"] + "/api/v1/caldav-targets").status_code == 401


def test_a_sign_in_cookie_makes_no_api_change_without_a_form(suite):
    http = browser()
    sign_in(http, suite, "admin@example.org")
    answer = http.delete(suite["calendar_url"] + "/api/v1/caldav-targets/some-target")
    assert answer.status_code == 401 and "Bearer" in answer.json()["detail"]


def test_a_role_in_one_area_grants_nothing_in_the_other(suite):
    http = browser()
    sign_in(http, suite, "organizer@example.org")
    page = http.get(suite["calendar_url"] + "/admin/targets", allow_redirects=False)
    assert page.status_code == 403 and "admin role in group sessions" in page.text
    script = {"Authorization": f"Bearer {suite['admin_token']}"}
    staff = requests.get(suite["sessions_url"] + "/api/v1/staff", headers=script).json()
    organizer = next(m["id"] for m in staff if m["email"] == "organizer@example.org")
    changed = requests.patch(f"{suite['sessions_url']}/api/v1/staff/{organizer}", json={"outreach_role": "coordinator"},
                             headers=script)
    assert changed.status_code == 200 and changed.json()["outreach_role"] == "coordinator"
    me = http.get(suite["sessions_url"] + "/api/v1/me").json()
    assert (me["role"], me["outreach_role"]) == ("organizer", "coordinator")
    assert http.get(suite["calendar_url"] + "/admin/targets", allow_redirects=False).status_code == 403


@pytest.mark.parametrize("foreign", [
    "https://evil.example/admin/targets",
    "//evil.example/admin/targets",
    "http://127.0.0.1:9/admin/targets",  # the same host, a port no Doc Box service is configured on
    "javascript:alert(1)",
    "http://evil.example\\@127.0.0.1/",
])
def test_signing_in_never_sends_a_browser_to_another_site(suite, foreign):
    http = browser()
    answer = sign_in(http, suite, "admin@example.org", next_url=foreign)
    assert answer.headers["Location"] in ("/", "/upcoming", suite["sessions_url"] + "/")
    assert "evil" not in http.get(suite["sessions_url"] + "/login", params={"next": foreign}).text
