"""The CalDAV target admin pages, against real CalDAV servers with authentication.

Radicale (HTTP Basic over plain HTTP) and Xandikos (HTTP Basic over TLS with a
self-signed certificate, which it requires): an admin finds the account's
calendars, tests the connection, adds a target, sees its state, pauses and
resumes it, and rotates its password. What the server answered is shown in
words. The admin is signed in with the suite's sign-in cookie, which the
sessions stand-in of conftest.py knows.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest

from docbox_calendar_sync import push
from docbox_calendar_sync.models import CaldavTarget, db

from .conftest import STAFF_COOKIES

UTC = timezone.utc
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(params=["radicale", "xandikos_auth"])
def dav(request, app):
    """Each test against Radicale and against Xandikos, both asking for a password."""
    server = request.getfixturevalue(request.param)
    app.config["CALDAV_VERIFY_TLS"] = False  # Xandikos' certificate is self-signed (the TLS test turns it on)
    return server


@pytest.fixture
def admin(client):
    client.set_cookie("docbox_staff", STAFF_COOKIES["admin"])
    return client


def post(client, path, data, page="/admin/targets/new"):
    token = CSRF.search(client.get(page).text).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def account(dav, **changes):
    return {"server_url": dav.base + "/", "username": dav.username, "password": dav.password, **changes}


def test_an_admin_finds_the_calendars_tests_the_connection_and_adds_a_target(admin, app, sessions, dav, clock):
    program = sessions.program("Doc Box")
    sessions.session(program, "Debrief", datetime(2026, 3, 2, 17, tzinfo=UTC), datetime(2026, 3, 2, 18, tzinfo=UTC))
    found = post(admin, "/admin/targets/new", {**account(dav), "action": "find"})
    assert found.status_code == 200, text(found)
    assert "Connected. The server lists" in text(found) and dav.calendar_url in found.text
    assert dav.password not in found.text  # sealed, never sent back in clear
    sealed = re.search(r'name="sealed" value="([^"]+)"', found.text).group(1)
    listed = re.findall(r'name="found" value="([^"]+)"', found.text)

    step = {"server_url": dav.base + "/", "username": dav.username, "password": "", "sealed": sealed,
            "found": listed, "calendar_url": dav.calendar_url}
    tested = post(admin, "/admin/targets/new", {**step, "action": "test"})
    assert tested.status_code == 200 and "Connected: the server accepted the account" in text(tested)

    added = post(admin, "/admin/targets/new", {**step, "action": "add", "name": "Department calendar",
                                               "programs": [program["id"]]})
    assert added.status_code == 303
    page = admin.get(added.headers["Location"])
    assert "Department calendar" in page.text and "added" in text(page)
    assert "Changes waiting 1" in text(page)

    with app.app_context():
        push.run_pass()
    assert len(dav.objects()) == 1  # the worker pushed the session with the stored password
    listing = text(admin.get("/admin/targets"))
    assert 'href="http://127.0.0.1:5001/login"' in admin.get("/admin/targets").text  # back to the staff pages
    assert "Department calendar" in listing and "Up to date" in listing and "2026-02-20 12:00 UTC" in listing


@pytest.mark.parametrize("change, words", [
    ({"password": "wrong-password"}, "refused the username or password (401 Unauthorized)"),
    ({"server_url": "http://127.0.0.1:9/"}, "Nothing answers at this address and port (connection refused)"),
    ({"server_url": "http://no-such-host.invalid/"}, "No server has this name"),
])
def test_finding_calendars_says_what_went_wrong_in_words(admin, dav, change, words):
    answer = post(admin, "/admin/targets/new", {**account(dav, **change), "action": "find"})
    assert answer.status_code == 422 and words in text(answer)
    with admin.application.app_context():
        assert db.session.query(CaldavTarget).count() == 0


def test_a_calendar_that_is_not_there_is_not_added(admin, app, sessions, dav):
    program = sessions.program("Doc Box")
    answer = post(admin, "/admin/targets/new", {**account(dav), "action": "add", "name": "Nope",
                                                "calendar_url": dav.base + "/no/such/calendar/",
                                                "programs": [program["id"]]})
    assert answer.status_code == 422 and "Not added:" in text(answer)
    assert re.search(r"404 Not Found|403 Forbidden|no calendar at this address", text(answer))
    with app.app_context():
        assert db.session.query(CaldavTarget).count() == 0


def test_a_self_signed_certificate_is_reported_when_certificates_are_checked(admin, app, xandikos_auth):
    app.config["CALDAV_VERIFY_TLS"] = True
    answer = post(admin, "/admin/targets/new", {**account(xandikos_auth), "action": "find"})
    assert answer.status_code == 422
    assert "The server's TLS certificate is not trusted (self-signed certificate)" in text(answer)


def _target(app, dav, program_id) -> str:
    from docbox_calendar_sync import operations
    with app.app_context():
        return operations.create_target(name="Team", server_url=dav.base + "/", calendar_url=dav.calendar_url,
                                        username=dav.username, password=dav.password, program_ids=[program_id]).id


def test_pausing_keeps_changes_waiting_and_resuming_sends_them(admin, app, sessions, dav):
    program = sessions.program("Doc Box")
    target = _target(app, dav, program["id"])
    page = f"/admin/targets/{target}"
    assert post(admin, f"{page}/pause", {}, page=page).status_code == 303
    sessions.session(program, "Debrief", datetime(2026, 3, 2, 17, tzinfo=UTC), datetime(2026, 3, 2, 18, tzinfo=UTC))
    with app.app_context():
        push.run_pass()
    assert dav.objects() == {}
    shown = text(admin.get(page))
    assert "Paused since 2026-02-20 12:00 UTC" in shown and "Changes waiting 1" in shown
    listing = text(admin.get("/admin/targets"))
    assert "Paused" in listing and "1 change waiting, 0 targets with an error, 1 paused" in listing
    assert "resume the target when its server is ready" in listing
    assert post(admin, f"{page}/resume", {}, page=page).status_code == 303
    with app.app_context():
        push.run_pass()
    assert len(dav.objects()) == 1 and "Changes waiting 0" in text(admin.get(page))


def test_testing_a_target_and_rotating_its_password(admin, app, sessions, dav):
    program = sessions.program("Doc Box")
    target = _target(app, dav, program["id"])
    page = f"/admin/targets/{target}"
    assert "Connected: the server accepted" in text(post(admin, f"{page}/test", {}, page=page))
    with app.app_context():
        db.session.get(CaldavTarget, target).last_error = "PUT answered 401: check the username and password"
        db.session.commit()
    listing = text(admin.get("/admin/targets"))
    assert "1 target with an error" in listing and "A wrong password: change it there" in listing
    refused = post(admin, f"{page}/password", {"new_password": "not-the-password"}, page=page)
    assert refused.status_code == 422 and "Not changed: The server refused the username or password" in text(refused)
    with app.app_context():
        from docbox_shared import keys
        assert keys.decrypt(db.session.get(CaldavTarget, target).password_encrypted) == dav.password
    changed = post(admin, f"{page}/password", {"new_password": dav.password}, page=page)
    assert changed.status_code == 303 and "Password changed" in text(admin.get(page))


@pytest.mark.parametrize("cookie, status", [(None, 303), ("organizer", 403), ("forged-cookie", 303)])
def test_only_signed_in_admins_open_the_target_pages(client, cookie, status):
    if cookie:
        client.set_cookie("docbox_staff", STAFF_COOKIES.get(cookie, cookie))
    for path in ("/admin/targets", "/admin/targets/new"):
        answer = client.get(path)
        assert answer.status_code == status
        if status == 303:
            assert answer.headers["Location"].startswith("http://127.0.0.1:5001/login?next=")
    assert client.post("/admin/targets/x/pause").status_code in (400, 303, 403)  # never done without a form


def test_a_target_whose_server_came_back_is_sent_to_at_once_after_a_good_test(admin, app, sessions, dav, clock):
    """The server was down for a while: the worker waits up to an hour between tries. Once the admin's test
    reaches it, what waited goes out on the next pass instead of at the end of that wait."""
    program = sessions.program("Doc Box")
    target = _target(app, dav, program["id"])
    sessions.session(program, "Debrief", datetime(2026, 3, 2, 17, tzinfo=UTC), datetime(2026, 3, 2, 18, tzinfo=UTC))
    page = f"/admin/targets/{target}"
    with app.app_context():  # what the worker records after its tenth refused connection
        row = db.session.get(CaldavTarget, target)
        row.failures, row.retry_at = 10, clock() + push.backoff(10)
        row.last_error, row.last_error_at = "Connection refused: nothing answers at this address", clock()
        db.session.commit()
    assert "Retrying at" in text(admin.get(page))
    tested = text(post(admin, f"{page}/test", {}, page=page))
    assert "Connected: the server accepted" in tested and "What waits goes out now" in tested
    assert "Retrying at" not in tested
    with app.app_context():
        push.run_pass()
    assert len(dav.objects()) == 1


def test_removing_a_target_asks_first(admin, app, sessions, dav):
    target = _target(app, dav, sessions.program("Doc Box")["id"])
    page = f"/admin/targets/{target}"
    asked = admin.get(f"{page}/delete")
    assert asked.status_code == 200 and "Remove \u201cTeam\u201d?" in text(asked)
    assert 'href="http://127.0.0.1:5001/logout"' in asked.text  # signing out of every service, from here too
    assert "Team" in text(admin.get("/admin/targets"))  # nothing removed by asking
    removed = post(admin, f"{page}/delete", {}, page=f"{page}/delete")
    assert removed.status_code == 303 and "No CalDAV target yet" in text(admin.get("/admin/targets"))
