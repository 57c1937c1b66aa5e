"""The department's peer-support coordinator runs Doc Box from a browser: an admin of group sessions who is
also the outreach coordinator goes from one area to the other by the menus, one sign-in for both.

The real sessions and outreach apps are served side by side (``support.outreach.one_sign_in``): the browser
signs in on sessions' page and outreach asks sessions who it is, as in production.
"""

from __future__ import annotations

from playwright.sync_api import expect

from support.outreach import one_sign_in
from support.staff_pages import PASSWORD

COORDINATOR = "coord@example.org"


def test_the_coordinator_goes_from_group_sessions_to_outreach_and_back_by_the_menus(
        browser, make_database_url, clock, serve, check):
    with one_sign_in(make_database_url, clock, serve, [(COORDINATOR, "admin", "coordinator")],
                     "browser-coordinator-key") as suite:
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(suite["sessions_url"] + "/login")
        page.get_by_label("Email address").fill(COORDINATOR)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        menu = page.get_by_role("navigation", name="Main")
        expect(menu.get_by_role("link", name="Health")).to_be_visible()
        menu.get_by_role("link", name="Outreach").click()
        expect(page.get_by_role("heading", name="Outreach", exact=True)).to_be_visible()
        assert page.url.startswith(suite["outreach_url"]) and "/login" not in page.url
        expect(menu.get_by_role("link", name="Roster")).to_be_visible()
        check(page, "coordinator-outreach-start")
        menu.get_by_role("link", name="Group sessions").click()  # and back, still signed in
        expect(menu.get_by_role("link", name="Staff")).to_be_visible()
        assert page.url.startswith(suite["sessions_url"]) and "/login" not in page.url
        # A ward computer: signing out from outreach's pages signs out of both.
        page.goto(suite["outreach_url"] + "/")
        page.get_by_role("link", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign out of Doc Box?")).to_be_visible()
        check(page, "coordinator-sign-out")
        page.get_by_role("main").get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_contain_text("You are signed out")
        page.goto(suite["outreach_url"] + "/")
        expect(page.get_by_role("link", name="Sign in with your staff account")).to_be_visible()
        context.close()
