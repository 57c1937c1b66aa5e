"""Doc Box sessions service: the source of truth of programs, sessions, series and counts."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from docbox_shared.frame import service_app

from . import config
from .models import db, outbox

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
    outbox.init_app(app)  # its gauges at /metrics, `flask relay`, `flask outbox retry-parked`
    from .staff_mail import send_pass, staff_mail_queue
    if send_pass not in outbox.also:
        outbox.also.append(send_pass)  # the relay process also sends the staff mail (invitations, resets)
    staff_mail_queue().register_gauges(app)
    from .release import release_pass
    if release_pass not in outbox.also:
        outbox.also.append(release_pass)  # and releases statistics months as they fall due (release.py)
    return app
