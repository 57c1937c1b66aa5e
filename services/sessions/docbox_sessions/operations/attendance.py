"""Attendance: how many came to an occurrence, recorded by an organizer or one of its facilitators.
The audit line names the staff member who recorded, never anyone who attended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from docbox_shared.clock import now
from docbox_shared.problems import Conflict, Forbidden, ValidationProblem

from .. import held, listed
from ..models import AttendanceAudit, AttendanceCount, ListedOccurrence, Staff, db
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
    """``occurrence id -> count`` for every occurrence :func:`.list_occurrences` gives for the window that has one:
    the stored occurrences of the window joined with their counts, one statement however much is held (never
    a list of ids: PostgreSQL refuses more than 65,535 parameters)."""
    query = (select(AttendanceCount).join(ListedOccurrence, ListedOccurrence.occurrence_id == AttendanceCount.occurrence_id)
             .where(*listed.within(start, end, program_id)))
    return {c.occurrence_id: c for c in db.session.scalars(query)}
