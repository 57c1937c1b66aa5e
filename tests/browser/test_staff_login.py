"""Staff sign-in, its limits, CSRF, cookie flags and roles, through the app's test client (no browser needed).

These are page behaviours a person meets (messages, redirects, refusals) that
need no JavaScript, so Flask's test client is enough and fast.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from docbox_sessions import create_app

PASSWORD = "a long passphrase for tests"  # as tests/browser/conftest.py sets it


def _token(client, url="/login") -> str:
    page = client.get(url)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF field on {url}"
    return match.group(1)


def _sign_in(client, email, password=PASSWORD, address="192.0.2.10"):
    token = _token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def client(app, staff):
    return app.test_client()


def test_wrong_password_is_refused_next_to_the_field_and_the_email_is_kept(client, staff):
    response = _sign_in(client, staff["organizer"], "not the password")
    assert response.status_code == 401
    assert "The email address or the password is not right." in response.text
    assert f'value="{staff["organizer"]}"' in response.text
    assert 'id="password-error"' in response.text
    assert client.get("/upcoming").status_code == 302


def test_right_password_signs_in_and_sign_out_ends_the_session(client, staff):
    response = _sign_in(client, staff["organizer"].upper())  # emails are not case-sensitive
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/upcoming").status_code == 200
    response = client.post("/logout", data={"csrf_token": _token(client, "/upcoming")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/upcoming").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(client, staff):
    response = client.get("/month?month=2027-03")
    assert response.headers["Location"] == "/login?next=/month?month%3D2027-03"
    token = _token(client)
    response = client.post("/login", data={"email": staff["organizer"], "password": PASSWORD, "csrf_token": token,
                                           "next": "/month?month=2027-03"})
    assert response.headers["Location"] == "/month?month=2027-03"
    client.post("/logout", data={"csrf_token": _token(client, "/upcoming")})
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post("/login", data={"email": staff["organizer"], "password": PASSWORD,
                                               "csrf_token": _token(client), "next": evil})
        assert response.headers["Location"] == "/", evil
        client.post("/logout", data={"csrf_token": _token(client, "/upcoming")})


def test_an_account_is_locked_after_five_failures_from_any_address_until_the_window_passes(app, client, staff, clock):
    for attempt in range(5):
        assert _sign_in(client, staff["organizer"], "guess", address=f"198.51.100.{attempt}").status_code == 401
    response = _sign_in(client, staff["organizer"], address="203.0.113.9")  # right password, new address
    assert response.status_code == 429
    assert "Too many failed sign-ins. Wait 15 minutes" in response.text
    assert _sign_in(app.test_client(), staff["viewer"], address="203.0.113.9").status_code == 302  # others are not
    clock.advance(minutes=16)
    assert _sign_in(client, staff["organizer"], address="203.0.113.9").status_code == 302


def test_failures_from_one_hospital_address_slow_colleagues_by_seconds_never_lock_them_out(app, client, staff, clock):
    hospital = "198.51.100.7"
    for attempt in range(20):
        assert _sign_in(client, f"nobody{attempt}@example.org", "guess", address=hospital).status_code == 401
    colleague = app.test_client()
    slowed = _sign_in(colleague, staff["organizer"], address=hospital)
    assert slowed.status_code == 429 and 1 <= int(slowed.headers["Retry-After"]) <= 30
    assert "Wait 1 seconds" in slowed.text or "Wait 2 seconds" in slowed.text
    clock.advance(seconds=int(slowed.headers["Retry-After"]))
    assert _sign_in(colleague, staff["organizer"], address=hospital).status_code == 302
    # Someone behind the same address keeps guessing, for an hour: the wait grows, to 30 seconds at most.
    for minute in range(60):
        clock.advance(seconds=31)
        assert _sign_in(client, f"nobody{minute}@example.org", "guess", address=hospital).status_code == 401
    slowed = _sign_in(app.test_client(), staff["viewer"], address=hospital)
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) <= 30
    clock.advance(seconds=30)
    assert _sign_in(app.test_client(), staff["viewer"], address=hospital).status_code == 302
    assert _sign_in(app.test_client(), staff["facilitator"], address="198.51.100.8").status_code == 302


def test_login_attempts_hold_neither_emails_nor_addresses(app, client, staff):
    _sign_in(client, staff["organizer"], "guess", address="198.51.100.77")
    with app.app_context():
        from docbox_sessions.models import db
        rows = db.session.execute(sa.text("SELECT * FROM login_attempts")).all()
    assert len(rows) == 2
    text = repr(rows)
    assert "example.org" not in text and "198.51.100" not in text and "organizer" not in text
    assert all(re.fullmatch(r"[0-9a-f]{64}", row.key_hash) for row in rows)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, staff, table_counts):
    _sign_in(client, staff["organizer"])
    before = table_counts()
    response = client.post("/programs/new", data={"name": "Sneaky", "timezone": "UTC"})
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert response.mimetype == "text/html"
    assert table_counts() == before
    assert client.post("/login", data={"email": staff["organizer"], "password": PASSWORD}).status_code == 400


def test_the_json_api_keeps_bearer_tokens_and_ignores_the_cookie(app, client, staff):
    _sign_in(client, staff["organizer"])
    assert client.get("/api/v1/programs").status_code == 401  # the cookie alone is not an API credential
    token = app.test_cli_runner().invoke(args=["staff", "token", staff["organizer"]]).output.strip().splitlines()[-1]
    response = client.post("/api/v1/programs", json={"name": "Residents", "timezone": "UTC"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json  # no CSRF token needed for bearer-token calls


@pytest.mark.parametrize("env, secure", [("development", False), ("production", True)])
def test_the_session_cookie_is_httponly_samesite_and_secure_outside_development(make_database_url, env, secure):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database_url("cookie"), "DOCBOX_ENV": env,
                      "EVENT_SECRETS": ["x"], "SECRET_KEY": "k"})
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert cookie.startswith("docbox_staff=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


def test_a_new_password_signs_out_other_browsers(app, client, staff):
    _sign_in(client, staff["facilitator"])
    assert client.get("/my").status_code == 200
    out = app.test_cli_runner().invoke(args=["staff", "set-password", staff["facilitator"], "--password-stdin"],
                                       input="another long passphrase\n")
    assert out.exit_code == 0, out.output
    assert client.get("/my").status_code == 302
    assert _sign_in(client, staff["facilitator"], "another long passphrase").status_code == 302


def _forged_cookie(app, staff_id: int, stamp: str) -> str:
    """What someone holding the signing key (weak, leaked) can make."""
    return app.session_interface.get_signing_serializer(app).dumps({"staff_id": staff_id, "stamp": stamp,
                                                                     "_permanent": True})


def test_a_leaked_signing_key_cannot_forge_the_cookie_of_an_admin_without_a_password(app):
    import hashlib
    out = app.test_cli_runner().invoke(args=["staff", "add", "head@example.org", "--role", "admin"])
    assert out.exit_code == 0, out.output
    with app.app_context():
        from docbox_sessions.models import Staff, db
        admin = db.session.scalar(sa.select(Staff).where(Staff.email == "head@example.org"))
        admin_id, stamp = admin.id, admin.login_stamp
    assert re.fullmatch(r"[0-9a-f]{32}", stamp)  # 128 random bits, not derived from anything
    client = app.test_client()
    for guess in (hashlib.sha256(b"").hexdigest()[:16], "", "None", hashlib.sha256(b"").hexdigest()):
        client.set_cookie("docbox_staff", _forged_cookie(app, admin_id, guess))
        assert client.get("/upcoming").status_code == 302, guess  # back to the sign-in page


def test_deactivating_a_staff_member_signs_out_every_browser_and_revokes_their_tokens(app, client, staff):
    _sign_in(client, staff["organizer"])
    assert client.get("/upcoming").status_code == 200
    with client.session_transaction() as cookie:
        stolen = dict(cookie)
    out = app.test_cli_runner().invoke(args=["staff", "deactivate", staff["organizer"]])
    assert out.exit_code == 0, out.output
    assert client.get("/upcoming").status_code == 302
    thief = app.test_client()
    thief.set_cookie("docbox_staff", _forged_cookie(app, stolen["staff_id"], stolen["stamp"]))
    assert thief.get("/upcoming").status_code == 302  # an old cookie copied elsewhere is dead too
    assert _sign_in(app.test_client(), staff["organizer"]).status_code == 401
    with app.app_context():
        from docbox_sessions.models import ApiToken, Staff, db
        member = db.session.scalar(sa.select(Staff).where(Staff.email == staff["organizer"]))
        assert all(t.revoked_at for t in db.session.scalars(sa.select(ApiToken).where(ApiToken.staff_id == member.id)))


def test_a_new_password_kills_a_copied_cookie_too(app, client, staff):
    _sign_in(client, staff["viewer"])
    with client.session_transaction() as cookie:
        stolen = dict(cookie)
    app.test_cli_runner().invoke(args=["staff", "set-password", staff["viewer"], "--password-stdin"],
                                 input="another long passphrase\n")
    thief = app.test_client()
    thief.set_cookie("docbox_staff", _forged_cookie(app, stolen["staff_id"], stolen["stamp"]))
    assert thief.get("/stats").status_code == 302


def test_set_password_prompts_twice_hidden_and_refuses_mismatches_and_short_ones(app, staff):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["staff", "set-password", staff["viewer"]], input="first passphrase\nsecond passphrase\n"
                        "first passphrase\nfirst passphrase\n")
    assert out.exit_code == 0, out.output
    assert "first passphrase" not in out.output  # hidden input is not echoed
    assert "do not match" in out.output.lower()
    out = runner.invoke(args=["staff", "set-password", staff["viewer"], "--password-stdin"], input="short\n")
    assert out.exit_code != 0 and "at least 10 characters" in out.output
    out = runner.invoke(args=["staff", "set-password", "nobody@example.org", "--password-stdin"], input="x" * 12 + "\n")
    assert out.exit_code != 0 and "no staff member" in out.output
    client = app.test_client()
    assert _sign_in(client, staff["viewer"], "first passphrase").status_code == 302


# The programs list is for every role (subscriber numbers, read only); creating and editing are not.
@pytest.mark.parametrize("role, url", [("viewer", "/programs/new"), ("viewer", "/my"), ("facilitator", "/series/new"),
                                       ("facilitator", "/programs/new")])
def test_pages_refuse_roles_they_are_not_for_with_a_page(client, staff, role, url):
    _sign_in(client, staff[role])
    response = client.get(url)
    assert response.status_code == 403
    assert response.mimetype == "text/html" and "Not allowed for your role" in response.text


def test_an_unknown_occurrence_is_a_not_found_page(client, staff):
    _sign_in(client, staff["organizer"])
    response = client.get("/occurrences/nope_20270101")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "No occurrence" in response.text


def test_bad_session_input_is_shown_next_to_each_field_and_kept(app, client, staff):
    _sign_in(client, staff["organizer"])
    client.post("/programs/new", data={"name": "Doc Box", "timezone": "America/New_York", "default_format": "virtual",
                                       "csrf_token": _token(client, "/programs/new")})
    page = client.get("/sessions/new")
    program_id = re.search(r'<option value="([0-9a-f]{32})" selected>Doc Box', page.text).group(1)
    response = client.post("/sessions/new", data={
        "program_id": program_id, "title": "After a lawsuit", "format": "virtual", "video_url": "http://meet.example.org/x",
        "date": "2027-02-31", "start_time": "19:00", "end_time": "7pm", "csrf_token": _token(client, "/sessions/new")})
    assert response.status_code == 422
    assert re.search(r'id="date-error">.*Enter a real date', response.text)
    assert re.search(r'id="end_time-error">.*Enter a time like 19:00', response.text)
    assert 'value="After a lawsuit"' in response.text and 'value="2027-02-31"' in response.text
    response = client.post("/sessions/new", data={
        "program_id": program_id, "title": "After a lawsuit", "format": "virtual", "video_url": "http://meet.example.org/x",
        "date": "2027-02-17", "start_time": "19:00", "end_time": "20:30", "csrf_token": _token(client, "/sessions/new")})
    assert response.status_code == 422
    assert re.search(r'id="video_url-error">.*must be an https:// URL', response.text)
    assert 'value="http://meet.example.org/x"' in response.text
    response = client.post("/sessions/new", data={
        "program_id": program_id, "title": "After a lawsuit", "format": "virtual", "video_url": "https://meet.example.org/x",
        "date": "2027-02-17", "start_time": "19:00", "end_time": "20:30", "csrf_token": _token(client, "/sessions/new")})
    assert response.status_code == 302
    assert "Session planned: After a lawsuit, Wed 17 Feb 2027, 19:00–20:30 EST." in client.get(response.headers["Location"]).text
