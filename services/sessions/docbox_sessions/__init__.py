"""Doc Box sessions service: the source of truth of programs, sessions, series and counts."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from docbox_shared.frame import service_app

from . import config
from .models import db

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    # The frame: settings, logs, database, migrations, API, errors, health and metrics.
    from .api import BLUEPRINTS
    app = service_app(__name__, "sessions", config.SETTINGS, db, MIGRATIONS, test_config,
                      api_title="Doc Box sessions", api_blueprints=BLUEPRINTS)
    # Then what is this service's own: commands, staff pages, gauges.
    from .cli import register
    register(app)
    from .web import init_pages
    init_pages(app)  # staff pages: sign-in, CSRF, the shared look
    _register_gauges(app)
    return app


def _register_gauges(app: Flask) -> None:
    from docbox_shared.metrics import gauges

    from . import relay

    def outbox() -> dict:
        status = relay.status()  # one computation a scrape serves all four gauges
        return {"docbox_outbox_pending": status["pending"], "docbox_outbox_parked": status["parked"],
                "docbox_outbox_oldest_pending_seconds": status["oldest_pending_age_seconds"] or 0,
                "docbox_outbox_failing_subscribers": sum(1 for s in status["subscribers"] if s["failing"])}

    gauges(app, outbox, {
        "docbox_outbox_pending": "Event deliveries not yet acknowledged.",
        "docbox_outbox_parked": "Event deliveries a subscriber refused as invalid, kept but not retried.",
        "docbox_outbox_oldest_pending_seconds": "Age of the oldest undelivered event.",
        "docbox_outbox_failing_subscribers": "Subscribers whose last delivery failed.",
    })
