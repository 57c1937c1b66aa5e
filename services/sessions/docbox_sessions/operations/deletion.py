"""Deleting a one-off session or a series planned by mistake.

Nothing anyone was told disappears silently: the entry's last event carries its whole state marked
``deleted`` (every occurrence reads as cancelled, :mod:`docbox_shared.recurrence`), written in the same
transaction that deletes the rows. calendar_sync keeps it in feeds as cancelled and deletes it from
CalDAV calendars; notifications sends a cancellation to the subscribers it sent a reminder or notice
about an occurrence. What was counted stays: an entry with recorded attendance is refused (409).
"""

from __future__ import annotations

from sqlalchemy import select

from docbox_shared.clock import now
from docbox_shared.problems import Conflict

from ..models import AttendanceCount, OneOffSession, Series, db
from .occurrences import Started
from .states import _publish


class HasAttendance(Conflict):
    type = "urn:docbox:problem:has-attendance"
    title = "Attendance has been recorded"


def _occurrence_ids(kind: str, entry):
    """A condition on ``occurrence_id`` columns: the entry's occurrences (a series': ``<id>_<YYYYMMDD>``)."""
    def where(column):
        return column == entry.id if kind == "session" else column.between(entry.id + "_00000000", entry.id + "_99999999")
    return where


def delete_session(session: OneOffSession) -> None:
    """Delete a one-off session that has not started (not committed)."""
    _refuse_counted("session", session)
    if session.start_at <= now():
        raise Started("This session has started: only a session still ahead can be deleted. Cancel it instead.")
    _delete("session", session)


def delete_series(series: Series) -> None:
    """Delete a series none of whose occurrences has attendance recorded (not committed)."""
    _refuse_counted("series", series)
    _delete("series", series)


def _refuse_counted(kind: str, entry) -> None:
    where = _occurrence_ids(kind, entry)
    if db.session.scalar(select(AttendanceCount.occurrence_id).where(where(AttendanceCount.occurrence_id)).limit(1)):
        what = "this session" if kind == "session" else "an occurrence of this series"
        raise HasAttendance(f"Attendance has been recorded for {what}, so it cannot be deleted: its numbers count "
                            "in the statistics. " + ("Cancel it instead." if kind == "session"
                                                     else "End the series from a date instead."))


def _delete(kind: str, entry) -> None:
    _publish(kind, entry, deleted=True)
    entry.facilitators = []
    db.session.delete(entry)  # a series' exceptions go with it (cascade)
    db.session.flush()
