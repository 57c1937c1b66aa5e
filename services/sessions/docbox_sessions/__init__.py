"""Doc Box sessions service: the source of truth of programs, sessions, series and counts."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate

from docbox_shared import database
from docbox_shared import web as shared_web  # not "web": that name is this package's pages (docbox_sessions.web)
from docbox_shared.api import Api, api_config

from . import config
from .models import db, outbox

MIGRATIONS = str(Path(__file__).parent / "migrations")
migrate = Migrate()


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    # Defaults, then the environment (read once), then overrides from tests.
    app.config.update(api_config("Doc Box sessions"))
    app.config.update(config.from_environment())
    app.config.update(test_config or {})
    shared_web.configure_logging(app.config["LOG_LEVEL"])
    # Extensions.
    database.configure(app)  # pooled connections checked before use, no parameters in errors
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    shared_web.init_app(app, db, "sessions")
    api = Api(app)
    # Blueprints.
    from .api import BLUEPRINTS
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    from .cli import register
    register(app)
    from .web import init_pages
    init_pages(app)  # staff pages: sign-in, CSRF, the shared look
    outbox.init_app(app)  # its gauges at /metrics, `flask relay`, `flask outbox retry-parked`
    return app
