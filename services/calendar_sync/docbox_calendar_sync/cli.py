"""Commands: ``flask --app docbox_calendar_sync worker [--once]`` and ``rotate-secrets``.

The schema comes from ``flask --app docbox_calendar_sync db upgrade`` (Flask-Migrate).
"""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from docbox_shared import loop

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

    def one_pass(_stopped) -> bool:
        report = push.run_pass()
        if report.pushed or report.failed or report.conflicts:
            log.info("push pass", extra=vars(report))
        return False  # the next pass after the interval

    # Any error (the database restarted, a connection was cut) is logged and only delays pushes.
    loop.run(one_pass, db, current_app.config["WORKER_INTERVAL"], log, "push")


@click.command("rotate-secrets")
@with_appcontext
def rotate_secrets() -> None:
    """Re-encrypt stored CalDAV passwords with the newest key of DOCBOX_SECRET_KEYS."""
    count = operations.rotate_secrets()
    click.echo(f"re-encrypted {count} password(s) with the newest key")
