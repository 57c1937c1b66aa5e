"""Flask commands: ``flask --app docbox_notifications worker [--once]``."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from docbox_shared import loop

from .models import db

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    app.cli.add_command(worker)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one pass (plan, then send everything due) and exit.")
def worker(once: bool) -> None:
    """Send due reminders and notices until stopped (SIGTERM/Ctrl-C finish the current message)."""
    from .delivery import run_pass

    if once:
        counts = run_pass()
        if counts:
            log.info("worker pass", extra={"counts": counts})
        return

    def one_pass(stopped) -> bool:
        counts = run_pass(should_stop=stopped)
        if counts:
            log.info("worker pass", extra={"counts": counts})
        return bool(counts.get("sent"))  # more may be due at once

    # Any error (the database restarted, a connection was cut) is logged and only delays mail.
    loop.run(one_pass, db, current_app.config["POLL_SECONDS"], log, "worker")
