"""The case-based program: peer support after a quality review or a lawsuit (issue 14).

A referrer names a physician, a trigger type and a date and learns nothing
more (:mod:`.referrals`); the coordinator matches a trained supporter who
attests to having no conflict (:mod:`.pairings`, :mod:`.supporters`); the
first contact is due within a set time, with a reminder and then an
escalation (:mod:`.timers`); contacts are fixed outcomes; closing takes a
reason code; identifiable rows are deleted on schedule and a de-identified
row stays (:mod:`.retention`); a yearly survey's answers link to no one
(:mod:`.survey`); reports are exact for the coordinator and suppressed for
viewers (:mod:`.reports`).

What the service around it provides (database, roster, mail queue, staff
sign-in) is named in :mod:`.host`; the tables are in :mod:`.models`.
"""

from __future__ import annotations

from docbox_shared import clock

from ..programs import NavLink, Program
from . import models  # noqa: F401 - the tables join the service's metadata


def run_due() -> bool:
    """The worker's pass: reminders, escalations, the retention purge (True: something was done)."""
    from .timers import run_pass
    return any(run_pass(clock.now()).values())


def _blueprints():
    from .api import blp, survey_blp
    from .pages import bp
    from .survey_pages import bp as survey_pages
    return (bp, survey_pages), (blp, survey_blp), survey_pages


_pages, _api, _capability = _blueprints()
_ALL = frozenset({"coordinator"})

PROGRAM = Program(
    key="cases",
    title="Case-based support",
    blueprints=_pages,
    api_blueprints=_api,
    csrf_exempt=(_capability,),
    nav=(NavLink("Refer a colleague", "cases.refer", frozenset({"referrer"})),
         NavLink("Case queue", "cases.queue", _ALL),
         NavLink("Supporters", "cases.supporter_roster", _ALL),
         NavLink("My colleagues to support", "cases.mine", frozenset({"supporter"})),
         NavLink("Case report", "cases.report", frozenset({"coordinator", "viewer"})),
         NavLink("Case survey", "cases.surveys", frozenset({"coordinator", "viewer"}))),
    jobs=(run_due,),
    home="cases.queue",
)
