"""Attendance: how many came to an occurrence, recorded by an organizer or one of its facilitators.
The audit line names the staff member who recorded, never anyone who attended."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from docbox_shared.clock import now
from docbox_shared.problems import Conflict, Forbidden, ValidationProblem

from .. import held
from ..models import AttendanceAudit, AttendanceCount, OneOffSession, Series, SeriesException, Staff, db
from .occurrences import Cancelled, find_occurrence


class NotStarted(Conflict):
    type = "urn:docbox:problem:not-started"
    title = "The occurrence has not started yet"


def can_record_attendance(staff: Staff, entry) -> bool:
    return staff.role in ("admin", "organizer") or any(f.id == staff.id for f in entry.facilitators)


def record_attendance(occurrence_id: str, staff: Staff, counts: dict) -> AttendanceCount:
    """Record (or replace) how many came; the audit line names the staff member, never an attendee."""
    _kind, entry, occ = find_occurrence(occurrence_id)
    if not can_record_attendance(staff, entry):
        raise Forbidden("Only an organizer or a facilitator of this session may record its attendance.")
    if occ.status == "cancelled":
        raise Cancelled("A cancelled occurrence has no attendance.")
    if occ.start > now():
        raise NotStarted("Attendance can be recorded once the session has started.")
    allowed = {"in_person": occ.format in ("in_person", "hybrid"), "virtual": occ.format in ("virtual", "hybrid")}
    errors = {}
    for field, ok in allowed.items():
        if ok and counts.get(field) is None:
            errors[field] = [f"Required for a {occ.format.replace('_', '-')} session."]
        if not ok and counts.get(field) is not None:
            errors[field] = [f"A {occ.format.replace('_', '-')} session has no {field.replace('_', '-')} count."]
    if errors:
        raise ValidationProblem("The counts do not fit the session's format.", errors=errors)
    row = db.session.get(AttendanceCount, occurrence_id) or AttendanceCount(occurrence_id=occurrence_id)
    row.in_person, row.virtual, row.recorded_at = counts.get("in_person"), counts.get("virtual"), now()
    db.session.add(row)
    held.counted(occurrence_id)  # the month's sums computed ahead are out of date from this transaction on
    db.session.add(AttendanceAudit(occurrence_id=occurrence_id, recorded_by_staff_id=staff.id, recorded_at=row.recorded_at))
    return row


def counts_between(start: datetime, end: datetime, program_id: str | None = None) -> dict[str, AttendanceCount]:
    """``occurrence id -> count`` for (at least) every occurrence :func:`.list_occurrences` gives for the window.

    One statement however much is held: the counts are joined in SQL with the entries that overlap the
    window, never asked for by a list of ids (PostgreSQL refuses more than 65,535 parameters). A series'
    occurrence id is ``<series id>_<rule date>``, so its counts are a range of the counts' primary key: rule
    dates within two days of the window (a zone is at most a day from UTC, an occurrence at most a day
    long), plus the occurrences moved into the window from elsewhere, found through their exceptions.
    """
    low, high = f"{start - timedelta(days=2):%Y%m%d}", f"{end + timedelta(days=2):%Y%m%d}"
    sessions = (select(AttendanceCount).join(OneOffSession, AttendanceCount.occurrence_id == OneOffSession.id)
                .where(OneOffSession.start_at < end, OneOffSession.end_at > start))
    by_rule = (select(AttendanceCount)
               .join(Series, AttendanceCount.occurrence_id.between(Series.id + "_" + low, Series.id + "_" + high))
               .where(Series.span_start_at < end, Series.span_end_at > start))
    rule_day = _Digits(SeriesException.date)
    moved = (select(AttendanceCount)
             .join(SeriesException, AttendanceCount.occurrence_id == SeriesException.series_id + "_" + rule_day)
             .join(Series, Series.id == SeriesException.series_id)
             .where(SeriesException.start_at < end, SeriesException.end_at > start))
    if program_id:
        sessions = sessions.where(OneOffSession.program_id == program_id)
        by_rule = by_rule.where(Series.program_id == program_id)
        moved = moved.where(Series.program_id == program_id)
    query = select(AttendanceCount).from_statement(union_all(sessions, by_rule, moved))
    return {c.occurrence_id: c for c in db.session.scalars(query)}


class _Digits(FunctionElement):
    """A date as ``YYYYMMDD`` text, as occurrence ids spell it (a cast to text would follow PostgreSQL's DateStyle)."""

    type = String()
    inherit_cache = True


@compiles(_Digits)
def _digits(element, compiler, **kw):
    return f"replace(CAST({compiler.process(element.clauses, **kw)} AS VARCHAR), '-', '')"  # SQLite keeps ISO text


@compiles(_Digits, "postgresql")
def _digits_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYYMMDD')"
