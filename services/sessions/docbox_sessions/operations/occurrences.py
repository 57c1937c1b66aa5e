"""Occurrences: find one by id, list a window, move or cancel one (a series keeps the change as an
exception of that day; a one-off session is edited itself)."""

from __future__ import annotations

from datetime import date, datetime

from docbox_shared import recurrence
from docbox_shared.clock import now
from docbox_shared.problems import Conflict, NotFound

from .. import listed
from ..models import OneOffSession, Series, SeriesException, db
from .checks import _check_place, _check_times
from .states import _publish, series_state, session_state


class Started(Conflict):
    type = "urn:docbox:problem:passed"
    title = "The occurrence has passed"


class Cancelled(Conflict):
    type = "urn:docbox:problem:cancelled"
    title = "The occurrence is cancelled"


def find_occurrence(occurrence_id: str):
    """``(kind, entry, occurrence)`` for an occurrence id; NotFound otherwise."""
    entry_id, day = recurrence.split_occurrence_id(occurrence_id)
    if day is None:
        session = db.session.get(OneOffSession, entry_id)
        if session is not None:
            return "session", session, recurrence.occurrence("session", session_state(session))
    else:
        series = db.session.get(Series, entry_id)
        if series is not None:
            occ = recurrence.occurrence("series", series_state(series), day)
            if occ is not None:
                return "series", series, occ
    raise NotFound(f"No occurrence {occurrence_id!r}.")


def list_occurrences(start: datetime, end: datetime, program_id: str | None = None) -> list[recurrence.Occurrence]:
    """Occurrences overlapping [start, end), cancelled ones too, soonest first: read from the stored
    occurrences of the window (:mod:`..listed`), in two statements whatever the data."""
    return [occ for occ, _entry, _exception in listed.window(start, end, program_id)]


def move_occurrence(occurrence_id: str, data: dict) -> recurrence.Occurrence:
    """Move one occurrence (time and/or place). A one-off session is edited itself."""
    kind, entry, occ = find_occurrence(occurrence_id)
    if occ.status == "cancelled":
        raise Cancelled("A cancelled occurrence cannot be moved.")
    start = data.get("start", occ.start)
    end = data.get("end", start + (occ.end - occ.start) if "start" in data else occ.end)
    _check_times(start, end)
    location = data.get("location", occ.location)
    video_url = data.get("video_url", occ.video_url)
    _check_place(entry.format, location, video_url)
    if (start, end, location, video_url) == (occ.start, occ.end, occ.location, occ.video_url):
        return occ
    if kind == "session":
        entry.start_at, entry.end_at, entry.location, entry.video_url = start, end, location, video_url
    else:
        exc = _exception(entry, occ.recurrence_date)
        exc.start_at, exc.end_at = start, end
        exc.location = location if location != entry.location else None
        exc.video_url = video_url if video_url != entry.video_url else None
        exc.updated_at = now()
    _publish(kind, entry)
    return find_occurrence(occurrence_id)[2]


def cancel_occurrence(occurrence_id: str, reason: str | None = None) -> recurrence.Occurrence:
    """Cancel one occurrence (it stays listed, as cancelled), with an optional short reason shown to
    subscribers; cancelling a cancelled one again only changes its reason."""
    return _set_status(occurrence_id, "cancelled", reason or None)


def restore_occurrence(occurrence_id: str) -> recurrence.Occurrence:
    """Undo a cancellation: the occurrence takes place after all, where and when it was to take
    place (a moved one keeps its move). Subscribers who were told of the cancellation are told
    again. Only one still ahead: a cancelled occurrence that has passed stays as it was."""
    return _set_status(occurrence_id, "scheduled", None)


def _set_status(occurrence_id: str, status: str, reason: str | None) -> recurrence.Occurrence:
    """The one change of cancel and restore: the status (and reason) of a one-off session itself, or of
    the series' exception for that day; nothing is published when nothing changes."""
    kind, entry, occ = find_occurrence(occurrence_id)
    if (occ.status, occ.cancel_reason) == (status, reason):
        return occ
    if status == "scheduled" and occ.start <= now():
        raise Started("This occurrence has passed; only one still ahead can be restored.")
    row = entry if kind == "session" else _exception(entry, occ.recurrence_date)
    row.status, row.cancel_reason = status, reason
    if kind == "series":
        row.updated_at = now()
    _publish(kind, entry)
    return find_occurrence(occurrence_id)[2]


def _exception(series: Series, day: date) -> SeriesException:
    exc = next((x for x in series.exceptions if x.date == day), None)
    if exc is None:
        exc = SeriesException(date=day, status="scheduled", updated_at=now())
        series.exceptions.append(exc)
    return exc
