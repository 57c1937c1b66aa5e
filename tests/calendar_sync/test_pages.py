"""Faculty pages: program pages, the subscribe form, rotate and revoke through pages."""

import html
import logging
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

import icalendar

from docbox_calendar_sync.models import Feed, db

UTC = timezone.utc
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FEED_URL = re.compile(r'id="feed-url"[^>]*value="([^"]+)"')


def csrf_token(client, path="/subscribe") -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return CSRF.search(answer.get_data(as_text=True)).group(1)


def text_of(answer) -> str:
    return html.unescape(answer.get_data(as_text=True))


def feed_count(app) -> int:
    with app.app_context():
        return db.session.query(Feed).count()


def subscribe(client, **form):
    return client.post("/subscribe", data={"csrf_token": csrf_token(client), **form})


def token_in(answer) -> str:
    url = html.unescape(FEED_URL.search(answer.get_data(as_text=True)).group(1))
    return url.rsplit("/", 1)[1][:-len(".ics")]


def test_program_page_lists_upcoming_sessions_in_the_program_zone_without_video_links(client, sessions, app):
    program = sessions.program(name="Evening circle", slug="evening", timezone="Europe/Berlin")
    sessions.session(program, "Already over", datetime(2026, 2, 19, 17, tzinfo=UTC),
                     datetime(2026, 2, 19, 18, tzinfo=UTC))
    sessions.session(program, "Grand rounds debrief", datetime(2026, 3, 5, 17, tzinfo=UTC),
                     datetime(2026, 3, 5, 18, 30, tzinfo=UTC), location="Room 4",
                     video_url="https://video.example.org/secret-room")
    series = sessions.series(program, "Weekly circle", datetime(2026, 3, 3, 19, 0), "FREQ=WEEKLY;COUNT=3",
                             location=None, tz="America/New_York")
    series = sessions.change("series", series, format="virtual")
    series = sessions.exception(series, date(2026, 3, 10), status="cancelled")
    sessions.exception(series, date(2026, 3, 17), start=datetime(2026, 3, 18, 23, tzinfo=UTC),
                       end=datetime(2026, 3, 19, 0, tzinfo=UTC))

    answer = client.get("/programs/evening")
    assert answer.status_code == 200
    page = text_of(answer)
    assert "Already over" not in page
    assert "Thursday 5 March 2026" in page and "18:00–19:30 CET" in page   # 17:00 UTC in Berlin
    assert "In person and online" in page and "Room 4 or online" in page
    assert "secret-room" not in page and "video.example.org" not in page
    # A New York series is shown in the program's (Berlin) time.
    assert "Wednesday 4 March 2026" in page and "01:00–02:00 CET" in page
    assert page.count("Where: Online") == 3
    assert "Cancelled" in page and "Moved" in page and "Moved from Wed 18 Mar, 00:00" in page
    assert 'href="/subscribe?programs=' + program["id"] + '"' in page
    assert f'http://127.0.0.1:5003/subscribe?programs={quote(program["id"])}' in page


def test_closed_programs_are_not_listed_nor_shown_nor_subscribable(client, sessions, app):
    open_program = sessions.program(name="Open circle", slug="open-circle")
    closed = sessions.program(name="Residents only", slug="residents", open=False)
    index = text_of(client.get("/"))
    assert "Open circle" in index and "Residents only" not in index
    missing = client.get("/programs/residents")
    assert missing.status_code == 404 and "Page not found" in text_of(missing)
    assert client.get(f"/programs/{closed['id']}").status_code == 404
    form = text_of(client.get(f"/subscribe?programs={closed['id']}&programs=open-circle"))
    assert "Residents only" not in form
    assert re.search(r'value="{}" checked'.format(open_program["id"]), form)
    refused = subscribe(client, programs=closed["id"])
    assert refused.status_code == 422 and "no longer open" in text_of(refused)
    assert feed_count(app) == 0


