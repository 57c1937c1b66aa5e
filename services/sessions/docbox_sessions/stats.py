"""Attendance statistics: sessions held and people counted, grouped over a window.

A session is *held* when it was not cancelled and has started. Organizers and
admins get exact numbers; everyone else gets the table after small-cell
suppression (:mod:`.domain.suppression`): withheld cells are ``null`` and named
in the row's ``withheld`` list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .clock import now
from .domain.suppression import MEASURES, suppress
from .models import AttendanceCount, Program, db
from .operations import list_occurrences

GROUPINGS = ("month", "quarter", "program", "format")


def _key(occ, group_by: str, programs: dict[str, str]) -> tuple[str, str]:
    local = occ.start
    if group_by == "month":
        return f"{local:%Y-%m}", f"{local:%B %Y}"
    if group_by == "quarter":
        quarter = (local.month - 1) // 3 + 1
        return f"{local.year}-Q{quarter}", f"Q{quarter} {local.year}"
    if group_by == "program":
        return occ.program_id, programs.get(occ.program_id, occ.program_id)
    return occ.format, occ.format.replace("_", " ")


def attendance_table(start: datetime, end: datetime, group_by: str, program_id: str | None,
                     exact: bool, min_cell: int) -> dict:
    moment = now()
    held = [o for o in list_occurrences(start, end, program_id) if o.status != "cancelled" and o.start <= moment]
    counts = {c.occurrence_id: c for c in db.session.scalars(
        select(AttendanceCount).where(AttendanceCount.occurrence_id.in_([o.id for o in held])))} if held else {}
    programs = dict(db.session.execute(select(Program.id, Program.name)).all())
    rows: dict[str, dict] = {}
    for occ in held:
        key, label = _key(occ, group_by, programs)
        row = rows.setdefault(key, dict(key=key, label=label, sessions_held=0, sessions_counted=0,
                                        in_person=0, virtual=0, total=0))
        row["sessions_held"] += 1
        count = counts.get(occ.id)
        if count is not None:
            row["sessions_counted"] += 1
            row["in_person"] += count.in_person or 0
            row["virtual"] += count.virtual or 0
            row["total"] += (count.in_person or 0) + (count.virtual or 0)
    ordered = [rows[k] for k in sorted(rows)]
    totals = dict(key="total", label="Total", **{m: sum(r[m] for r in ordered)
                                                 for m in ("sessions_held", "sessions_counted", *MEASURES)})
    withheld = set() if exact else suppress(ordered, totals, min_cell)
    for index, row in [*enumerate(ordered), (-1, totals)]:
        row["withheld"] = sorted(m for m in MEASURES if (index, m) in withheld)
        for measure in row["withheld"]:
            row[measure] = None
    return dict(group_by=group_by, start=start, end=end, program_id=program_id, exact=exact,
                min_cell=min_cell, rows=ordered, totals=totals)
