"""Faculty pages of the notifications service, on the shared look of :mod:`docbox_shared.pages`.

Two kinds of page:

- the *subscribe form* (:mod:`.subscribe`): public, so it carries a CSRF
  token (Flask-WTF; the token lives in a small signed session cookie). It
  goes through the same operation as ``POST /api/v1/subscribers``: same
  limits, same answer whatever the address.
- the *link pages* (:mod:`.links`): confirm, manage, unsubscribe, reached from
  a message. The token in the URL is the credential (a capability): another
  site cannot know it, so these forms need no CSRF token, and the RFC 8058
  one-click POST that mail providers send to the unsubscribe URL must work
  without one anyway.

The JSON API (bearer tokens or nothing to steal) and the signed events inbox
are exempt from CSRF: no cookie authorises them.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect

from docbox_shared.pages import init_pages as init_shared_pages

csrf = CSRFProtect()


def init_pages(app: Flask, not_forms=()) -> None:
    """Cookie settings, CSRF (except for ``not_forms`` blueprints), the shared look and the page blueprints."""
    development = app.config.get("DOCBOX_ENV", "development") == "development"
    # Flask's defaults (cookie "session", no SameSite, no Secure) are replaced; the cookie holds only the
    # CSRF token and flash messages. Services on one host share cookies by name, hence our own name.
    app.config.update(SESSION_COOKIE_NAME="docbox_notifications", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=not development)
    if not app.config.get("SECRET_KEY"):
        # Derived from the newest DOCBOX_SECRET_KEYS entry, so there is no extra secret to configure;
        # a rotation only makes an open form ask to be sent again.
        app.config["SECRET_KEY"] = hmac.new(app.config["SECRET_KEYS"][0].encode(), b"docbox-notifications pages",
                                            hashlib.sha256).hexdigest()
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 24 * 3600)   # a form left open over lunch still works
    csrf.init_app(app)
    for blueprint in not_forms:
        csrf.exempt(blueprint)
    init_shared_pages(app, service_name="Doc Box reminders", home_url="/subscribe")

    from .links import bp as links
    from .subscribe import bp as subscribe
    csrf.exempt(links)
    app.register_blueprint(subscribe)
    app.register_blueprint(links)

    @app.context_processor
    def _nav():
        return {"calendar_sync_url": current_app.config.get("CALENDAR_SYNC_URL", "").rstrip("/")}
