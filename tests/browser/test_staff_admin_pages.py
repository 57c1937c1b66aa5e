"""An admin runs staff accounts from the browser; a new colleague joins by the emailed link; staff sign in by SSO.

Every page at phone and desktop widths through ``check`` (screenshot, axe:
nothing serious or critical, no sideways scrolling). Single sign-on runs
against the real OpenID provider of ``support.oidc``.
"""

from __future__ import annotations

import re

import flask_migrate
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from docbox_sessions import MIGRATIONS, create_app
from docbox_sessions.models import db
from support.apps import TEST_CONFIG
from support.oidc import SECRET, start_provider


@pytest.fixture
def provider_port(port):
    return port


@pytest.fixture
def app(make_database_url, clock, provider_port):
    """The browser tests' app, with single sign-on at the provider started by ``provider``."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": make_database_url("sessions"), "CLOCK": clock,
                      "EVENT_SUBSCRIBERS": [], "EVENT_SECRETS": ["test-secret"], "MIN_CELL": 5,
                      "SECRET_KEY": "browser-test-key", "OIDC_ISSUER": f"http://127.0.0.1:{provider_port}",
                      "OIDC_CLIENT_ID": "docbox", "OIDC_CLIENT_SECRET": SECRET})
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def provider(app, base_url, provider_port):
    app.config["PUBLIC_URL"] = base_url  # the callback the provider sends browsers to
    running = start_provider(provider_port, [f"{base_url}/login/sso/callback"])
    yield running
    running.stop()


def _last_link(app, base_url) -> str:
    """The link of the newest mail, on the test server (mails name the configured public URL)."""
    from docbox_sessions.staff_mail import StaffMail
    with app.app_context():
        body = db.session.scalars(sa.select(StaffMail.body).order_by(StaffMail.id.desc())).first()
    return base_url + re.search(r"http://\S+?(/welcome/\S+)", body.decode()).group(1)


@pytest.mark.parametrize("width", [375, 1280])
def test_an_admin_invites_a_colleague_who_joins_and_later_is_switched_off(browser, app, staff, base_url, sign_in,
                                                                           check, width):
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, "admin", check=check)
    page.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("row")).to_have_count(5)  # a header and four staff
    check(page, f"admin-staff-{width}")

    page.get_by_role("link", name="Invite a staff member").click()
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#email-error")).to_contain_text("Enter an email address")
    check(page, f"admin-invite-errors-{width}")
    page.get_by_label("Email address").fill("newcomer@example.org")
    page.get_by_label("Name").fill("Dr Newcomer")
    page.get_by_label("Organizer: plans sessions").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".flash--success")).to_contain_text("Invitation sent to newcomer@example.org")
    check(page, f"admin-staff-member-{width}")

    newcomer = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    newcomer.goto(_last_link(app, base_url))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Welcome to Doc Box")
    check(newcomer, f"welcome-link-{width}")
    newcomer.get_by_label("New password").fill("newcomer passphrase")
    newcomer.get_by_label("The same password again").fill("newcomer passphrase")
    newcomer.get_by_role("button", name="Save the password and sign in").click()
    expect(newcomer.locator(".flash--success")).to_contain_text("Signed in as newcomer@example.org")

    page.get_by_label("What the new token is for").fill("nightly export")
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_label("The new token", exact=True)).to_have_value(re.compile(r"^dbx_"))
    check(page, f"admin-token-created-{width}")
    page.get_by_role("button", name="Switch the account off").click()  # asks first, naming what it undoes
    expect(page.get_by_role("heading", level=1)).to_have_text("Switch off newcomer@example.org?")
    expect(page.locator("main")).to_contain_text("1 API token")
    check(page, f"admin-staff-switch-off-confirm-{width}")
    page.get_by_role("link", name="No, keep it on").click()
    expect(page.get_by_role("row", name=re.compile("nightly export"))).not_to_contain_text("Revoked")
    page.get_by_role("button", name="Switch the account off").click()
    page.get_by_role("button", name="Yes, switch it off").click()
    expect(page.locator(".flash--success")).to_contain_text("switched off")
    expect(page.get_by_role("row", name=re.compile("nightly export"))).to_contain_text("Revoked")
    check(page, f"admin-staff-switched-off-{width}")
    newcomer.reload()
    assert "/login" in newcomer.url  # signed out at once
    newcomer.goto(_last_link(app, base_url))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    check(newcomer, f"link-dead-{width}")
    newcomer.context.close()
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_forgot_password_sends_a_link_that_sets_a_new_one(browser, app, staff, base_url, check, width):
    page = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{base_url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    check(page, f"forgot-{width}")
    page.get_by_label("Email address").fill(staff["viewer"])
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your mail")
    check(page, f"forgot-sent-{width}")
    page.goto(_last_link(app, base_url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password").fill("fresh passphrase 1")
    page.get_by_label("The same password again").fill("fresh passphrase 2")
    page.get_by_role("button", name="Save the password and sign in").click()
    expect(page.locator("#password_repeat-error")).to_contain_text("not the same")
    check(page, f"reset-errors-{width}")
    page.get_by_label("New password").fill("fresh passphrase 1")
    page.get_by_label("The same password again").fill("fresh passphrase 1")
    page.get_by_role("button", name="Save the password and sign in").click()
    expect(page.locator(".flash--success")).to_contain_text(f"Signed in as {staff['viewer']}")
    page.context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_staff_sign_in_with_the_institutions_account(browser, app, staff, base_url, provider, check, width):
    page = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{base_url}/month")
    check(page, f"login-sso-{width}")
    page.get_by_role("link", name="Sign in with your institution's account").click()
    assert page.url.startswith(provider.issuer)  # the provider's own sign-in page
    page.locator("input[name=login]").fill(staff["organizer"])
    page.locator("input[name=password]").fill("whatever the institution asks")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{base_url}/month**")
    expect(page.locator(".flash--success")).to_contain_text(f"Signed in as {staff['organizer']}")

    stranger = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    stranger.goto(f"{base_url}/login/sso")
    stranger.locator("input[name=login]").fill("stranger@example.org")
    stranger.locator("input[name=password]").fill("x")
    stranger.locator("button[type=submit]").click()
    stranger.wait_for_url(f"{base_url}/login/sso/callback**")
    expect(stranger.get_by_role("heading", level=1)).to_have_text("No Doc Box account for you")
    check(stranger, f"sso-refused-{width}")
    stranger.context.close()
    page.context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_an_admin_invites_an_outreach_only_referrer_who_sees_only_the_way_to_outreach(browser, app, staff, base_url,
                                                                                       sign_in, check, width):
    app.config["OUTREACH_URL"] = "http://127.0.0.1:5004"
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, "admin")
    page.goto(f"{base_url}/admin/staff/invite")
    page.get_by_label("Email address").fill("quality@example.org")
    page.get_by_label("None: no access to group sessions").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#role-error")).to_contain_text("Give a role in group sessions, in outreach, or both")
    check(page, f"admin-invite-no-role-{width}")
    page.get_by_label("Referrer: refers a physician").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".flash--success")).to_contain_text("Invitation sent to quality@example.org")

    referrer = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 900}).new_page()
    referrer.goto(_last_link(app, base_url))
    referrer.get_by_label("New password").fill("referrer passphrase")
    referrer.get_by_label("The same password again").fill("referrer passphrase")
    referrer.get_by_role("button", name="Save the password and sign in").click()
    expect(referrer.get_by_role("link", name="Go to the outreach pages")).to_have_attribute(
        "href", "http://127.0.0.1:5004/")
    assert referrer.get_by_role("link", name="Statistics").count() == 0
    check(referrer, f"outreach-only-start-{width}")
    referrer.goto(f"{base_url}/stats")
    expect(referrer.get_by_role("heading", level=1)).to_be_visible()
    assert "You have no role in group sessions" in referrer.inner_text("main")
    check(referrer, f"outreach-only-refused-{width}")
    referrer.context.close()
    context.close()
