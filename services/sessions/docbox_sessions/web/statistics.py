"""The statistics page: attendance by month, quarter, program or format, as a chart, a table and
a CSV download.

Planners see exact numbers; viewers see the statistics release through
:mod:`..stats`, the same numbers the API gives (withheld cells say
"withheld", with a note on why), which is also what the chart draws and what
the CSV holds: the download is the page's table, cell for cell.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, render_template, request

from docbox_shared import recurrence
from docbox_shared.clock import now
from docbox_shared.inputs import FIRST_YEAR, LAST_YEAR, parse_month
from docbox_shared.pages import FormState, csv_cell, csv_download

from .. import stats as attendance_stats
from ..auth import require_stats_reader
from . import chart, present

MAX_MONTHS = 60


def _month(value: str | None) -> date | None:
    """``YYYY-MM`` from 1970 to 2199 (the API's range), else None."""
    return parse_month(value)


GROUPS = ("month", "quarter", "program", "format")
COLUMNS = (("sessions_held", "Sessions held"), ("sessions_counted", "Sessions counted"),
           ("in_person", "In person"), ("virtual", "Virtual"), ("total", "Total"))


def stats():
    table, form, context, errors = _table()
    svg = chart.attendance_svg(table["rows"], f"{context['heading']}, {context['first']:%B %Y} to {context['last']:%B %Y}")
    return render_template("sessions/stats.html", table=table, svg=svg, form=form, **context), (422 if errors else 200)


def stats_csv():
    """The page's table as CSV: the same rows, the same "withheld" cells, the totals row last."""
    table, _form, context, errors = _table()
    if errors:
        return stats()
    header = [context["group_label"].capitalize(), *(title for _, title in COLUMNS)]
    rows = ([csv_cell(row["label"]), *("withheld" if key in row["withheld"] else row[key] for key, _ in COLUMNS)]
            for row in [*table["rows"], table["totals"]])
    name = f"docbox-attendance-by-{table['group_by']}-{context['first']:%Y-%m}-to-{context['last']:%Y-%m}.csv"
    return csv_download(name, [header, *rows])


def _table():
    staff = require_stats_reader()
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
    group_by = request.args.get("by") or "month"
    if group_by not in GROUPS:
        errors["by"] = ["Choose month, quarter, program or format."]
        group_by = "month"
    table = attendance_stats.attendance_table(first, last, group_by, request.args.get("program") or None, staff)
    exact = table["exact"]
    form = FormState({"from": f"{first:%Y-%m}", "to": f"{last:%Y-%m}", "by": group_by}, errors)
    through = table["released_through"]
    table["released_through_label"] = f"{_month(through):%B %Y}" if through else None
    context = dict(exact=exact, first=first, last=last, min_cell=present.min_cell(), group_label=group_by,
                   heading=f"Attendance per {group_by}", grace_days=current_app.config["STATS_GRACE_DAYS"],
                   groups=[(g, g.capitalize()) for g in GROUPS])
    return table, form, context, errors
