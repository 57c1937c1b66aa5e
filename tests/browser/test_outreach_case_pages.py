"""The case-based program in a real browser: a referrer, the coordinator matching, a supporter on a phone, a survey
answer. Every page is checked with axe (serious and critical) and for sideways scrolling.

Staff are signed in the way the outreach tests do it: the app's ``STAFF_LOOKUP`` reads who is calling from two
test headers the browser context sends (the suite's real sign-in is sessions' business and tested there).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from support.apps import dispose, migrated_app
from support.clock import Clock

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)   # Monday 9:00 in New York


def staff_lookup(req):
    from docbox_outreach.access import Staff
    email = req.headers.get("X-Test-Staff")
    return Staff(email, email.split("@")[0].title(), req.headers.get("X-Test-Role")) if email else None


@pytest.fixture
def outreach(make_database_url):
    clock = Clock(T0)
    app = migrated_app("outreach", {"SQLALCHEMY_DATABASE_URI": make_database_url("outreach"), "CLOCK": clock,
                                    "STAFF_LOOKUP": staff_lookup, "SECRET_KEY": "browser-test-key",
                                    "MIN_CELL": 3, "PUBLIC_URL": "https://docbox.test/outreach"})
    app.test_clock = clock
    yield app
    dispose(app)


@pytest.fixture
def department(outreach):
    """A roster, two trained supporters (Eve, Gus) and the first guidelines, which Gus has not acknowledged."""
    from docbox_outreach.cases import supporters
    from docbox_outreach.models import Member, db
    with outreach.app_context():
        people = {}
        for name, division in [("Ada Chair", "Medicine"), ("Cy Patel", "Cardiology"), ("Di Okafor", "Nephrology"),
                               ("Eve Stone", "Nephrology"), ("Gus Lind", "Oncology")]:
            member = Member(name=name, email=f"{name.split()[0].lower()}@hospital.test", division=division,
                            reports_to=None if name == "Ada Chair" else "ada@hospital.test")
            db.session.add(member)
            db.session.flush()
            people[name.split()[0]] = member.id
        eve = supporters.add(people["Eve"], 3, date(2026, 1, 10))
        supporters.add(people["Gus"], 2, date(2026, 1, 12))
        guideline = supporters.publish_guidelines("Reach out within the window.\n\nKeep no notes.")
        db.session.flush()
        supporters.acknowledge(eve, guideline.version)
        db.session.commit()
    return people


def as_staff(browser, email, role, phone=False):
    size = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True,
            "device_scale_factor": 2} if phone else {"viewport": {"width": 1280, "height": 900}}
    context = browser.new_context(bypass_csp=True, extra_http_headers={"X-Test-Staff": email, "X-Test-Role": role},
                                  **size)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def refer(outreach, people, name="Cy"):
    from docbox_outreach.cases import referrals
    from docbox_outreach.models import db
    with outreach.app_context():
        referrals.refer(people[name], "quality_review", date(2026, 2, 27), date(2026, 3, 2))
        db.session.commit()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_referrer_refers_and_sees_a_receipt_and_nothing_more(browser, outreach, department, serve, check, phone):
    base = serve(outreach)
    context, page = as_staff(browser, "risk@hospital.test", "referrer", phone)
    try:
        page.goto(f"{base}/cases/refer")
        main = page.inner_text("main")
        assert "no field for a patient, a record number, a case or claim number" in main
        assert page.locator("textarea").count() == 0
        check(page, f"cases-refer-{'phone' if phone else 'desktop'}")
        page.get_by_role("button", name="Send the referral").click()
        assert "Choose a physician from the roster." in page.inner_text("main")
        check(page, f"cases-refer-errors-{'phone' if phone else 'desktop'}")
        page.get_by_label("Colleague").select_option(label="Cy Patel (Cardiology)")
        page.get_by_label("Litigation").check()
        page.get_by_role("button", name="Send the referral").click()
        page.wait_for_url("**/cases/refer/receipt")
        receipt = page.inner_text("main")
        assert "Referral received" in receipt and "Cy Patel" in receipt and "Litigation" in receipt
        check(page, f"cases-receipt-{'phone' if phone else 'desktop'}")
        # Reloading the receipt shows nothing stored: the receipt was built from the form.
        page.reload()
        assert page.url.endswith("/cases/refer")
        page.goto(f"{base}/cases/queue")
        assert page.inner_text("main").startswith("Not allowed") or "Not allowed" in page.inner_text("main")
    finally:
        context.close()


def test_the_coordinator_matches_a_referral_with_a_supporter(browser, outreach, department, serve, check):
    refer(outreach, department)
    base = serve(outreach)
    context, page = as_staff(browser, "coord@hospital.test", "coordinator")
    try:
        page.goto(f"{base}/cases/queue")
        assert "Waiting for a supporter (1)" in page.inner_text("main")
        check(page, "cases-queue")
        page.get_by_role("link", name="Match Cy Patel").click()
        ranked = page.inner_text("main")
        assert ranked.index("Eve Stone") < ranked.index("Gus Lind")
        assert "has not acknowledged the latest guidelines" in ranked
        assert page.get_by_label("Gus Lind", exact=False).is_disabled()
        check(page, "cases-matching")
        page.get_by_role("button", name="Assign").click()
        assert "Choose a supporter." in page.inner_text("main")
        check(page, "cases-matching-error")
        page.get_by_label("Eve Stone", exact=False).check()
        page.get_by_role("button", name="Assign").click()
        assert "Assigned." in page.inner_text("main")
        assert "assigned: Eve Stone" in page.inner_text("main")
        check(page, "cases-matched")
        page.get_by_role("link", name="Supporters").click()
        check(page, "cases-supporters")
        page.locator("#member_id").select_option(label="Di Okafor (Nephrology)")
        page.get_by_label("Trained on").fill("2026-02-01")
        page.get_by_role("button", name="Add").click()
        assert "Supporter added." in page.inner_text("main")
        page.get_by_role("link", name="Case report").click()
        assert "Download as CSV" in page.inner_text("main")
        check(page, "cases-report")
        page.get_by_role("link", name="Case survey").click()
        check(page, "cases-surveys")
    finally:
        context.close()
    context, page = as_staff(browser, "chair@hospital.test", "viewer", phone=True)
    try:
        page.goto(f"{base}/cases/report")
        assert "Eve Stone" not in page.inner_text("main") and "Nobody is named" in page.inner_text("main")
        check(page, "cases-report-viewer-phone")
    finally:
        context.close()
    from docbox_outreach.models import OutgoingMail, db
    with outreach.app_context():
        [mail] = db.session.scalars(select(OutgoingMail)).all()
    assert mail.recipient == "eve@hospital.test"


def test_a_supporter_attests_and_logs_contacts_on_a_phone(browser, outreach, department, serve, check):
    from docbox_outreach.cases import pairings
    from docbox_outreach.cases.access import Actor
    from docbox_outreach.cases.models import Pairing
    from docbox_outreach.models import db
    refer(outreach, department)
    with outreach.app_context():
        pairing = db.session.scalars(select(Pairing)).one()
        eve_id = next(s.id for s in __import__("docbox_outreach.cases.supporters", fromlist=["roster"]).roster()
                      if s.member.name == "Eve Stone")
        pairings.assign(Actor("coord@hospital.test", "coordinator"), pairing, eve_id, date(2026, 3, 2))
        db.session.commit()
    base = serve(outreach)
    context, page = as_staff(browser, "eve@hospital.test", "supporter", phone=True)
    try:
        page.goto(f"{base}/cases/mine")
        assert "Confirm you can take this first" in page.inner_text("main")
        check(page, "cases-mine-phone")
        page.get_by_role("link", name="Cy Patel").click()
        check(page, "cases-attest-phone")
        page.get_by_label("I am not involved in the case.").check()
        page.get_by_role("button", name="I can take this").click()
        assert "Confirm this, or refuse the pairing." in page.inner_text("main")
        check(page, "cases-attest-error-phone")
        for label in ("I am not involved in the case.", "I am not reviewing the case, and will not.",
                      "I am not in this colleague's reporting line (above or below)."):
            page.get_by_label(label).check()
        page.get_by_role("button", name="I can take this").click()
        assert "You can reach out now." in page.inner_text("main")
        assert page.locator("textarea").count() == 0
        check(page, "cases-contact-phone")
        page.get_by_label("Deferred").check()
        page.get_by_label("Call").check()
        page.get_by_label("Offer again on").fill("2026-09-01")
        page.get_by_role("button", name="Log the contact").click()
        assert "Contact logged." in page.inner_text("main") and "call, deferred" in page.inner_text("main")
        check(page, "cases-contact-logged-phone")
    finally:
        context.close()
    with outreach.app_context():
        pairing = db.session.scalars(select(Pairing)).one()
        assert (pairing.status, pairing.reoffer_on, len(pairing.contacts)) == ("active", date(2026, 9, 1), 1)


def test_a_physician_answers_the_survey_once_on_a_phone(browser, outreach, department, serve, check):
    from docbox_outreach.cases import survey
    from docbox_outreach.cases.models import SurveyAnswer, SurveyRound
    from docbox_outreach.models import Member, OutgoingMail, db
    with outreach.app_context():
        # A survey round sends one link; the answer page needs no sign-in.
        survey_round = SurveyRound(period_start=date(2025, 1, 1), period_end=date(2025, 12, 31), opened_at=T0,
                                   links_sent=1)
        db.session.add(survey_round)
        db.session.flush()
        from docbox_outreach.cases import messages
        from docbox_outreach.cases.models import SurveyLink
        from docbox_shared import tokens
        token = tokens.new_token()
        db.session.add(SurveyLink(token_hash=tokens.hash_token(token), round_id=survey_round.id))
        messages.survey(survey_round.id, db.session.get(Member, department["Cy"]), token)
        db.session.commit()
        [row] = db.session.scalars(select(OutgoingMail)).all()
        text = message_from_bytes(row.body, policy=policy.default).get_body(("plain",)).get_content()
    assert f"https://docbox.test/outreach/cases/survey/{token}" in text
    base = serve(outreach)
    context = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 812}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/cases/survey/{token}")
        assert "without your name" in page.inner_text("main")
        assert page.locator("nav a").count() == 0 or "Case queue" not in page.inner_text("body")
        check(page, "cases-survey-phone")
        page.get_by_role("button", name="Send").click()
        assert "Answer yes or no." in page.inner_text("main")
        check(page, "cases-survey-error-phone")
        page.locator("#valuable").get_by_label("Yes").check()
        page.locator("#recommend").get_by_label("Yes").check()
        page.locator("#timely").get_by_label("4").check()
        page.get_by_role("button", name="Send").click()
        assert "Thank you" in page.inner_text("main")
        check(page, "cases-survey-thanks-phone")
        page.goto(f"{base}/cases/survey/{token}")
        assert "This link no longer works" in page.inner_text("main")
        check(page, "cases-survey-gone-phone")
    finally:
        context.close()
    with outreach.app_context():
        [answer] = db.session.scalars(select(SurveyAnswer)).all()
        assert (answer.valuable, answer.recommend, answer.timely, answer.understood) == (True, True, 4, None)
    assert survey  # the module under test
