"""Occurrences: series expanded with their exceptions, and one-off sessions.

Also where attendance is recorded: numbers per occurrence, never names.
"""

from datetime import timedelta

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from docbox_shared.clock import now
from docbox_shared.problems import Forbidden, NotFound, ValidationProblem

from .. import operations
from ..auth import PLANNERS, STAFF_ROLES, require_role
from ..models import AttendanceAudit, AttendanceCount, db
from .schemas import AttendanceIn, AttendanceOut, CancelIn, OccurrenceOut, OccurrencePatch, OccurrenceQuery

blp = Blueprint("occurrences", __name__, url_prefix="/api/v1/occurrences", description="Occurrences and attendance")
MAX_WINDOW = timedelta(days=732)


@blp.route("")
class Occurrences(MethodView):
    @blp.arguments(OccurrenceQuery, location="query")
    @blp.response(200, OccurrenceOut(many=True))
    def get(self, args):
        """List occurrences in a window (cancelled ones included, with status)"""
        require_role(*STAFF_ROLES)
        start = args.get("start") or now()
        end = args.get("end") or start + timedelta(days=31)
        if end <= start or end - start > MAX_WINDOW:
            raise ValidationProblem("The window must end after it starts and span at most two years.",
                                    errors={"to": ["After 'from', at most two years later."]})
        return operations.list_occurrences(start, end, args.get("program"))


@blp.route("/<occurrence_id>")
class OccurrenceById(MethodView):
    @blp.response(200, OccurrenceOut)
    def get(self, occurrence_id):
        """Read one occurrence"""
        require_role(*STAFF_ROLES)
        return operations.find_occurrence(occurrence_id)[2]

    @blp.arguments(OccurrencePatch)
    @blp.response(200, OccurrenceOut)
    def patch(self, data, occurrence_id):
        """Move one occurrence (new time and/or place)"""
        require_role(*PLANNERS)
        occ = operations.move_occurrence(occurrence_id, data)
        db.session.commit()
        return occ


@blp.route("/<occurrence_id>/cancel")
class OccurrenceCancel(MethodView):
    @blp.arguments(CancelIn)
    @blp.response(200, OccurrenceOut)
    def post(self, data, occurrence_id):
        """Cancel one occurrence (it stays listed, as cancelled), with an optional short reason

        The reason is shown in calendar feeds and the cancellation notice: a few words, no names.
        Cancelling a cancelled occurrence again changes only its reason.
        """
        require_role(*PLANNERS)
        occ = operations.cancel_occurrence(occurrence_id, data.get("reason"))
        db.session.commit()
        return occ


@blp.route("/<occurrence_id>/restore")
class OccurrenceRestore(MethodView):
    @blp.response(200, OccurrenceOut)
    def post(self, occurrence_id):
        """Restore a cancelled occurrence still ahead: it takes place after all (409 once it has passed)"""
        require_role(*PLANNERS)
        occ = operations.restore_occurrence(occurrence_id)
        db.session.commit()
        return occ


@blp.route("/<occurrence_id>/attendance")
class Attendance(MethodView):
    @blp.response(200, AttendanceOut)
    def get(self, occurrence_id):
        """Read the attendance count of an occurrence, with who recorded it when"""
        staff = require_role("admin", "organizer", "facilitator")
        _kind, entry, _occ = operations.find_occurrence(occurrence_id)
        if not operations.can_record_attendance(staff, entry):
            raise Forbidden("Only organizers and this session's facilitators see its count.")
        row = db.session.get(AttendanceCount, occurrence_id)
        if row is None:
            raise NotFound("No attendance recorded for this occurrence yet.")
        history = db.session.scalars(select(AttendanceAudit).where(AttendanceAudit.occurrence_id == occurrence_id)
                                     .order_by(AttendanceAudit.recorded_at, AttendanceAudit.id)).all()
        return dict(occurrence_id=occurrence_id, in_person=row.in_person, virtual=row.virtual,
                    recorded_at=row.recorded_at, history=history)

    @blp.arguments(AttendanceIn)
    @blp.response(200, AttendanceOut)
    def put(self, data, occurrence_id):
        """Record how many came (replaces an earlier count)"""
        staff = require_role("admin", "organizer", "facilitator")
        row = operations.record_attendance(occurrence_id, staff, data)
        db.session.commit()
        return dict(occurrence_id=occurrence_id, in_person=row.in_person, virtual=row.virtual,
                    recorded_at=row.recorded_at, history=[])
