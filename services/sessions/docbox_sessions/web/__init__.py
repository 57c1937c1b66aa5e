"""Server-rendered pages of the sessions service, for staff.

Who sees what: organizers and admins (*planners*) plan programs, one-off
sessions and series, move or cancel one occurrence, end a series and see
exact attendance; facilitators see "my sessions" and record counts for the
sessions they run; viewers see suppressed statistics. Pages work without
JavaScript, with the shared look of :mod:`docbox_shared.pages`.

Security: staff sign in with email and password (:mod:`.login`) or through
the institution's OpenID provider (:mod:`.sso`); the signed
session cookie is HttpOnly, SameSite=Lax and Secure outside development;
every form carries a CSRF token (Flask-WTF). The JSON API keeps its bearer
tokens: its blueprints are exempt from CSRF, and the cookie is read only for
these pages and for ``GET /api/v1/me`` (a read: who is signed in, which the
other services ask to let the same sign-in into their staff pages), so a
cookie never authorises an API change.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from docbox_shared.pages import init_pages as init_shared_pages
from docbox_shared.staff import STAFF_COOKIE


def init_pages(app: Flask) -> None:
    """Cookie settings, CSRF, the shared look and the pages blueprint."""
    app.config.setdefault("LOGIN_WINDOW_MINUTES", 15)
    app.config.setdefault("LOGIN_MAX_PER_ACCOUNT", 5)
    app.config.setdefault("LOGIN_MAX_PER_ADDRESS", 20)      # then each attempt from it waits 1, 2, 4 ... seconds
    app.config.setdefault("LOGIN_ADDRESS_MAX_DELAY", 30)    # ... at most this many after the last failure
    from ..api import BLUEPRINTS
    # The cookie key is DOCBOX_SESSIONS_SECRET_KEY; CSRF tokens live as long as the session (planning takes a
    # while); the API's bearer tokens need no CSRF (no cookie authorises them).
    # The page cookie is the suite's one staff sign-in: other services forward it to GET /api/v1/me
    # (docbox_shared.staff), the one API call a cookie answers (a read, who is signed in).
    init_shared_pages(app, service_name="Doc Box staff", home_url="/", cookie_name=STAFF_COOKIE,
                      csrf_exempt=BLUEPRINTS, lifetime=timedelta(hours=12))
    from .passwords import init_app as init_passwords
    init_passwords(app)  # Argon2id at its default cost (tests may name a cheap one; production refuses it)
    from .blueprint import bp
    app.register_blueprint(bp)
    from .sso import init_sso
    init_sso(app)  # the OpenID provider's client, when DOCBOX_OIDC_ISSUER is set
