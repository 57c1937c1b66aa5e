"""How occurrences and counts read on a page: words for formats and states, local times.

Times are shown in the entry's own zone, with its abbreviation ("19:00 EST"),
because that is where the session happens.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import available_timezones

from flask import current_app
from sqlalchemy import select

from docbox_shared import recurrence
from docbox_shared.clock import now

from ..models import OneOffSession, Program, Series, Staff, db

FORMAT_LABELS = {"in_person": "In person", "virtual": "Virtual", "hybrid": "Hybrid"}
FORMAT_OPTIONS = list(FORMAT_LABELS.items())


def format_label(value: str | None) -> str:
    return FORMAT_LABELS.get(value or "", value or "")


def long_day(day: date | datetime) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_day(day: date | datetime) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def when(occ) -> str:
    """``Wed 3 Feb 2027, 19:00–20:30 EST`` (the end's date too when it differs)."""
    start, end = occ.start, occ.end
    text = f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}"
    # Each end in its own offset when a clock change falls inside (01:30 EDT–01:30 EST is one hour).
    text += "–" if start.utcoffset() == end.utcoffset() else f" {start.tzname()}–"
    if end.date() != start.date():
        text += f"{end:%a} {end.day} {end:%b} "
    return text + f"{end:%H:%M} {end.tzname()}"


def clock_range(occ) -> str:
    """``19:00–20:30 EST``; ``01:30 EDT–01:30 EST`` when a clock change falls inside."""
    start, end = occ.start, occ.end
    if start.utcoffset() == end.utcoffset():
        return f"{start:%H:%M}–{end:%H:%M} {end.tzname()}"
    return f"{start:%H:%M} {start.tzname()}–{end:%H:%M} {end.tzname()}"


def original_when(occ) -> str:
    if not occ.original_start:
        return ""
    start = occ.original_start
    return f"{start:%a} {start.day} {start:%b}, {start:%H:%M}"


def local_today(tz_name: str) -> date:
    return now().astimezone(recurrence.zone(tz_name)).date()


def home_zone() -> str:
    """The zone a month or "today" is read in when no entry says otherwise: the first program's."""
    name = db.session.scalar(select(Program.timezone).order_by(Program.created_at).limit(1))
    return name or "UTC"


@cache
def zone_options() -> list[tuple[str, str]]:
    names = sorted(n for n in available_timezones() if ("/" in n and not n.startswith(("Etc/", "SystemV/"))) or n == "UTC")
    return [(n, n.replace("_", " ")) for n in names]


def program_options() -> list[tuple[str, str]]:
    return [(p.id, p.name) for p in db.session.scalars(select(Program).order_by(Program.name))]


def facilitator_options() -> list[tuple[str, str]]:
    staff = db.session.scalars(select(Staff).where(Staff.active.is_(True),
                                                      Staff.role.in_(("admin", "organizer", "facilitator"))).order_by(Staff.name, Staff.email))
    return [(str(s.id), f"{s.name} ({s.email})" if s.name else s.email) for s in staff]


def entry_of(occ):
    model = OneOffSession if occ.entry_kind == "session" else Series
    return db.session.get(model, occ.entry_id)


def min_cell() -> int:
    return current_app.config["MIN_CELL"]
