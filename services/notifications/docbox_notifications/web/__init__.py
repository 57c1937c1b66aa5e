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

from docbox_shared.pages import init_pages as init_shared_pages
from flask import Flask, current_app


def init_pages(app: Flask, not_forms=()) -> None:
    """Cookie settings, CSRF (except for ``not_forms`` blueprints), the shared look and the page blueprints."""
    from .links import bp as links
    from .subscribe import bp as subscribe
    # The cookie holds only the CSRF token and flash messages; its key is derived from DOCBOX_SECRET_KEYS, so
    # there is no extra secret to configure. A form left open over lunch still works.
    init_shared_pages(app, service_name="Doc Box reminders", home_url="/subscribe", cookie_name="docbox_notifications",
                      cookie_label=b"docbox-notifications pages", csrf_exempt=(*not_forms, links),
                      csrf_time_limit=24 * 3600)
    app.register_blueprint(subscribe)
    app.register_blueprint(links)

    @app.context_processor
    def _nav():
        return {"calendar_sync_url": current_app.config.get("CALENDAR_SYNC_URL", "").rstrip("/")}