def test_bad_input_is_refused_next_to_the_field_and_what_was_typed_is_kept(client, sessions, app):
    program = sessions.program(name="Open circle")
    answer = subscribe(client, programs=program["id"], hide_cancelled="1", alarm_minutes_before="half an hour")
    assert answer.status_code == 422
    page = text_of(answer)
    assert re.search(r'id="alarm_minutes_before-error">.*Enter a whole number of minutes', page)
    assert 'value="half an hour"' in page and 'aria-invalid="true"' in page
    assert re.search(r'value="{}" checked'.format(program["id"]), page)
    assert re.search(r'id="hide_cancelled" name="hide_cancelled" value="1" checked', page)
    nothing = subscribe(client, alarm_minutes_before="30")
    assert nothing.status_code == 422
    assert "Choose at least one program." in text_of(nothing) and 'value="30"' in text_of(nothing)
    assert feed_count(app) == 0


def test_a_form_without_its_csrf_token_is_refused(client, sessions, app):
    program = sessions.program(name="Open circle")
    answer = client.post("/subscribe", data={"programs": program["id"]})
    assert answer.status_code == 400 and "This form has expired" in text_of(answer)
    forged = client.post("/subscribe", data={"programs": program["id"], "csrf_token": "forged"})
    assert forged.status_code == 400
    assert feed_count(app) == 0
    # The JSON API keeps working without any cookie or token.
    assert client.post("/api/v1/feeds", json={"programs": [program["id"]]}).status_code == 201


def test_subscribing_shows_the_feed_once_with_one_click_links_and_a_qr_code(client, sessions, app, caplog):
    program = sessions.program(name="Open circle")
    sessions.session(program, "Grand rounds debrief", datetime(2026, 3, 5, 17, tzinfo=UTC),
                     datetime(2026, 3, 5, 18, tzinfo=UTC), video_url="https://video.example.org/room")
    with caplog.at_level(logging.INFO):
        answer = subscribe(client, programs=program["id"], alarm_minutes_before="15")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Referrer-Policy"] == "no-referrer"
    page = text_of(answer)
    assert '<meta name="robots" content="noindex">' in page
    token = token_in(answer)
    assert len(token) >= 22
    url = f"https://calendar.example.org/feeds/{token}.ics"
    webcal = "webcal://calendar.example.org/feeds/" + token + ".ics"
    assert "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="") in page
    assert "https://outlook.live.com/calendar/0/addfromweb?url=" + quote(url, safe="") in page
    assert "https://outlook.office.com/calendar/0/addfromweb?url=" + quote(url, safe="") in page
    assert f'href="{webcal}"' in page
    assert re.search(r'<svg role="img" aria-label="QR code[^"]*"[^>]*class="qr"', page)
    assert "moves in your calendar at the next refresh" in page and "“Cancelled: …”" in page
    assert token not in caplog.text
    feed = client.get(f"/feeds/{token}.ics")
    assert feed.status_code == 200
    events = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Grand rounds debrief"]
    assert events[0].walk("VALARM")[0].decoded("trigger") == -timedelta(minutes=15)


def test_revoke_and_rotate_from_the_result_page_carry_the_token_in_the_body(client, sessions, app):
    program = sessions.program(name="Open circle")
    first = token_in(subscribe(client, programs=program["id"]))
    rotated = client.post("/subscribe/rotate", data={"csrf_token": csrf_token(client), "feed": first})
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    assert "The old link has stopped working" in text_of(rotated)
    second = token_in(rotated)
    assert client.get(f"/feeds/{first}.ics").status_code == 404
    assert client.get(f"/feeds/{second}.ics").status_code == 200
    revoked = client.post("/subscribe/revoke", data={"csrf_token": csrf_token(client), "feed": second})
    assert revoked.status_code == 200 and "turned off" in text_of(revoked)
    assert client.get(f"/feeds/{second}.ics").status_code == 404


def test_manage_page_takes_a_pasted_address_and_keeps_an_unknown_one(client, sessions, app):
    program = sessions.program(name="Open circle")
    token = token_in(subscribe(client, programs=program["id"]))
    unknown = "webcal://calendar.example.org/feeds/not-a-real-token.ics"
    answer = client.post("/subscribe/revoke", data={"csrf_token": csrf_token(client, "/subscribe/manage"),
                                                    "feed": unknown})
    assert answer.status_code == 422
    assert "No feed has this address" in text_of(answer) and f'value="{unknown}"' in text_of(answer)
    assert client.get(f"/feeds/{token}.ics").status_code == 200
    pasted = f"webcal://calendar.example.org/feeds/{token}.ics"
    done = client.post("/subscribe/revoke", data={"csrf_token": csrf_token(client, "/subscribe/manage"),
                                                  "feed": pasted})
    assert done.status_code == 200
    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_pages_work_while_the_sessions_service_is_down(client, sessions, staff_server):
    program = sessions.program(name="Open circle", slug="open-circle")
    staff_server.stop()
    assert client.get("/programs/open-circle").status_code == 200
    answer = subscribe(client, programs=program["id"])
    assert answer.status_code == 200 and client.get(f"/feeds/{token_in(answer)}.ics").status_code == 200


