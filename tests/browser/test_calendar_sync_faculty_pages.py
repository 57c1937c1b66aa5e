"""A faculty member finds a program, subscribes, and the feed link shown returns the calendar.

calendar_sync runs on a real server with a calendar it learnt the way it does
in production: signed event envelopes POSTed to its ``/api/v1/events`` (what
the sessions relay does). The sessions service itself is not running at all:
the pages read calendar_sync's own replica.

``check`` here replaces the shared one for this file only: the result page
loads one small script file (the copy button, a shortcut: the address is
also in a read-only field and the button stays hidden without JavaScript),
which the shared fixture's "no script at all" rule would refuse. Everything
else is checked the same way: screenshot, no asset from outside, axe-core,
no sideways scrolling.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import icalendar
import pytest
import requests
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from support import publishers
from support.apps import running_app
from support.clock import clock_config
from support.publishers import over_http

UTC = timezone.utc
EVENT_SECRET = "calendar-sync-browser-secret"
T0 = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def check(screenshots):
    """``check(page, name)``: screenshot, then no outside asset, no script file, axe clean, fits the width."""
    def run(page, name: str) -> None:
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
        scripts = page.evaluate("() => [...document.scripts].filter(s => s.src).map(s => s.src.replace(location.origin, ''))")
        assert set(scripts) <= {"/_docbox/static/copy.js"}, f"{name} runs other scripts: {scripts}"
        inline = page.evaluate("() => [...document.scripts].filter(s => !s.src).length")
        assert inline == 0 or page.evaluate("() => typeof window.axe !== 'undefined'"), f"{name} has inline script"
        external = page.evaluate("""() => [...document.querySelectorAll('link[href], img[src], script[src]')]
            .map(e => e.href || e.src).filter(u => !u.startsWith(location.origin))""")
        assert external == [], f"{name} loads assets from outside the project: {external}"
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
                   for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], f"axe on {name} ({page.url}): {serious}"
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"
    return run


# --- minimal copies from tests/calendar_sync/conftest.py -----------------------------

class Publisher(publishers.Publisher):
    """Delivers entry states as the sessions relay does: signed envelopes over HTTP."""

    def __init__(self, base_url: str):
        super().__init__(over_http(base_url), EVENT_SECRET, lambda: T0)

    def deliver(self, kind: str, state: dict) -> dict:
        super().deliver(kind, state)
        return state

    @staticmethod
    def _base(entry_id=None):
        return {"id": entry_id or uuid.uuid4().hex[:12], "created_at": T0, "updated_at": T0}

    def program(self, name, slug, open=True, timezone="America/New_York", description="", **extra):
        return self.deliver("program", {**self._base(), "slug": slug, "name": name, "description": description,
                                        "timezone": timezone, "open": open, **extra})

    def session(self, program, title, start, end, *, fmt="in_person", location="Room 4", video_url=None,
                description=""):
        return self.deliver("session", {
            **self._base(), "program_id": program["id"], "title": title, "description": description, "format": fmt,
            "location": location, "video_url": video_url, "timezone": program["timezone"], "capacity": None,
            "start": start, "end": end, "status": "scheduled"})

    def series(self, program, title, start_local, rrule, *, fmt="virtual", location=None, video_url=None,
               exceptions=()):
        return self.deliver("series", {
            **self._base(), "program_id": program["id"], "title": title, "description": "", "format": fmt,
            "location": location, "video_url": video_url, "timezone": program["timezone"], "capacity": None,
            "start_local": start_local, "duration_minutes": 60, "rrule": rrule, "exceptions": list(exceptions),
            "continues_series_id": None})


def exception(day, status="scheduled", start=None, end=None, cancel_reason=None):
    return {"date": day, "status": status, "start": start, "end": end, "location": None, "video_url": None,
            "cancel_reason": cancel_reason, "updated_at": T0}


# --- calendar_sync on a real server -----------------------------------------------------

@pytest.fixture
def calendar_app(make_database_url):
    with running_app("calendar_sync", {"SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"),
                                       "EVENT_SECRETS": [EVENT_SECRET], **clock_config("calendar_sync", lambda: T0),
                                       "SESSIONS_URL": "http://127.0.0.1:9",  # sessions is down for the whole test
                                       "NOTIFICATIONS_URL": "http://notifications.example.org"}) as app:
        yield app


@pytest.fixture
def calendar(calendar_app, serve):
    """The served base URL, and a calendar: one open program with a one-off and a series, one closed program."""
    base = serve(calendar_app)
    calendar_app.config["PUBLIC_URL"] = base  # feed URLs must point at this server
    publish = Publisher(base)
    program = publish.program("Evening circle", "evening-circle",
                              description="Peer support after a hard shift. No preparation needed.",
                              what_to_expect="We sit in a circle for an hour.\nSpeak or just listen.\n\n"
                                             "What is said in the room stays there <and> nobody takes notes.",
                              contact_email="peer-support@example.org")
    publish.session(program, "Grand rounds debrief", datetime(2027, 1, 20, 23, tzinfo=UTC),
                     datetime(2027, 1, 21, 0, 30, tzinfo=UTC), fmt="hybrid", location="ED conference room 2",
                     video_url="https://meet.example.org/debrief-secret",
                     description="After a death in the department.\nCome for ten minutes or for all of it.")
    publish.series(program, "Tuesday circle", datetime(2027, 1, 19, 19, 0), "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
                   video_url="https://meet.example.org/tuesday-secret", exceptions=[
                       exception(date(2027, 1, 26), status="cancelled", cancel_reason="Room unavailable"),
                       exception(date(2027, 2, 2), start=datetime(2027, 2, 4, 0, tzinfo=UTC),
                                 end=datetime(2027, 2, 4, 1, tzinfo=UTC))])
    publish.program("Residents only", "residents", open=False)
    return base, program


def _fetch_events(url: str) -> list:
    http = requests.Session()
    http.trust_env = False
    answer = http.get(url, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(answer.content).walk("VEVENT")


def _program_page(page, base, program, check, width):
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer-support programs")
    expect(page.locator("main")).not_to_contain_text("Residents only")
    page.get_by_role("link", name="Evening circle").click()
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evening circle")
    expect(main).to_contain_text("Wednesday 20 January 2027")
    expect(main).to_contain_text("18:00–19:30 EST")
    expect(main).to_contain_text("Where: ED conference room 2 or online")
    expect(main).to_contain_text("Cancelled")
    expect(main).to_contain_text("Moved from Tue 2 Feb, 19:00")
    expect(main).not_to_contain_text("meet.example.org")
    expect(page.get_by_role("link", name="Get email reminders")).to_have_attribute(
        "href", f"http://notifications.example.org/subscribe?programs={program['id']}")
    # What to expect, as typed (paragraphs, line breaks, nothing read as markup), and where to write.
    expect(page.get_by_role("heading", name="What to expect")).to_be_visible()
    expected = page.locator(".what-to-expect p")
    expect(expected).to_have_count(2)
    expect(expected.first).to_have_text("We sit in a circle for an hour.Speak or just listen.")
    expect(expected.nth(1)).to_have_text("What is said in the room stays there <and> nobody takes notes.")
    expect(page.get_by_role("link", name="peer-support@example.org")).to_have_attribute(
        "href", "mailto:peer-support@example.org")
    check(page, f"calendar-program-{width}")
    # A month with nothing planned says so (the page looks 120 days ahead, into May).
    expect(main).to_contain_text("Nothing planned in March 2027")
    expect(main).to_contain_text("After a death in the department.")
    # Each session has its page: when, how, where and what it is about; never its video link.
    page.get_by_role("link", name="Grand rounds debrief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grand rounds debrief")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Wednesday 20 January 2027, 18:00–19:30 EST")
    expect(facts).to_contain_text("In person and online")
    expect(facts).to_contain_text("ED conference room 2 or online")
    expect(main).to_contain_text("Come for ten minutes or for all of it.")
    expect(main).to_contain_text("Peer support after a hard shift.")
    expect(main).not_to_contain_text("meet.example.org")
    expect(page.get_by_role("heading", name="What to expect")).to_be_visible()
    expect(page.get_by_role("link", name="peer-support@example.org")).to_be_visible()
    check(page, f"calendar-session-{width}")
    page.get_by_role("link", name="All sessions of Evening circle").click()


def _result_page(page, check, width, alarm: int | None):
    result = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendar link is ready")
    url = page.get_by_label("Your calendar address").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/feeds/[A-Za-z0-9_-]{43}\.ics", url), url
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    expect(page.get_by_role("link", name="Google Calendar")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/calendar/r\?cid=webcal%3A%2F%2F127\.0\.0\.1"))
    expect(page.get_by_role("link", name="Apple Calendar (iPhone, Mac)")).to_have_attribute(
        "href", "webcal://" + url.split("://", 1)[1])
    expect(result).to_contain_text("moves in your calendar at the next refresh")
    check(page, f"calendar-result-{width}")
    events = _fetch_events(url)
    titles = sorted({str(e["summary"]) for e in events})
    assert titles == ["Cancelled: Tuesday circle", "Grand rounds debrief", "Tuesday circle"], titles
    if alarm is not None:
        alarms = [a for e in events for a in e.walk("VALARM")]
        assert alarms and all(a.decoded("trigger") == -timedelta(minutes=alarm) for a in alarms)
    return url


def test_faculty_member_subscribes_on_a_desktop_and_the_feed_returns_the_calendar(page, calendar, check):
    base, program = calendar
    _program_page(page, base, program, check, "desktop")

    page.get_by_role("link", name="Add to my calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add sessions to your calendar")
    expect(page.get_by_label("Evening circle")).to_be_checked()
    expect(page.locator("main")).not_to_contain_text("Residents only")
    check(page, "calendar-subscribe-desktop")
    page.get_by_label("Remind me before each session (minutes)").fill("30")
    page.get_by_role("button", name="Create my calendar link").click()
    url = _result_page(page, check, "desktop", alarm=30)

    # The copy button puts the address on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.get_by_role("button", name="Copy the address").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("() => navigator.clipboard.readText()") == url

    # Turning the link off from the result page kills the URL at once.
    page.get_by_role("button", name="Turn this link off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendar link is turned off")
    check(page, "calendar-revoked-desktop")
    http = requests.Session()
    http.trust_env = False
    assert http.get(url, timeout=10).status_code == 404

    # Later, the same link pasted on the manage page is refused next to the field, and kept.
    page.get_by_role("link", name="Manage a feed").click()
    page.get_by_label("Your calendar address").fill(url)
    page.get_by_role("button", name="Turn it off").click()
    expect(page.locator("#feed-error")).to_contain_text("No feed has this address")
    expect(page.get_by_label("Your calendar address")).to_have_value(url)
    check(page, "calendar-manage-desktop")


def test_faculty_member_subscribes_on_a_phone_with_the_keyboard(phone, calendar, check):
    base, program = calendar
    _program_page(phone, base, program, check, "375")

    phone.get_by_role("link", name="Subscribe").click()
    box = phone.get_by_label("Evening circle")
    expect(box).not_to_be_checked()
    # A mistake first: no program and words for minutes; the form says what is wrong and keeps the text.
    alarm = phone.get_by_label("Remind me before each session (minutes)")
    alarm.fill("half an hour")
    phone.get_by_role("button", name="Create my calendar link").click()
    expect(phone.locator("#programs-error")).to_contain_text("Choose at least one program.")
    expect(phone.locator("#alarm_minutes_before-error")).to_contain_text("Enter a whole number of minutes")
    expect(alarm).to_have_value("half an hour")
    check(phone, "calendar-subscribe-errors-375")

    box.focus()
    phone.keyboard.press("Space")
    expect(box).to_be_checked()
    phone.get_by_label("Leave cancelled sessions out").check()
    alarm.fill("")
    check(phone, "calendar-subscribe-375")
    alarm.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your calendar link is ready")
    url = phone.get_by_label("Your calendar address").input_value()
    expect(phone.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    expect(phone.locator("main")).to_contain_text("is removed from your calendar")
    check(phone, "calendar-result-375")
    events = _fetch_events(url)
    assert sorted({str(e["summary"]) for e in events}) == ["Grand rounds debrief", "Tuesday circle"]
    assert not any(e.walk("VALARM") for e in events)


def test_the_copy_button_works_under_the_pages_content_security_policy(browser, calendar):
    """A browser that enforces the CSP (the other tests bypass it to inject axe-core): nothing is refused."""
    base, program = calendar
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        refused = []
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(f"{base}/programs/{program['slug']}")
        page.get_by_role("link", name="Add to my calendar").click()
        page.get_by_role("button", name="Create my calendar link").click()
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page.get_by_role("button", name="Copy the address").click()
        expect(page.locator("#copy-status")).to_have_text("Copied.")
        assert refused == [], refused
        # An injected inline script (what an XSS would add) does not run.
        with pytest.raises(PlaywrightError):
            page.add_script_tag(content="window.injected = true;")
        assert page.evaluate("() => window.injected === undefined")
        assert refused, "the browser should report the refused inline script"
    finally:
        context.close()


def test_a_cancelled_session_page_gives_the_organizers_reason_on_a_phone_and_a_desktop(page, phone, calendar, check):
    base, _program = calendar
    for viewer, name in ((phone, "faculty-session-cancelled-375"), (page, "faculty-session-cancelled")):
        viewer.goto(f"{base}/programs/evening-circle")
        viewer.get_by_role("link", name="Cancelled: Tuesday circle").click()
        expect(viewer.get_by_role("heading", level=1)).to_have_text("Cancelled: Tuesday circle")
        expect(viewer.get_by_role("note")).to_have_text("This session is cancelled. Reason: Room unavailable")
        check(viewer, name)
