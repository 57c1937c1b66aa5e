"""The occurrence list of chosen days as a download: CSV for spreadsheets, iCal to import.

One set of rules for the staff pages ("Download a list") and the API: days
``first`` to ``last``, both included, at most two years, read in the
department's zone (``present.home_zone``); optionally one program. Only what
the staff pages list: no counts, no facilitators, nobody who came.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import Response
from sqlalchemy import select

from docbox_shared import recurrence
from docbox_shared.pages import csv_cell, csv_download

from . import ical_export, listed, operations
from .models import Program, db

EXPORT_DAYS = 731
EXPORT_COLUMNS = ("Date", "Start", "End", "Time zone", "Program", "Title", "Format", "Place", "Online", "Status")


def programs() -> dict[str, str]:
    return dict(db.session.execute(select(Program.id, Program.name)).all())


def range_errors(first: date | None, last: date | None, program_id: str | None) -> dict[str, list[str]]:
    """What is wrong with the days and program asked for, by field (``from``, ``to``, ``program``)."""
    errors: dict[str, list[str]] = {}
    if first and last and last < first:
        errors["to"] = ["The last day must not come before the first."]
    elif first and last and (last - first).days >= EXPORT_DAYS:
        errors["to"] = ["Download at most two years at a time."]
    if program_id and program_id not in programs():
        errors["program"] = ["Choose a program from the list."]
    return errors


def _window(first: date, last: date, zone_name: str) -> tuple[datetime, datetime]:
    tz = recurrence.zone(zone_name)
    start = recurrence.localize(datetime.combine(first, time()), tz).astimezone(timezone.utc)
    end = recurrence.localize(datetime.combine(last + timedelta(days=1), time()), tz).astimezone(timezone.utc)
    return start, end


def _clock_with_offset(moment: datetime) -> str:
    """``HH:MM+HH:MM``, the ISO 8601 local time with its offset from UTC."""
    return moment.isoformat(timespec="minutes")[11:]


def csv_response(first: date, last: date, program_id: str | None, zone_name: str) -> Response:
    """One line per occurrence, times in each entry's own zone with their UTC offset (``19:00-05:00``:
    on the fall-back night 01:30 happens twice)."""
    names = programs()
    rows = ([f"{occ.start:%Y-%m-%d}", _clock_with_offset(occ.start), _clock_with_offset(occ.end), occ.timezone,
             *(csv_cell(v) for v in (names.get(occ.program_id, ""), occ.title)),
             occ.format.replace("_", "-"), csv_cell(occ.location or ""), occ.video_url or "",
             "cancelled" if occ.status == "cancelled" else ("moved" if occ.moved else "scheduled")]
            for occ in operations.list_occurrences(*_window(first, last, zone_name), program_id))
    return csv_download(f"docbox-occurrences-{first}-to-{last}.csv", [EXPORT_COLUMNS, *rows])


def ical_response(first: date, last: date, program_id: str | None, zone_name: str) -> Response:
    """The same occurrences as the CSV, each with the identity the subscribed feed gives it (:mod:`.ical_export`)."""
    names = programs()
    items = []
    for occ, entry, exception in listed.window(*_window(first, last, zone_name), program_id):
        stamp = max(entry.updated_at, exception.updated_at) if exception else entry.updated_at
        rule_time = entry.start_local.time() if occ.entry_kind == "series" else None
        items.append((occ, entry.version, stamp, rule_time, names.get(occ.program_id)))
    name = f"{names[program_id] if program_id else 'Doc Box'}, {first} to {last}"
    return Response(ical_export.occurrences_calendar(items, name), mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="docbox-occurrences-{first}-to-{last}.ics"'})
