"""Flask commands: ``flask --app docbox_notifications worker [--once]``."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    app.cli.add_command(worker)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one pass (plan, then send everything due) and exit.")
def worker(once: bool) -> None:
    """Send due reminders and notices until stopped (SIGTERM/Ctrl-C finish the current message)."""
    from .delivery import run_pass

    stopping = {"flag": False}

    def _stop(*_):
        stopping["flag"] = True

    if not once:
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    poll = current_app.config["POLL_SECONDS"]
    while True:
        try:
            counts = run_pass(should_stop=lambda: stopping["flag"])
        except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
            log.exception("worker pass failed; retrying")
            counts = {}
            if once:
                raise
        if counts:
            log.info("worker pass", extra={"counts": counts})
        if once or stopping["flag"]:
            break
        if not counts.get("sent"):
            deadline = time.monotonic() + poll
            while time.monotonic() < deadline and not stopping["flag"]:
                time.sleep(0.2)
