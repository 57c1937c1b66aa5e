"""Single sign-on against a real OpenID provider (panva's oidc-provider, started by the fixtures).

The person's browser is the Flask test client on Doc Box's side and a
``requests`` session at the provider (:mod:`support.oidc`); nothing of the
protocol is mocked: discovery, PKCE, the code exchange and the signed ID
token are the provider's and Authlib's own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import flask_migrate
import pytest
import sqlalchemy as sa

from docbox_sessions import MIGRATIONS, config, create_app
from docbox_sessions.models import Staff, db
from docbox_shared.settings import ConfigError, load
from support.oidc import SECRET, sign_in_at_provider, start_provider

PUBLIC_URL = "http://docbox.test"
CALLBACK = f"{PUBLIC_URL}/login/sso/callback"


@pytest.fixture(scope="module")
def provider():
    running = start_provider(None, [CALLBACK])
    yield running
    running.stop()


@pytest.fixture
def make_app(app_config, provider):
    apps = []

    def make(client_id="docbox", **overrides):
        app = create_app({**app_config, "PUBLIC_URL": PUBLIC_URL, "OIDC_ISSUER": provider.issuer,
                          "OIDC_CLIENT_ID": client_id, "OIDC_CLIENT_SECRET": SECRET, **overrides})
        with app.app_context():
            if not apps:
                flask_migrate.upgrade(directory=MIGRATIONS)
        runner = app.test_cli_runner()
        for email, role in (("organizer@example.org", "organizer"), ("gone@example.org", "facilitator")):
            runner.invoke(args=["staff", "add", email, "--role", role])
        runner.invoke(args=["staff", "deactivate", "gone@example.org"])
        apps.append(app)
        return app
    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _callback(client, login: str, next_path: str = "") -> str:
    """Starts the sign-in at Doc Box, signs in at the provider; the callback path Doc Box gets back."""
    start = client.get("/login/sso" + (f"?next={next_path}" if next_path else ""))
    assert start.status_code == 302, start.text
    authorize = start.headers["Location"]
    query = dict(part.split("=", 1) for part in urlsplit(authorize).query.split("&"))
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] and query["nonce"] and query["state"]
    back = sign_in_at_provider(authorize, login, CALLBACK)
    parts = urlsplit(back)
    return f"{parts.path}?{parts.query}"


def test_staff_signs_in_through_the_institution_and_returns_to_the_page_asked_for(make_app):
    app = make_app()
    client = app.test_client()
    login_page = client.get("/login")
    assert "Sign in with your institution's account" in login_page.text
    response = client.get(_callback(client, "organizer@example.org", next_path="/month"))
    assert response.status_code == 302 and response.headers["Location"] == "/month"
    assert "Signed in as organizer@example.org" in client.get("/month").text
    with app.app_context():
        member = db.session.scalar(sa.select(Staff).where(Staff.email == "organizer@example.org"))
        assert member.last_login_at is not None


def test_an_outreach_only_referrer_signs_in_through_the_institution_and_lands_on_the_way_to_outreach(make_app):
    app = make_app()
    added = app.test_cli_runner().invoke(args=["staff", "add", "quality@example.org", "--role", "none",
                                                "--outreach-role", "referrer"])
    assert added.exit_code == 0, added.output
    client = app.test_client()
    response = client.get(_callback(client, "quality@example.org"))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    start = client.get("/")
    assert start.status_code == 200 and "Go to the outreach pages" in start.text
    assert client.get("/stats").status_code == 403


def test_an_id_token_meant_for_another_application_is_refused(make_app):
    client = make_app(client_id="docbox-other-audience").test_client()
    response = client.get(_callback(client, "organizer@example.org"))
    assert response.status_code == 400
    assert "Single sign-on did not work" in response.text
    assert client.get("/upcoming").status_code == 302  # not signed in


def test_an_expired_id_token_is_refused(make_app):
    client = make_app(client_id="docbox-stale").test_client()
    response = client.get(_callback(client, "organizer@example.org"))
    assert response.status_code == 400 and "expired" in response.text
    assert client.get("/upcoming").status_code == 302


def test_a_replayed_answer_is_refused_with_or_without_the_old_cookie(make_app):
    app = make_app()
    client = app.test_client()
    callback = _callback(client, "organizer@example.org")
    copied_cookie = client.get_cookie("docbox_staff").value  # what a thief who saw the browser would hold
    assert client.get(callback).status_code == 302
    client.post("/logout", data={"csrf_token": _csrf(client)})
    replay = client.get(callback)  # the state was spent: this browser no longer holds it
    assert replay.status_code == 400 and "Single sign-on did not work" in replay.text
    thief = app.test_client()
    thief.set_cookie("docbox_staff", copied_cookie)
    replay = thief.get(callback)  # the state is in the copied cookie, but the provider spent the code
    assert replay.status_code == 400
    assert thief.get("/upcoming").status_code == 302


def _csrf(client) -> str:
    import re
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/upcoming").text).group(1)


@pytest.mark.parametrize("login, status, words", [
    ("gone@example.org", 403, "Your Doc Box account is switched off"),
    ("stranger@example.org", 403, "No Doc Box account for you"),
    ("unverified.organizer@example.org", 403, "Your email address is not confirmed"),
])
def test_a_switched_off_unknown_or_unverified_person_gets_a_page_saying_why(make_app, login, status, words):
    client = make_app().test_client()
    response = client.get(_callback(client, login))
    assert response.status_code == status and words in response.text
    assert response.mimetype == "text/html"
    assert client.get("/upcoming").status_code == 302


def test_with_passwords_off_only_single_sign_on_is_offered_and_passwords_are_refused(make_app):
    app = make_app(SSO_ONLY=True)
    runner = app.test_cli_runner()
    runner.invoke(args=["staff", "set-password", "organizer@example.org", "--password-stdin"],
                  input="a long passphrase for tests\n")
    client = app.test_client()
    page = client.get("/login")
    assert 'type="password"' not in page.text and "Forgot your password" not in page.text
    token = __import__("re").search(r'name="csrf_token" value="([^"]+)"', page.text)
    response = client.post("/login", data={"email": "organizer@example.org", "password": "a long passphrase for tests",
                                            "csrf_token": token.group(1) if token else ""})
    assert response.status_code in (400, 403)
    assert client.get("/upcoming").status_code == 302
    assert client.get("/login/forgot").status_code == 404
    assert client.get(_callback(client, "organizer@example.org")).status_code == 302


def test_a_provider_that_does_not_answer_gives_a_page_not_an_error(app_config, port):
    app = create_app({**app_config, "PUBLIC_URL": PUBLIC_URL, "OIDC_ISSUER": f"http://127.0.0.1:{port}",
                      "OIDC_CLIENT_ID": "docbox", "OIDC_CLIENT_SECRET": SECRET})
    response = app.test_client().get("/login/sso")
    assert response.status_code == 503 and "The sign-in service does not answer" in response.text


@pytest.mark.parametrize("environ, words", [
    ({"DOCBOX_OIDC_ISSUER": "http://idp.example.org", "DOCBOX_OIDC_CLIENT_ID": "docbox",
      "DOCBOX_OIDC_CLIENT_SECRET": "x" * 40}, "DOCBOX_OIDC_ISSUER must be an https:// URL"),
    ({"DOCBOX_OIDC_ISSUER": "https://idp.example.org"}, "DOCBOX_OIDC_CLIENT_SECRET is required"),
    ({"DOCBOX_SSO_ONLY": "true"}, "DOCBOX_SSO_ONLY=true needs single sign-on"),
])
def test_production_refuses_an_incomplete_or_plain_http_single_sign_on(environ, words):
    good = {"DOCBOX_ENV": "production", "DOCBOX_EVENT_SECRET": "kY3-u0Qv9ZrT1pWm7sLx2NbA5cHd8eFg4JiO6",
            "DOCBOX_SESSIONS_SECRET_KEY": "Rz8fW2qLm5tYv1XcN7bK3pJh9sDg4AeU0iO6",
            "DOCBOX_SESSIONS_URL": "https://docbox.example.org"}
    assert any(words in problem for problem in config.sso_problems(load(config.SETTINGS, {**good, **environ})))
    with pytest.raises(ConfigError, match=words):
        create_app({**load(config.SETTINGS, {**good, **environ}), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    fine = load(config.SETTINGS, {**good, "DOCBOX_OIDC_ISSUER": "https://idp.example.org",
                                  "DOCBOX_OIDC_CLIENT_ID": "docbox", "DOCBOX_OIDC_CLIENT_SECRET": "x" * 40,
                                  "DOCBOX_SSO_ONLY": "true"})
    assert config.sso_problems(fine) == [] and fine["SSO_ONLY"] is True
