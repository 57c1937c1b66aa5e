"""The statistics page: attendance per month as a chart and as a table.

Planners see exact numbers; everyone else sees the statistics release through
:mod:`..stats`, the same numbers the API gives (withheld cells say
"withheld", with a note on why), which is also what the chart draws.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, render_template, request

from docbox_shared import recurrence
from docbox_shared.inputs import FIRST_YEAR, LAST_YEAR, parse_month
from docbox_shared.pages import FormState

from .. import stats as attendance_stats
from ..auth import STAFF_ROLES, require_role
from ..clock import now
from . import chart, present

MAX_MONTHS = 60


def _month(value: str | None) -> date | None:
    """``YYYY-MM`` from 1970 to 2199 (the API's range), else None."""
    return parse_month(value)


def stats():
    staff = require_role(*STAFF_ROLES)
    tz = recurrence.zone(present.home_zone())
    this_month = now().astimezone(tz).date().replace(day=1)
    errors = {}
    last = _month(request.args.get("to")) or this_month
    first = _month(request.args.get("from")) or (last - timedelta(days=330)).replace(day=1)
    if request.args.get("from") and _month(request.args.get("from")) is None:
        errors["from"] = [f"Enter a month like 2027-01, between {FIRST_YEAR} and {LAST_YEAR}."]
    if request.args.get("to") and _month(request.args.get("to")) is None:
        errors["to"] = [f"Enter a month like 2027-06, between {FIRST_YEAR} and {LAST_YEAR}."]
    if first > last:
        errors["from"] = ["The first month must not come after the last."]
        first = last
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        errors["from"] = [f"Show at most {MAX_MONTHS} months at a time."]
        first = date(max(FIRST_YEAR, last.year - MAX_MONTHS // 12), last.month, 1)
    table = attendance_stats.attendance_table(first, last, "month", request.args.get("program") or None, staff)
    exact = table["exact"]
    svg = chart.attendance_svg(table["rows"], f"Attendance per month, {first:%B %Y} to {last:%B %Y}")
    form = FormState({"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}"}, errors)
    through = table["released_through"]
    table["released_through_label"] = f"{_month(through):%B %Y}" if through else None
    return render_template("sessions/stats.html", table=table, svg=svg, exact=exact, form=form, first=first, last=last,
                           min_cell=present.min_cell(), grace_days=current_app.config["STATS_GRACE_DAYS"]), (422 if errors else 200)
