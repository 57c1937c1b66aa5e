"""The one-on-one outreach pages in a real browser: the coordinator's round, a mentor on a 375-pixel phone,
and a mentee's opt-out link from a real mail. Every page is checked with axe-core and photographed.

The outreach app runs on a real server with the ``make run`` demo data (100 faculty, 10 mentors, an open
round half reached); staff are signed in by the app's ``STAFF_LOOKUP`` (the ``X-Test-Staff`` header stands
for the suite's sign-in), and mail goes to a real SMTP server.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from docbox_outreach.demo import seed
from docbox_outreach.models import Member, db, mail
from docbox_outreach.oneonone.models import Assignment, Attempt, Round
from support.apps import running_app
from support.clock import Clock
from support.outreach import staff_lookup

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def outreach(make_database_url, smtp, serve):
    """``(app, base URL)`` with the demo data; its mail goes to ``smtp`` and links point at the server."""
    with running_app("outreach", {"SQLALCHEMY_DATABASE_URI": make_database_url("outreach"), "CLOCK": Clock(T0),
                                  "STAFF_LOOKUP": staff_lookup, "SMTP_HOST": "127.0.0.1",
                                  "SMTP_PORT": smtp.port, "SECRET_KEY": "browser-key"}) as app:
        base = serve(app)
        app.config["PUBLIC_URL"] = base
        with app.app_context():
            seed()
            mail.run_pass()
        yield app, base


def _pairs(app, number: int) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(Assignment.mentee_id, Assignment.mentor_id).join(Round)
                                       .where(Round.number == number)).all())


def _swappable(app, number: int = 1) -> tuple[int, int]:
    """Two mentees of round ``number`` whose mentors may be exchanged (neither lands in their own reporting line)."""
    from docbox_outreach.domain.assignment import SwapRefused, swap
    from docbox_outreach.oneonone.operations import _reports_to

    pairs = _pairs(app, number)
    with app.app_context():
        reports_to, _ = _reports_to()
    for a in pairs:
        for b in pairs:
            if pairs[a] != pairs[b]:
                try:
                    swap(pairs, a, b, reports_to)
                    return a, b
                except SwapRefused:
                    continue
    raise AssertionError("no swappable pair in the demo round")


def _as(browser, email, **viewport):
    context = browser.new_context(bypass_csp=True, extra_http_headers={"X-Test-Staff": email}, **viewport)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def test_coordinator_reads_the_round_swaps_two_mentees_and_checks_the_roster(browser, outreach, check):
    app, base = outreach
    context, page = _as(browser, "coordinator@example.org", viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/oneonone/rounds")
    check(page, "outreach-rounds")
    page.get_by_role("link", name="Round 1").click()
    expect(page.get_by_role("heading", name="Round 1")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Assigned 100$"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Reached 50$"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Reached over the days"))).to_be_visible()
    check(page, "outreach-round-coordinator")
    a, b = _swappable(app)
    with app.app_context():
        page.get_by_label("Work email of the first mentee").fill(db.session.get(Member, a).email)
        page.get_by_label("Work email of the second mentee").fill(db.session.get(Member, b).email)
    page.get_by_role("button", name="Swap").click()
    expect(page.get_by_role("status")).to_contain_text("exchanged mentors")
    page.get_by_role("link", name="Roster").click()
    expect(page.get_by_role("table")).to_contain_text("100 members")
    check(page, "outreach-roster")
    context.close()


def test_coordinator_prepares_a_draft_swaps_in_it_and_opens_it_and_only_then_mentors_get_mail(
        browser, outreach, smtp, check):
    app, base = outreach
    context, page = _as(browser, "coordinator@example.org", viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/oneonone/rounds/1")
    page.get_by_role("button", name="Close round 1").click()
    expect(page.get_by_role("status")).to_contain_text("is closed")
    page.goto(f"{base}/oneonone/rounds")
    page.get_by_label("Due date").fill("2026-04-30")
    page.get_by_role("button", name="Prepare the round").click()
    expect(page.get_by_role("heading", name="Round 2 (draft)")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("nothing has been sent")
    expect(page.get_by_role("table", name="Pairs: 100 mentees")).to_be_visible()
    check(page, "outreach-round-draft")
    with app.app_context():
        mail.run_pass()
    before = len(smtp.messages)  # round 1's mail only: the draft sent nothing
    assert not any("2026" in m.text and "April" in m.text for m in smtp.messages)
    a, b = _swappable(app, 2)
    drafted = _pairs(app, 2)
    with app.app_context():
        emails = {m.id: m.email for m in db.session.scalars(select(Member))}
    page.get_by_label("Work email of the first mentee").fill(emails[a])
    page.get_by_label("Work email of the second mentee").fill(emails[b])
    page.get_by_role("button", name="Swap").click()
    expect(page.get_by_role("status")).to_contain_text("exchanged mentors")
    expect(page.get_by_role("heading", name="Round 2 (draft)")).to_be_visible()
    page.get_by_role("button", name="Open round 2 and mail everyone").click()
    expect(page.get_by_role("status")).to_contain_text("Round 2 is open")
    expect(page.get_by_role("heading", name="Round 2", exact=True)).to_be_visible()
    check(page, "outreach-round-opened")
    opened = _pairs(app, 2)
    assert (opened[a], opened[b]) == (drafted[b], drafted[a])  # the swap made in the draft is what opened
    with app.app_context():
        mail.run_pass()
    new = smtp.messages[before:]
    mentors = sorted(m.rcpt_tos[0] for m in new if "/oneonone/mine" in m.text)
    assert mentors == sorted(emails[p] for p in set(opened.values()))  # one mail per mentor
    assert len([m for m in new if "/oneonone/link/" in m.text]) == len(opened)
    context.close()


def test_a_mentor_on_a_phone_logs_an_attempt_in_two_taps(browser, outreach, check):
    app, base = outreach
    with app.app_context():
        mentor = db.session.scalar(select(Member).join(Assignment, Assignment.mentor_id == Member.id).limit(1))
        before = db.session.query(Attempt).count()
    context, phone = _as(browser, mentor.email, viewport={"width": 375, "height": 812}, is_mobile=True,
                         has_touch=True, device_scale_factor=2)
    phone.goto(f"{base}/oneonone/mine")
    expect(phone.get_by_role("heading", name="My list")).to_be_visible()
    check(phone, "outreach-mentor-375")
    card = phone.locator("section.card").first
    card.get_by_text("text", exact=True).tap()                      # tap one: how
    card.get_by_role("button", name="Reached").tap()                # tap two: what happened
    expect(phone.get_by_role("status")).to_have_text("Logged.")
    with app.app_context():
        attempt = db.session.scalars(select(Attempt).order_by(Attempt.id.desc())).first()
        assert db.session.query(Attempt).count() == before + 1
        assert (attempt.channel, attempt.outcome, attempt.day.isoformat()) == ("text", "reached", "2026-03-02")
    check(phone, "outreach-mentor-375-logged")
    context.close()


def test_a_mentee_opts_out_from_the_link_in_the_programs_mail(browser, outreach, smtp, check):
    app, base = outreach
    message = next(m for m in smtp.messages if "/oneonone/link/" in m.text)
    link = re.search(rf"{re.escape(base)}/oneonone/link/[A-Za-z0-9_-]+", message.text).group(0)
    context = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True)
    phone = context.new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Peer outreach: your choices")).to_be_visible()
    check(phone, "outreach-mentee-link-375")
    phone.get_by_role("button", name="Not this time").tap()
    expect(phone.get_by_role("status")).to_contain_text("nobody will contact you in this round")
    check(phone, "outreach-mentee-opted-out-375")
    context.close()
