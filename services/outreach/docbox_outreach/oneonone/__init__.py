"""The one-on-one outreach network: roster, rounds, mentors' lists, mentees' links, reports.

Files: :mod:`.models` (tables), :mod:`.operations` (use cases: import the
roster, open, swap, close and purge rounds, log attempts, opt-outs),
:mod:`.pages` (coordinator, viewer and mentor pages), :mod:`.links` (a
mentee's capability pages), :mod:`.api` (the JSON API for scripts),
:mod:`.mailing` (mentor and mentee mail, reminders), :mod:`.reports` (the
round reports read from the database).
"""

from __future__ import annotations

import click
from flask import Flask

from ..programs import NavLink, Program
from . import models  # noqa: F401 - the tables join the service's metadata
from .api import blp as api
from .links import bp as mentee_links
from .mailing import reminders_due
from .operations import purge_due
from .pages import bp as pages


def _commands(app: Flask) -> None:
    @app.cli.group("oneonone")
    def group():
        """The one-on-one outreach program."""

    @group.command("purge")
    def purge():
        """Delete the person-level rows of rounds closed RETENTION_DAYS ago (the worker does it too)."""
        click.echo(f"{purge_due()} round(s) purged")


PROGRAM = Program(
    key="oneonone",
    title="One-on-one outreach",
    blueprints=(pages, mentee_links),
    api_blueprints=(api,),
    csrf_exempt=(mentee_links,),
    nav=(NavLink("Rounds", "oneonone.rounds", frozenset({"coordinator", "viewer"})),
         NavLink("Mentors", "oneonone.mentors", frozenset({"coordinator"})),
         NavLink("My list", "oneonone.mine", frozenset({"mentor", "coordinator"}))),
    home="oneonone.rounds",
    init=_commands,
    jobs=(reminders_due, purge_due),
)
