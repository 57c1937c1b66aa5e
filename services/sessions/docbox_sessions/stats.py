"""Attendance statistics over a window of whole months, grouped by month, quarter, program or format.

A session is *held* when it was not cancelled and has started; it counts in
the month of its local start. Organizers and admins get exact numbers, live.
Viewers read the statistics release (:mod:`.release`): every number
in their answer is a released number or a sum of published released numbers,
so no choice of window or grouping tells more than the release itself.
Withheld numbers are ``null`` and named in the row's ``withheld`` list.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from flask import current_app
from sqlalchemy import select

from . import release
from .auth import PLANNERS
from .models import Program, Staff, db
from .release import ALL, MEASURES, Release, add_months, live_cells, month_key, quarter_key

GROUPINGS = ("month", "quarter", "program", "format")


def _label(group_by: str, key: str, programs: dict[str, str]) -> str:
    if group_by == "month":
        return f"{date(int(key[:4]), int(key[5:]), 1):%B %Y}"
    if group_by == "quarter":
        return f"{key[5:]} {key[:4]}"
    if group_by == "program":
        return programs.get(key, key)
    return key.replace("_", " ")


def _row(key: str, label: str, numbers: dict) -> dict:
    row = dict(key=key, label=label, **numbers)
    row["withheld"] = [m for m in MEASURES if row[m] is None]
    return row


def sees_exact(staff: Staff) -> bool:
    """The one decision between exact numbers and the release: organizers and admins only."""
    return staff.role in PLANNERS


def attendance_table(first: date, last: date, group_by: str, program_id: str | None, staff: Staff) -> dict:
    """What ``staff`` may see of months ``first`` to ``last`` (first days): rows, a totals row, whether
    the numbers are exact, and the release they were read from otherwise."""
    exact = sees_exact(staff)
    programs = dict(db.session.execute(select(Program.id, Program.name)).all())
    if exact:
        rows, totals, through = _exact(first, last, group_by, program_id)
    else:
        config = current_app.config
        release.release_due(config["MIN_CELL"], config["STATS_GRACE_DAYS"])
        rows, totals, through = _released(first, last, group_by, program_id)
    return dict(group_by=group_by, start=_instant(first), end=_instant(add_months(last, 1)),
                first_month=month_key(first), last_month=month_key(last),
                released_through=month_key(through) if through else None,
                program_id=program_id, exact=exact, min_cell=current_app.config["MIN_CELL"],
                rows=[_row(key, _label(group_by, key, programs), numbers) for key, numbers in rows],
                totals=_row("total", "Total", totals))


def _instant(month: date) -> datetime:
    return datetime.combine(month, time(), timezone.utc)


def _exact(first, last, group_by, program_id):
    """Live numbers for organizers and admins."""
    key_of = {"month": lambda m, p, f: m, "quarter": lambda m, p, f: quarter_key(date(int(m[:4]), int(m[5:]), 1)),
              "program": lambda m, p, f: p, "format": lambda m, p, f: f}[group_by]
    groups: dict[str, release.Counts] = {}
    totals = release.Counts()
    for (m, p, f), counts in live_cells(first, last, program_id).items():
        groups.setdefault(key_of(m, p, f), release.Counts()).add(counts)
        totals.add(counts)
    return [(k, _numbers(groups[k])) for k in sorted(groups)], _numbers(totals), None


def _numbers(counts: release.Counts) -> dict:
    return dict(sessions_held=counts.sessions_held, sessions_counted=counts.sessions_counted,
                in_person=counts.in_person, virtual=counts.virtual, total=counts.total)


def _released(first, last, group_by, program_id):
    """The release's numbers: each row covered by the coarsest released periods it spans."""
    rel = Release(first, last)
    months = rel.months(first, last)
    program = program_id or ALL
    rows = []
    if group_by in ("month", "quarter"):
        key_of = month_key if group_by == "month" else quarter_key
        for key in dict.fromkeys(key_of(m) for m in months):
            rows.append((key, rel.total(rel.cover([m for m in months if key_of(m) == key]), program, ALL)))
    elif group_by == "program":
        periods = rel.cover(months)
        keys = {p for (period, p, f) in rel.rows if period in periods and p != ALL and program in (ALL, p)}
        rows = [(key, rel.total(periods, key, ALL)) for key in sorted(keys)]
    else:
        periods = rel.cover(months)
        keys = {f for (period, p, f) in rel.rows if period in periods and f != ALL and p == program}
        rows = [(key, rel.total(periods, program, key)) for key in sorted(keys)]
    rows = [(key, numbers) for key, numbers in rows if numbers["sessions_held"] > 0]
    return rows, rel.total(rel.cover(months), program, ALL), rel.through
