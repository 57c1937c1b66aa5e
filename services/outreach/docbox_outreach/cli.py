"""Commands of the outreach service: ``flask --app docbox_outreach worker``."""

from __future__ import annotations

import logging

import click
from flask import Flask

from docbox_shared.loop import run

from .models import db, mail

log = logging.getLogger("docbox.outreach.worker")


def due_work(app: Flask) -> bool:
    """The worker's due work of one pass: each program's (reminders, purges), then the service's forgetting
    (after the programs' purges, which may have released a leaver). True when something was done."""
    from .retention import forget_due
    busy = False
    for program in app.extensions.get("outreach_programs", []):
        for job in getattr(program, "jobs", ()):
            busy = bool(job()) or busy
    return forget_due() or busy


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Demo data for `make run` (a roster of 100, 10 mentors, an open round half reached), once."""
        from .demo import seed
        done = seed()
        click.echo(done or "Demo data is there already: nothing seeded.")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Run one pass and stop.")
    def worker(once: bool) -> None:
        """Send queued mail, do each program's due work and forget what is due, until SIGTERM."""
        def one_pass(stopped) -> bool:
            busy = due_work(app)
            sent = mail.run_pass(should_stop=stopped)
            db.session.remove()
            return busy or any(sent.values())

        if once:
            one_pass(lambda: False)
            return
        run(one_pass, db, app.config["POLL_SECONDS"], log, "outreach worker")
