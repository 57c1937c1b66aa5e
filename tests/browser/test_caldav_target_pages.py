"""An admin adds a CalDAV target in a browser: signs in once on sessions, lands on calendar_sync's page,
finds the calendars of a Radicale account, tests the connection, adds the target; on a phone and a desktop.

Both services run on real servers on two ports of 127.0.0.1 (as under ``make run``): the sign-in cookie
of sessions reaches calendar_sync, which asks sessions who it is.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from support.apps import running_app
from support.clock import clock_config
from support.publishers import Publisher, over_http

from .conftest import PASSWORD, T0

SECRET = "caldav-target-browser-secret"


@pytest.fixture
def calendar_base(app, base_url, make_database_url, serve, staff):
    """calendar_sync served, asking the served sessions who is signed in; one program in its replica."""
    with running_app("calendar_sync", {"SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"),
                                       "EVENT_SECRETS": [SECRET], **clock_config("calendar_sync", lambda: T0),
                                       "SESSIONS_URL": base_url, "STAFF_LOGIN_URL": base_url + "/login"}) as calendar:
        base = serve(calendar)
        app.config["CALENDAR_SYNC_URL"] = base  # the sign-in page may send people back there
        Publisher(over_http(base), SECRET, lambda: T0).deliver("program", {
            "id": uuid.uuid4().hex[:12], "created_at": T0, "updated_at": T0, "slug": "evening-circle",
            "name": "Evening circle", "description": "", "timezone": "America/New_York", "open": True})
        yield base


@pytest.mark.parametrize("device", ["page", "phone"])
def test_an_admin_signs_in_once_and_adds_a_caldav_target_after_testing_it(request, device, calendar_base, radicale,
                                                                          staff, check):
    page = request.getfixturevalue(device)
    width = page.viewport_size["width"]
    page.goto(calendar_base + "/admin/targets")
    assert "/login" in page.url  # the one sign-in page, on sessions
    page.get_by_label("Email address").fill(staff["admin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.url == calendar_base + "/admin/targets"
    expect(page.get_by_role("heading", name="CalDAV targets")).to_be_visible()
    check(page, f"caldav-targets-empty-{width}")

    page.get_by_role("link", name="Add a target").first.click()
    page.get_by_label("Server address").fill(radicale.base + "/")
    page.get_by_label("User name").fill(radicale.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Find calendars").click()
    expect(page.get_by_role("alert")).to_contain_text("The server refused the username or password")
    check(page, f"caldav-target-refused-{width}")

    page.get_by_label("Password").fill(radicale.password)
    page.get_by_role("button", name="Find calendars").click()
    expect(page.get_by_role("status")).to_contain_text("Connected. The server lists")
    page.get_by_label(radicale.calendar_url, exact=False).check()
    page.get_by_role("button", name="Test the connection").click()  # the password stays sealed in the form
    expect(page.get_by_role("status")).to_contain_text("Connected: the server accepted the account")
    check(page, f"caldav-target-tested-{width}")

    page.get_by_label("Name of this target").fill("Department calendar")
    page.get_by_role("button", name="Add the target").click()
    expect(page.get_by_role("heading", name="Department calendar")).to_be_visible()
    expect(page.locator("main")).to_contain_text("added")
    check(page, f"caldav-target-detail-{width}")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("main")).to_contain_text("Paused since")
    page.get_by_role("link", name="All CalDAV targets").click()
    expect(page.get_by_role("row", name="Department calendar")).to_contain_text("Paused")
    check(page, f"caldav-targets-list-{width}")


@pytest.mark.parametrize("device", ["page", "phone"])
def test_an_admin_reads_the_health_page_and_follows_it_to_the_caldav_backlog(request, device, app, base_url,
                                                                             calendar_base, staff, sign_in, check):
    page = request.getfixturevalue(device)
    width = page.viewport_size["width"]
    sign_in(page, "admin")
    page.get_by_role("link", name="Health").click()
    expect(page.get_by_role("heading", name="Health", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Every change has reached calendar_sync and notifications")
    check(page, f"admin-health-{width}")
    page.get_by_role("link", name="CalDAV targets").last.click()
    assert page.url == calendar_base + "/admin/targets"  # the same sign-in, no second one
    expect(page.get_by_role("heading", name="CalDAV targets")).to_be_visible()
    page.get_by_role("link", name="Staff pages").click()  # and back to the sessions staff pages, still signed in
    page.wait_for_load_state()
    assert page.url.startswith(base_url) and "/login" not in page.url
