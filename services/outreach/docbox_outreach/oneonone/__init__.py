"""The one-on-one outreach network: roster, rounds, mentors' lists, mentees' links, reports.

Files: :mod:`.models` (tables), :mod:`.operations` (use cases: import the
roster, open, swap, close and purge rounds, log attempts, opt-outs),
:mod:`.pages` (coordinator, viewer and mentor pages), :mod:`.links` (a
mentee's capability pages), :mod:`.api` (the JSON API for scripts),
:mod:`.mailing` (mentor and mentee mail, reminders), :mod:`.reports` (the
round reports read from the database).
"""

from __future__ import annotations

from ..programs import NavLink, Program
from . import models  # noqa: F401 - the tables join the service's metadata
from .pages import bp as pages

PROGRAM = Program(
    key="oneonone",
    title="One-on-one outreach",
    blueprints=(pages,),
    nav=(NavLink("Rounds", "oneonone.rounds", frozenset({"coordinator", "viewer"})),),
    home="oneonone.rounds",
)
