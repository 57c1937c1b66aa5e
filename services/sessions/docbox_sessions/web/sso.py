"""Staff single sign-on through the institution's OpenID Connect provider.

Authlib's Flask client does the protocol: the discovery document
(``<issuer>/.well-known/openid-configuration``), the authorization code flow
with PKCE (S256), a ``state`` and a ``nonce`` kept in the signed session
cookie and checked on return (a state is removed once used, so a replayed
answer is refused), and the ID token's signature (the provider's published
keys), issuer, audience (our client id), expiry and nonce. Doc Box adds its
own rule on top: the token must say ``email_verified: true``, and the
verified email (from the ID token, or else from the UserInfo endpoint for
the same ``sub``) must belong to an active staff account. Anyone else gets a
page that says why, and no session. Authlib (with joserfc and cryptography,
about 10 MB resident) is imported only when single sign-on is set up.
"""

from __future__ import annotations

import logging

import requests
from flask import Flask, current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from docbox_shared.settings import ConfigError

from ..models import Staff, db
from .login import remember

log = logging.getLogger(__name__)
EXTENSION = "docbox_oidc"
LEEWAY_SECONDS = 60  # clock difference tolerated between the provider and us


def init_sso(app: Flask) -> None:
    """Registers the provider's client when DOCBOX_OIDC_ISSUER is set (one registry per app)."""
    from ..config import sso_problems
    problems = sso_problems(app.config)
    if problems:
        raise ConfigError("Doc Box cannot start:\n  " + "\n  ".join(problems))
    issuer = app.config.get("OIDC_ISSUER", "").rstrip("/")
    if not issuer:
        return
    from authlib.integrations.flask_client import OAuth
    client = OAuth(app).register(
        "oidc", client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "default_timeout": 10})
    app.extensions[EXTENSION] = client


def sso_enabled() -> bool:
    return EXTENSION in current_app.extensions


def password_login_enabled() -> bool:
    return not current_app.config.get("SSO_ONLY") or not sso_enabled()


def _refused(status: int, title: str, detail: str):
    db.session.rollback()
    session.pop("sso_next", None)
    return render_template("sessions/sso_refused.html", title=title, detail=detail), status


def _callback_url() -> str:
    return current_app.config.get("PUBLIC_URL", request.host_url).rstrip("/") + url_for("pages.sso_callback")


def sso_start():
    """Sends the browser to the provider's sign-in page."""
    from .blueprint import safe_next
    if not sso_enabled():
        return _refused(404, "Single sign-on is not set up", "Sign in with your email address and password.")
    from authlib.common.errors import AuthlibBaseError
    session["sso_next"] = safe_next(request.args.get("next", "")) or ""
    client = current_app.extensions[EXTENSION]
    try:
        return client.authorize_redirect(_callback_url())
    except (requests.RequestException, AuthlibBaseError, ValueError, KeyError) as exc:
        log.warning("OpenID provider unreachable at sign-in: %s", type(exc).__name__)
        return _refused(503, "The sign-in service does not answer",
                        "Doc Box could not reach your institution's sign-in service. Try again in a few minutes.")


def sso_callback():
    """The provider sends the browser back here with a code; the ID token decides who signs in."""
    if not sso_enabled():
        return _refused(404, "Single sign-on is not set up", "Sign in with your email address and password.")
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError
    client = current_app.extensions[EXTENSION]
    try:
        metadata = client.load_server_metadata()
        if metadata.get("issuer", "").rstrip("/") != current_app.config["OIDC_ISSUER"].rstrip("/"):
            raise ValueError("the discovery document names another issuer")
        # Explicit: Authlib checks the audience only when told to (else only through an optional "azp").
        claims_options = {"iss": {"essential": True, "values": [metadata["issuer"]]},
                          "aud": {"essential": True, "values": [current_app.config["OIDC_CLIENT_ID"]]}}
        token = client.authorize_access_token(leeway=LEEWAY_SECONDS, claims_options=claims_options)
    except requests.RequestException as exc:
        log.warning("OpenID provider unreachable at callback: %s", type(exc).__name__)
        return _refused(503, "The sign-in service does not answer",
                        "Doc Box could not reach your institution's sign-in service. Try again in a few minutes.")
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError) as exc:
        # The reason goes to the log by kind only: an error text may quote the token or the email.
        log.warning("single sign-on refused: %s", type(exc).__name__)
        return _refused(400, "Single sign-on did not work",
                        "The answer of the sign-in service could not be accepted (it was expired, meant for another "
                        "application, or already used). Start again from the sign-in page.")
    userinfo = token.get("userinfo")
    if not userinfo:
        log.warning("single sign-on refused: no ID token")
        return _refused(400, "Single sign-on did not work",
                        "The sign-in service did not say who you are. Start again from the sign-in page.")
    if "email" not in userinfo:
        # Providers that follow the spec strictly put scope claims in the UserInfo answer, not the ID token.
        try:
            extra = client.userinfo(token=token)
        except (requests.RequestException, AuthlibBaseError, ValueError) as exc:
            log.warning("OpenID provider's userinfo failed: %s", type(exc).__name__)
            return _refused(503, "The sign-in service does not answer",
                            "Doc Box could not read your email address from your institution's sign-in service. "
                            "Try again in a few minutes.")
        if extra.get("sub") == userinfo["sub"]:  # the same person the signed ID token names (OIDC Core 5.3.2)
            userinfo = {**extra, **userinfo}
    email = str(userinfo.get("email") or "").strip().lower()
    if not email or userinfo.get("email_verified") is not True:
        return _refused(403, "Your email address is not confirmed",
                        "The sign-in service does not vouch for your email address, so Doc Box cannot tell which "
                        "account is yours. Ask your institution's IT to confirm it.")
    staff = db.session.scalar(select(Staff).where(Staff.email == email))
    if staff is None:
        return _refused(403, "No Doc Box account for you",
                        f"You signed in as {email}, but Doc Box has no staff account with that address. "
                        "Ask a Doc Box admin to invite you.")
    if not staff.active:
        return _refused(403, "Your Doc Box account is switched off",
                        f"The account {email} has been switched off. Ask a Doc Box admin if you need it again.")
    next_path = session.get("sso_next") or ""
    remember(staff)
    flash(f"Signed in as {staff.email}.", "success")
    return redirect(next_path or url_for("pages.home"))
