"""What browsers and calendar clients fetch from calendar_sync (no JSON here).

- :mod:`.feed`: ``GET /feeds/<token>.ics``, the capability URL calendar clients poll.
- :mod:`.pages`: the faculty pages, for people without an account: the open
  programs (``/``), one program's upcoming sessions (``/programs/<slug>``),
  and subscribing to a feed (``/subscribe``, then rotate, revoke, manage).
  They read only this service's replica of the calendar, so they keep working
  while the sessions service is down. They use the shared look of
  :mod:`docbox_shared.pages` and work without JavaScript.

Security of the pages: the forms carry a CSRF token (Flask-WTF) bound to a
signed session cookie (``docbox_calendar``: HttpOnly, SameSite=Lax, Secure
outside development). CSRF is checked only on the pages' blueprint: the events
inbox is signed and the JSON API takes bearer tokens or nothing, so a cookie
never authorises anything there. The cookie signing key is derived from
``DOCBOX_SECRET_KEYS`` (already required in production), so no new secret
has to be deployed.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from docbox_shared.pages import init_pages as init_shared_pages

csrf = CSRFProtect()

COOKIE_NAME = "docbox_calendar"  # one origin serves every service: cookie names must differ


def derived_key(secret: str) -> str:
    """The cookie-signing key made from one of the Fernet keys (never the key itself)."""
    return hmac.new(secret.encode(), b"docbox calendar_sync page cookies", hashlib.sha256).hexdigest()


def init_web(app: Flask) -> None:
    """Cookie settings, CSRF, the shared look, then the feed URL and the pages."""
    development = app.config.get("DOCBOX_ENV", "development") == "development"
    keys = [derived_key(k) for k in app.config["SECRET_KEYS"]]
    if not app.config.get("SECRET_KEY"):  # Flask's default is None; a test may pass its own
        app.config["SECRET_KEY"] = keys[0]
        app.config["SECRET_KEY_FALLBACKS"] = keys[1:]
    app.config.update(SESSION_COOKIE_NAME=COOKIE_NAME, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=not development)
    # A form may stay open a long while; the token lives as long as the browser session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Checked by the pages' blueprint only (see the module docstring).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    init_shared_pages(app, service_name="Doc Box calendar", home_url="/")
    from .feed import FastFeeds
    from .feed import bp as feed_bp
    from .pages import bp as pages_bp
    app.register_blueprint(feed_bp)
    app.register_blueprint(pages_bp)
    app.wsgi_app = FastFeeds(app, app.wsgi_app)  # outermost: stored feeds are answered before Flask
