"""What browsers and calendar clients fetch from calendar_sync (no JSON here).

- :mod:`.feed`: ``GET /feeds/<token>.ics``, the capability URL calendar clients poll.
- :mod:`.admin`: the admin pages (``/admin/targets``), for staff signed in on
  the sessions service (one sign-in for every service, :mod:`docbox_shared.staff`).
- :mod:`.pages`: the faculty pages, for people without an account: the open
  programs (``/``), one program's upcoming sessions (``/programs/<slug>``),
  and subscribing to a feed (``/subscribe``, then rotate, revoke, manage).
  They read only this service's replica of the calendar, so they keep working
  while the sessions service is down. They use the shared look of
  :mod:`docbox_shared.pages` and work without JavaScript.

Security of the pages: the forms carry a CSRF token (Flask-WTF) bound to a
signed session cookie (``docbox_calendar``, see :func:`docbox_shared.pages.init_pages`).
The events inbox is signed and the JSON API takes bearer tokens or nothing,
so a cookie never authorises anything there: they need no CSRF token. The
cookie signing key is derived from ``DOCBOX_SECRET_KEYS`` (already required
in production), so no new secret has to be deployed.
"""

from __future__ import annotations

from flask import Flask

from docbox_shared.pages import init_pages as init_shared_pages

COOKIE_NAME = "docbox_calendar"  # one origin serves every service: cookie names must differ


def init_web(app: Flask, not_forms=()) -> None:
    """Cookie settings, CSRF (except on the ``not_forms`` blueprints), the shared look, the feed URL, the pages."""
    from .admin import bp as admin_bp
    from .feed import FastFeeds
    from .feed import bp as feed_bp
    from .pages import bp as pages_bp
    # A form may stay open a long while; the token lives as long as the browser session.
    init_shared_pages(app, service_name="Doc Box calendar", home_url="/", cookie_name=COOKIE_NAME,
                      cookie_label=b"docbox calendar_sync page cookies", csrf_exempt=(*not_forms, feed_bp))
    app.register_blueprint(feed_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(admin_bp)
    app.wsgi_app = FastFeeds(app, app.wsgi_app)  # outermost: stored feeds are answered before Flask
