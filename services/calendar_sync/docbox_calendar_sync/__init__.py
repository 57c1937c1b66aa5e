"""Doc Box calendar_sync: iCal feeds and CalDAV push from its own copy of the calendar.

It keeps a replica of the sessions service's programs, one-off sessions and
series (built from signed events), serves capability-URL iCal feeds of it, and
a worker pushes every change to the CalDAV calendars admins registered. Feeds
keep answering while the sessions service is down.

Modules: ``config`` (settings), ``models`` (tables), ``operations`` (use
cases), ``ical`` (the renderer), ``feeds`` (stored feed bodies and their validators),
``caldav`` + ``push`` (the worker), ``api/`` (JSON API; who is staff is asked
of the sessions service through :mod:`docbox_shared.staff`), ``web/`` (the feed
URL and the faculty pages), ``cli``. CalDAV passwords are encrypted at rest
with :mod:`docbox_shared.keys`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from docbox_shared.frame import service_app
from docbox_shared.keys import check_fernet_keys

from . import config
from .models import db, inbox

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    # The frame: settings, logs, database, migrations, API, errors, health and metrics.
    from .api import BLUEPRINTS
    app = service_app(__name__, "calendar_sync", config.SETTINGS, db, MIGRATIONS, test_config,
                      api_title="Doc Box calendar_sync", api_blueprints=BLUEPRINTS)
    check_fernet_keys(app.config["SECRET_KEYS"])  # they encrypt CalDAV passwords
    # Then what is this service's own: the signed events inbox, the feed URL and pages, commands, gauges.
    from . import operations
    events = inbox.init_app(app, operations.on_change)
    from docbox_shared.counts import counts_blueprint
    counts = counts_blueprint(operations.feeds_by_program)  # signed, numbers only: for sessions' programs page
    app.register_blueprint(counts)
    from .web import init_web
    init_web(app, not_forms=(*BLUEPRINTS, events, counts))
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
