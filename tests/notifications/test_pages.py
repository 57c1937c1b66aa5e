"""The faculty pages without a browser: the subscribe form (CSRF, bad input kept), the link pages.

The form is a second door to the same operation as ``POST /api/v1/subscribers``:
same checks, same limits, same answer whatever the address. The link pages
need no CSRF token (the token in the URL is the credential), and the RFC 8058
one-click POST that mail providers send must keep working without one.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from docbox_notifications import create_app
from docbox_notifications.models import Delivery, RateHit, Subscriber, db

from .conftest import UTC

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GOOD = {"email": "ada@example.org", "programs": ["prog-1"], "offsets": ["1440", "60"], "digest": "off",
        "timezone": ""}


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def csrf_token(client, path="/subscribe"):
    page = client.get(path)
    assert page.status_code == 200
    return CSRF.search(page.get_data(as_text=True)).group(1)


def post_form(client, **changes):
    return client.post("/subscribe", data={**GOOD, "csrf_token": csrf_token(client), **changes})


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)) if found else ""


@pytest.fixture
def programs(calendar):
    calendar.program()
    calendar.program("prog-2", name="Resilience", tz="America/New_York")
    state = calendar.program("prog-closed", name="Staff only")
    calendar.update("program", state, open=False)


def test_form_lists_open_programs_and_preselects_from_the_query(client, programs):
    page = client.get("/subscribe?programs=prog-2&programs=prog-closed&programs=nope")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Balint group" in html and "Resilience" in html and "Staff only" not in html
    assert re.search(r'value="prog-2" checked', html) and not re.search(r'value="prog-1" checked', html)
    # Default reminder times 24 h and 1 h; the digest zone defaults to the chosen program's.
    assert re.search(r'value="1440" checked', html) and re.search(r'value="60" checked', html)
    assert "Same as the program (America/New York)" in html
    assert '<label for="email">Email address' in html


def test_home_leads_to_the_form(client):
    assert client.get("/").headers["Location"].endswith("/subscribe")


def test_form_without_csrf_token_is_refused_and_keeps_what_was_typed(app, client, programs, smtp, worker):
    client.get("/subscribe")                       # a cookie, but no token in the form
    refused = client.post("/subscribe", data={**GOOD, "email": "typed@example.org"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "could not be sent" in html and 'value="typed@example.org"' in html
    forged = client.post("/subscribe", data={**GOOD, "csrf_token": "forged"})
    assert forged.status_code == 400
    worker()
    assert count(app, Subscriber) == count(app, RateHit) == 0 and smtp.messages == []


def test_a_token_from_another_browser_is_refused(app, client, programs):
    other = app.test_client()
    refused = client.post("/subscribe", data={**GOOD, "csrf_token": csrf_token(other)})
    assert refused.status_code == 400 and count(app, Subscriber) == 0


@pytest.mark.parametrize("changes, field, message", [
    ({"email": "ada@example"}, "email", "Enter an email address in the form name@example.org."),
    ({"email": "ada@example.org\r\nBcc: eve@example.org"}, "email", "Enter an email address"),
    ({"email": ""}, "email", "Enter your email address."),
    ({"programs": []}, "programs", "Choose at least one program."),
    ({"programs": ["prog-closed"]}, "programs", "not open for reminders"),
    ({"offsets": []}, "offsets", "Choose at least one reminder time, or the weekly digest."),
    ({"offsets": ["1440", "7"]}, "offsets", "Choose reminder times from the list."),
    ({"timezone": "Mars/Base"}, "timezone", "Choose a time zone from the list."),
])
def test_bad_input_gets_a_message_next_to_the_field_and_keeps_the_rest(app, client, programs, changes, field,
                                                                       message):
    answer = post_form(client, **{"email": "kept@example.org", "programs": ["prog-2"], "digest": "off",
                                  **changes})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in field_error(html, field)
    assert f'href="#{field}"' in html                               # the error summary points at the field
    if field != "email":
        assert 'value="kept@example.org"' in html
    if field != "programs":
        assert re.search(r'value="prog-2" checked', html)
    assert count(app, Subscriber) == count(app, Delivery) == count(app, RateHit) == 0


def test_the_weekly_email_needs_no_reminder_time(client, programs):
    answer = post_form(client, offsets=[], digest="on", timezone="Europe/Lisbon")
    assert answer.status_code == 303


def test_good_form_says_check_your_inbox_whatever_the_address(app, client, programs, smtp, worker, subscribe):
    subscribe("known@example.org")
    smtp.clear()
    answers = [post_form(client, email=address) for address in ("new@example.org", "Known@Example.org")]
    assert {a.status_code for a in answers} == {303}
    assert {a.headers["Location"] for a in answers} == {"/subscribe/sent"}
    sent = client.get("/subscribe/sent").get_data(as_text=True)
    assert "Check your inbox" in sent and "example.org" not in sent
    worker()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["known@example.org", "new@example.org"]
    assert all(m.links("confirm") for m in smtp.messages)


def test_the_form_asks_for_what_it_shows(app, client, programs, smtp, worker):
    post_form(client, email="grace@example.org", programs=["prog-2"], offsets=["2880", "15"], digest="off",
              timezone="Asia/Tokyo")
    worker()
    token = smtp.to("grace@example.org")[0].links("confirm")[0]
    confirm = client.get(f"/confirm/{token}").get_data(as_text=True)
    assert "Resilience" in confirm and "2 days and 15 minutes" in confirm
    client.post(f"/confirm/{token}")
    with app.app_context():
        sub = db.session.scalar(select(Subscriber))
        assert (sub.program_ids, sub.offsets, sub.digest, sub.timezone) == (["prog-2"], [2880, 15], False,
                                                                            "Asia/Tokyo")


def test_form_and_api_share_the_per_client_limit(app, client, programs):
    for i in range(app.config["RATE_PER_CLIENT"]):
        assert client.post("/api/v1/subscribers", json={"email": f"p{i}@example.org",
                                                        "programs": ["prog-1"]}).status_code == 202
    refused = post_form(client, email="late@example.org")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "try again in 60 minutes" in html and 'value="late@example.org"' in html


def test_json_api_and_one_click_unsubscribe_need_no_csrf_token(app, client, programs, subscribe):
    client.get("/subscribe")                        # a browser with the form's cookie changes nothing
    assert client.post("/api/v1/subscribers", json={"email": "b@example.org",
                                                    "programs": ["prog-1"]}).status_code == 202
    token = subscribe("ada@example.org")
    # RFC 8058: the mail provider POSTs exactly this body, with no cookie and no CSRF token.
    one_click = app.test_client().post(f"/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200 and "You are unsubscribed" in one_click.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Subscriber.email)) == "b@example.org"   # only the pending one is left


def test_link_pages_are_private(client, programs, subscribe, smtp):
    token = subscribe()
    confirm_token = smtp.messages[0].links("confirm")[0]
    for path in (f"/manage/{token}", f"/unsubscribe/{token}", f"/confirm/{confirm_token}", "/manage/nope"):
        page = client.get(path)
        assert page.headers["Cache-Control"] == "no-store", path
        assert page.headers["Referrer-Policy"] == "no-referrer", path
        assert '<meta name="robots" content="noindex">' in page.get_data(as_text=True), path
    assert client.get("/manage/nope").status_code == 404


def test_manage_page_keeps_what_was_typed_when_a_choice_is_missing(app, client, programs, subscribe):
    token = subscribe()
    bad = client.post(f"/manage/{token}", data={"action": "save", "programs": ["prog-2"], "digest": "off",
                                                "timezone": "Europe/Paris"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Choose at least one reminder time" in field_error(html, "offsets")
    assert re.search(r'value="prog-2" checked', html) and not re.search(r'value="prog-1" checked', html)
    assert re.search(r'value="Europe/Paris" selected', html)
    with app.app_context():
        assert db.session.scalar(select(Subscriber)).program_ids == ["prog-1"]   # nothing half-saved


def test_pause_and_resume_from_the_manage_page(app, client, calendar, programs, subscribe, smtp, worker, clock):
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    token = subscribe()
    smtp.clear()
    paused = client.post(f"/manage/{token}", data={"action": "pause"}, follow_redirects=True)
    assert "Paused: no email is sent" in paused.get_data(as_text=True)
    assert "Resume reminders" in paused.get_data(as_text=True)
    clock.set(datetime(2027, 3, 22, 18, 0, tzinfo=UTC))     # 24 h before: nothing while paused
    worker()
    assert smtp.messages == []
    resumed = client.post(f"/manage/{token}", data={"action": "resume"}, follow_redirects=True)
    assert "Resumed" in resumed.get_data(as_text=True)
    clock.set(datetime(2027, 3, 23, 17, 0, tzinfo=UTC))     # 1 h before
    worker()
    assert len(smtp.messages) == 1


def test_the_form_cookie_is_secure_outside_development(app_config):
    production = create_app({**app_config, "DOCBOX_ENV": "production"})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"



def test_a_reminder_time_unticked_then_ticked_again_is_sent(client, calendar, programs, subscribe, smtp, worker,
                                                            clock):
    calendar.session("s1", datetime(2027, 3, 23, 18, 0, tzinfo=UTC))
    token = subscribe()
    smtp.clear()
    for offsets in (["1440"], ["1440", "60"]):
        saved = client.post(f"/manage/{token}", data={"action": "save", "programs": ["prog-1"], "offsets": offsets,
                                                      "digest": "off"})
        assert saved.status_code == 303
    for instant in (datetime(2027, 3, 22, 18, 0, tzinfo=UTC), datetime(2027, 3, 23, 17, 0, tzinfo=UTC)):
        clock.set(instant)
        worker()
    assert len(smtp.messages) == 2       # 24 h and 1 h before
