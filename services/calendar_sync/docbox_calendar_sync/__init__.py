"""Doc Box calendar_sync: iCal feeds and CalDAV push from its own copy of the calendar.

It keeps a replica of the sessions service's programs, one-off sessions and
series (built from signed events), serves capability-URL iCal feeds of it, and
a worker pushes every change to the CalDAV calendars admins registered. Feeds
keep answering while the sessions service is down.

Modules: ``config`` (settings), ``models`` (tables), ``operations`` (use
cases), ``ical`` (the renderer), ``feeds`` (stored feed bodies and their validators),
``caldav`` + ``push`` (the worker), ``staff`` (bearer tokens), ``crypto``
(passwords at rest), ``api/`` (JSON API), ``web/`` (the feed URL and the
faculty pages), ``cli``.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_migrate import Migrate

from docbox_shared import database, settings
from docbox_shared import web as shared_web

from . import config, crypto
from .models import db, inbox

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
migrate = Migrate()


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    # Defaults from the environment, read once; tests pass their own on top.
    app.config.from_mapping(settings.load(config.SETTINGS))
    app.config.update(test_config or {})
    _check(app)
    if not test_config:
        shared_web.configure_logging(app.config["LOG_LEVEL"])
    # Extensions.
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    shared_web.init_app(app, db, "calendar_sync")
    # Blueprints: the signed events inbox, the JSON API, the feed URL and the pages; then CLI commands.
    from . import operations
    inbox.init_app(app, operations.on_change)
    from . import api
    api.init_app(app)
    from .web import init_web
    init_web(app)
    from . import cli
    cli.init_app(app)
    _register_gauges(app)
    return app


def _register_gauges(app: Flask) -> None:
    from sqlalchemy import func, select

    from docbox_shared.metrics import gauge

    from .models import CaldavTarget, PushConflict, PushItem

    def count(statement):
        return lambda: db.session.scalar(statement)

    gauge(app, "docbox_caldav_pending_pushes", "Entry changes not yet written to a CalDAV target.",
          count(select(func.count()).select_from(PushItem).where(PushItem.wanted_seq > PushItem.pushed_seq)))
    gauge(app, "docbox_caldav_failing_targets", "CalDAV targets in backoff after an error.",
          count(select(func.count()).select_from(CaldavTarget).where(CaldavTarget.failures > 0)))
    gauge(app, "docbox_caldav_conflicts", "Remote edits or deletions Doc Box has overwritten.",
          count(select(func.count()).select_from(PushConflict)))


def _check(app: Flask) -> None:
    crypto.check_keys(app.config["SECRET_KEYS"])
    database.configure(app)  # pooled connections checked before use, no parameters in errors
