"""Commands: ``flask --app docbox_calendar_sync worker [--once]`` and ``rotate-secrets``.

The schema comes from ``flask --app docbox_calendar_sync db upgrade`` (Flask-Migrate).
"""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from . import operations, push
from .models import db

log = logging.getLogger(__name__)


def init_app(app) -> None:
    app.cli.add_command(worker)
    app.cli.add_command(rotate_secrets)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass and exit (for cron and tests).")
@with_appcontext
def worker(once: bool) -> None:
    """Push every change to the registered CalDAV targets until stopped (SIGTERM ends it between passes)."""
    if once:
        report = push.run_pass()
        click.echo(f"pushed={report.pushed} failed={report.failed} conflicts={report.conflicts} "
                   f"requests={report.requests}")
        return
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    interval = current_app.config["WORKER_INTERVAL"]
    while not stopping:
        try:
            report = push.run_pass()
            if report.pushed or report.failed or report.conflicts:
                log.info("push pass", extra=vars(report))
        except Exception:  # noqa: BLE001 - a database outage delays pushes; the worker keeps trying
            log.exception("push pass failed; retrying")
            db.session.rollback()
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, interval))


@click.command("rotate-secrets")
@with_appcontext
def rotate_secrets() -> None:
    """Re-encrypt stored CalDAV passwords with the newest key of DOCBOX_SECRET_KEYS."""
    count = operations.rotate_secrets()
    click.echo(f"re-encrypted {count} password(s) with the newest key")
