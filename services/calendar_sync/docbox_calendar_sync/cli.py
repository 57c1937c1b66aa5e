"""Commands: ``flask --app docbox_calendar_sync worker [--once]`` and ``rotate-secrets``.

The schema comes from ``flask --app docbox_calendar_sync db upgrade`` (Flask-Migrate).
"""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from . import operations, push

log = logging.getLogger(__name__)


def init_app(app) -> None:
    app.cli.add_command(worker)
    app.cli.add_command(rotate_secrets)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass and exit (for cron and tests).")
@with_appcontext
def worker(once: bool) -> None:
    """Push every change to the registered CalDAV targets, forever."""
    interval = current_app.config["WORKER_INTERVAL"]
    while True:
        report = push.run_pass()
        if report.pushed or report.failed or report.conflicts:
            log.info("push pass", extra=vars(report))
        if once:
            click.echo(f"pushed={report.pushed} failed={report.failed} conflicts={report.conflicts} "
                       f"requests={report.requests}")
            return
        time.sleep(interval)


@click.command("rotate-secrets")
@with_appcontext
def rotate_secrets() -> None:
    """Re-encrypt stored CalDAV passwords with the newest key of DOCBOX_SECRET_KEYS."""
    count = operations.rotate_secrets()
    click.echo(f"re-encrypted {count} password(s) with the newest key")
