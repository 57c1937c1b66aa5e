"""Doc Box outreach: the one-on-one outreach network and case-based peer support.

The service is the kit's frame (:func:`docbox_shared.frame.service_app`) with
its own database, the roster and the audit shared by the programs
(:mod:`.models`), the staff sign-in of the suite (:mod:`.access`), the page
layout and start page (:mod:`.web`) and one subpackage per program
(:mod:`.oneonone`, ...; see :mod:`.programs`). The pure rules are in
:mod:`.domain`: no Flask, no database, no clock.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from docbox_shared.frame import service_app

from . import config
from .models import db

MIGRATIONS = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    from .api import BLUEPRINTS
    from .programs import discover
    programs = discover()
    # The frame: settings, logs, database, migrations, API, errors, health and metrics.
    api = [*BLUEPRINTS, *(bp for program in programs for bp in program.api_blueprints)]
    app = service_app(__name__, "outreach", config.SETTINGS, db, MIGRATIONS, test_config,
                      api_title="Doc Box outreach", api_blueprints=api)
    # Then this service's own: pages (layout, start page, every program's), commands, the mail gauges.
    from .web import init_pages
    init_pages(app, programs, not_forms=api)
    from .cli import register
    register(app)
    for program in programs:
        if program.init is not None:
            program.init(app)
    from .models import mail
    mail.register_gauges(app)
    return app
