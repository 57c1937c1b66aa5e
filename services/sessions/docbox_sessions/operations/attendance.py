"""Attendance: how many came to an occurrence, recorded by an organizer or one of its facilitators.
The audit line names the staff member who recorded, never anyone who attended."""

from __future__ import annotations

from docbox_shared.problems import Conflict, Forbidden, ValidationProblem

from ..clock import now
from ..models import AttendanceAudit, AttendanceCount, Staff, db
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
    row.in_person, row.virtual, row.recorded_dt = counts.get("in_person"), counts.get("virtual"), now()
    db.session.add(row)
    db.session.add(AttendanceAudit(occurrence_id=occurrence_id, recorded_by_staff_id=staff.id, recorded_dt=row.recorded_dt))
    return row
