"""Fixtures for the browser tests: the sessions app on a real server, Debian's Chromium, axe-core.

- ``clock``: the service's clock, fixed at Friday 2027-01-15 12:00 UTC (07:00 in New York).
- ``app``: the sessions app on a fresh database built by the migrations.
- ``staff``: one member per role added with the real CLI (``staff add`` then
  ``staff set-password --password-stdin``, the latter when the test first looks the
  role's email up); role -> email. Every password is PASSWORD.
- ``base_url``: the app served by werkzeug in a thread on a free port.
- ``browser``: headless ``/usr/bin/chromium`` driven by Playwright (one per test session).
- ``page``: a desktop page (1280x900); ``phone`` a 375x812 one.
- ``check(page, name)``: writes ``test-artifacts/screenshots/<name>.png`` (the folder
  ``$DOCBOX_TEST_ARTIFACTS`` instead of test-artifacts when set) and
  fails on any axe-core violation with impact serious or critical.
- ``sign_in(page, role)``: signs in through the login form.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from docbox_sessions.models import db
from support.apps import running_app
from support.clock import Clock, clock_config

T0 = datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)
PASSWORD = "a long passphrase for tests"
ROOT = Path(__file__).resolve().parents[2]
# CI runs two passes at once; each names its own folder.
SCREENSHOTS = Path(os.environ.get("DOCBOX_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("DOCBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def app(make_database_url, clock):
    with running_app("sessions", {"SQLALCHEMY_DATABASE_URI": make_database_url("sessions"),
                                  **clock_config("sessions", clock), "EVENT_SUBSCRIBERS": [],
                                  "EVENT_SECRETS": ["test-secret"], "MIN_CELL": 5,
                                  "SECRET_KEY": "browser-test-key",
                                  "CALENDAR_SYNC_INTERNAL_URL": "", "NOTIFICATIONS_INTERNAL_URL": ""}) as app:
        yield app


class StaffEmails(dict):
    """role -> email of the four staff members. A role's password is set (the real CLI) the first time its
    email is looked up: hashing one (Argon2id, 64 MiB) costs a second or more of a loaded CI machine, and
    most tests sign in as one role only."""

    def __init__(self, runner, emails):
        super().__init__(emails)
        self.runner, self.with_password = runner, set()

    def __getitem__(self, role):
        email = super().__getitem__(role)
        if role not in self.with_password:
            out = self.runner.invoke(args=["staff", "set-password", email, "--password-stdin"], input=PASSWORD + "\n")
            assert out.exit_code == 0, out.output
            self.with_password.add(role)
        return email

    def get(self, role, default=None):
        return self[role] if role in self else default

    def values(self):
        return [self[role] for role in self]

    def items(self):
        return [(role, self[role]) for role in self]


@pytest.fixture
def staff(app):
    runner = app.test_cli_runner()
    emails = {}
    for role in ("admin", "organizer", "facilitator", "viewer"):
        email = f"{role}@example.org"
        out = runner.invoke(args=["staff", "add", email, "--role", role, "--name", f"Dr {role.title()}"])
        assert out.exit_code == 0, out.output
        emails[role] = email
    return StaffEmails(runner, emails)


@pytest.fixture
def base_url(app, serve):
    return serve(app)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run 'npm install' in tests/browser/js (make test does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, **options):
    # bypass_csp: axe-core is injected as an inline script, which the pages' CSP forbids (test_security_headers
    # checks the CSP in a context without this).
    context = browser.new_context(bypass_csp=True, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, page


@pytest.fixture
def page(browser):
    context, page = _page(browser, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context, page = _page(browser, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                          device_scale_factor=2)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def check(screenshots):
    """``check(page, name)``: screenshot the whole page, then assert axe finds nothing serious."""
    def run(page, name: str) -> None:
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
        # Works without JavaScript: the pages ship none (axe is injected below, by the test).
        assert page.locator("script").count() == 0 or page.evaluate("() => typeof window.axe !== 'undefined'"), name
        external = page.evaluate("""() => [...document.querySelectorAll('link[href], img[src], script[src]')]
            .map(e => e.href || e.src).filter(u => !u.startsWith(location.origin))""")
        assert external == [], f"{name} loads assets from outside the project: {external}"
        violations = axe_violations(page)
        assert violations == [], f"axe on {name} ({page.url}): {violations}"
        # Readable at the viewport's width: nothing wider than the screen but scrollable tables.
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"
    return run


@pytest.fixture
def sign_in(base_url, staff):
    def run(page, role: str, check=None):
        page.goto(f"{base_url}/")
        assert "/login" in page.url
        if check:
            check(page, f"login-{page.viewport_size['width']}")
        page.get_by_label("Email address").fill(staff[role])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert f"Signed in as {staff[role]}" in page.inner_text("main")
    return run


@pytest.fixture
def ops(app):
    """``with ops() as o:`` runs operations in an app context and commits at the end."""
    from contextlib import contextmanager

    from docbox_sessions import operations

    @contextmanager
    def run():
        with app.app_context():
            yield operations
            db.session.commit()
    return run
