"""Commands of the outreach service: ``flask --app docbox_outreach worker``."""

from __future__ import annotations

import logging

import click
from flask import Flask

from docbox_shared.loop import run

from .models import db, mail

log = logging.getLogger("docbox.outreach.worker")


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
        """Send queued mail and do each program's due work, until SIGTERM."""
        programs = app.extensions.get("outreach_programs", [])

        def one_pass(stopped) -> bool:
            busy = False
            for program in programs:
                for job in getattr(program, "jobs", ()):
                    busy = bool(job()) or busy
            sent = mail.run_pass(should_stop=stopped)
            db.session.remove()
            return busy or any(sent.values())

        if once:
            one_pass(lambda: False)
            return
        run(one_pass, db, app.config["POLL_SECONDS"], log, "outreach worker")
