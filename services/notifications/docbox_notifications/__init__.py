"""Doc Box notifications: opt-in email reminders and change notices for faculty.

It keeps its own copy of the calendar (from the sessions events), its
subscribers, and a table of messages to send; ``flask --app
docbox_notifications worker`` sends them. See :mod:`.schedule` for when a
message is due and :mod:`.delivery` for how it is sent exactly once (or, for
the message in flight on each SMTP connection when a worker dies, at most
twice with the same Message-ID).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from docbox_shared.frame import service_app

from . import config
from .models import db, inbox

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    # The frame: settings, logs, database, migrations, API, errors, health and metrics.
    from .api import BLUEPRINTS
    app = service_app(__name__, "notifications", config.SETTINGS, db, MIGRATIONS, test_config,
                      api_title="Doc Box notifications", api_blueprints=BLUEPRINTS)
    # Then what is this service's own: the signed events inbox, the faculty pages (subscribe form, links in
    # messages), commands, gauges.
    from .schedule import on_entry_changed
    events = inbox.init_app(app, on_entry_changed)
    from docbox_shared.counts import MAIL_PATH, counts_blueprint

    from .delivery import mail_counts
    from .operations import subscriptions_by_program
    counts = counts_blueprint(subscriptions_by_program)  # signed, numbers only: for sessions' programs page
    mail = counts_blueprint(mail_counts, MAIL_PATH)      # signed, numbers only: for sessions' health page
    app.register_blueprint(counts)
    app.register_blueprint(mail)
    from .web import init_pages
    init_pages(app, not_forms=(*BLUEPRINTS, events, counts, mail))
    from .cli import register
    register(app)
    _register_gauges(app)
    return app


def _register_gauges(app: Flask) -> None:
    """Worker queue depth and delivery failures on /metrics (counts only, never an address)."""
    from .delivery import mail_queue

    mail_queue().register_gauges(app)