def test_page_cookie_is_http_only_and_same_site(client, sessions):
    sessions.program(name="Open circle")
    cookie = client.get("/subscribe").headers["Set-Cookie"]
    assert cookie.startswith("docbox_calendar=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_only_an_open_programs_upcoming_session_has_a_page(client, sessions, app):
    program = sessions.program(name="Evening circle", slug="evening", timezone="Europe/Berlin")
    closed = sessions.program(name="Residents", slug="residents", open=False)
    over = sessions.session(program, "Already over", datetime(2026, 2, 19, 17, tzinfo=UTC),
                            datetime(2026, 2, 19, 18, tzinfo=UTC))
    ahead = sessions.session(program, "Debrief", datetime(2026, 3, 5, 17, tzinfo=UTC),
                             datetime(2026, 3, 5, 18, 30, tzinfo=UTC), video_url="https://video.example.org/secret",
                             description="Line one.\nLine two.")
    hidden = sessions.session(closed, "Closed door", datetime(2026, 3, 5, 17, tzinfo=UTC),
                              datetime(2026, 3, 5, 18, tzinfo=UTC))
    page = text_of(client.get(f"/programs/evening/sessions/{ahead['id']}"))
    assert "Debrief" in page and "Thursday 5 March 2026, 18:00–19:30 CET" in page and "Line one.\nLine two." in page
    assert "video.example.org" not in page
    for path in (f"/programs/evening/sessions/{over['id']}", f"/programs/residents/sessions/{hidden['id']}",
                 f"/programs/evening/sessions/{hidden['id']}", "/programs/evening/sessions/nope_20260305"):
        answer = client.get(path)
        assert answer.status_code == 404, path


def test_program_and_session_pages_show_what_to_expect_as_escaped_paragraphs_and_the_contact(client, sessions):
    program = sessions.program(name="Evening circle", slug="evening", contact_email="peer-support@example.net",
                               what_to_expect="Come as you are.\nNo need to speak.\n\n<script>alert(1)</script> & tea")
    session = sessions.session(program, "Grand rounds debrief", datetime(2026, 3, 5, 17, tzinfo=UTC),
                               datetime(2026, 3, 5, 18, 30, tzinfo=UTC))
    for path in ("/programs/evening", f"/programs/evening/sessions/{session['id']}"):
        page = client.get(path).get_data(as_text=True)
        assert '<h2 id="what-to-expect">What to expect</h2>' in page
        assert "<p>Come as you are.<br>No need to speak.</p><p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; tea</p>" in page
        assert "<script>" not in page
        assert '<a href="mailto:peer-support@example.net">peer-support@example.net</a>' in page


def test_a_program_without_what_to_expect_or_contact_shows_neither(client, sessions):
    sessions.program(name="Evening circle", slug="evening")
    page = client.get("/programs/evening").get_data(as_text=True)
    assert "What to expect" not in page and "mailto:" not in page and "Questions?" not in page


def test_a_session_across_the_clock_change_shows_each_end_in_its_own_offset(client, sessions, app):
    # 60 minutes from 01:30 on the night Berlin springs forward: 01:30 CET to 03:30 CEST. Written with
    # the start's abbreviation only ("01:30–03:30 CET") it read as two hours.
    program = sessions.program(name="Night circle", slug="night", timezone="Europe/Berlin")
    night = sessions.session(program, "Night shift debrief", datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
                             datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    for path in ("/programs/night", f"/programs/night/sessions/{night['id']}"):
        page = text_of(client.get(path))
        assert "01:30 CET–03:30 CEST" in page, path
