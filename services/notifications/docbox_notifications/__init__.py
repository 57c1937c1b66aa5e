"""Doc Box notifications: opt-in email reminders and change notices for faculty.

It keeps its own copy of the calendar (from the sessions events), its
subscribers, and a table of messages to send; ``flask --app
docbox_notifications worker`` sends them. See :mod:`.schedule` for when a
message is due and :mod:`.delivery` for how it is sent exactly once (or, for
the one message in flight when a worker dies, at most twice with the same
Message-ID).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

from docbox_shared import database
from docbox_shared import web as shared_web
from docbox_shared.api import Api, api_config
from docbox_shared.inbox import events_blueprint

from . import config
from .models import Entry, ProcessedEvent, db

MIGRATIONS = str(Path(__file__).parent / "migrations")
migrate = Migrate()


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    # Defaults, then the environment (read once), then overrides from tests.
    app.config.update(api_config("Doc Box notifications"))
    app.config.update(config.from_environment())
    app.config.update(test_config or {})
    shared_web.configure_logging(app.config["LOG_LEVEL"])
    # Extensions.
    database.configure(app)  # pooled connections checked before use, no parameters in errors
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    shared_web.init_app(app, db, "notifications")
    api = Api(app)
    # Blueprints: the JSON API, the signed events inbox, the faculty pages (subscribe form, links in messages).
    from .api import BLUEPRINTS
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    from .schedule import on_entry_changed
    inbox = events_blueprint(db, Entry, ProcessedEvent, on_entry_changed)
    app.register_blueprint(inbox)
    from .web import init_pages
    init_pages(app, not_forms=(*BLUEPRINTS, inbox))
    from .cli import register
    register(app)
    _register_gauges(app)
    return app


def _register_gauges(app: Flask) -> None:
    """Worker queue depth and delivery failures on /metrics (counts only, never an address)."""
    from sqlalchemy import func, select

    from docbox_shared.metrics import gauge

    from .clock import now
    from .models import Delivery

    def count(*conditions):
        return lambda: db.session.scalar(select(func.count()).select_from(Delivery).where(*conditions))

    gauge(app, "docbox_mail_due", "Messages due now and not yet sent (the worker's queue).",
          lambda: count(Delivery.status == "pending", Delivery.due_at <= now())())
    gauge(app, "docbox_mail_pending", "Messages planned and not yet sent, due or not.", count(Delivery.status == "pending"))
    gauge(app, "docbox_mail_failed", "Messages given up after a day of temporary failures.", count(Delivery.status == "failed"))
    gauge(app, "docbox_mail_bounced", "Messages refused for good by the recipient's server.", count(Delivery.status == "bounced"))
