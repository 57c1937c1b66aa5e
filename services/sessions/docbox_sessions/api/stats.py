"""Attendance statistics: exact for organizers and admins, suppressed for everyone else."""

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from docbox_shared.problems import ValidationProblem

from .. import stats
from ..auth import PLANNERS, STAFF_ROLES, require_role
from ..clock import now
from .schemas import StatsOut, StatsQuery

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="Attendance statistics")


@blp.route("/attendance")
class AttendanceStats(MethodView):
    @blp.arguments(StatsQuery, location="query")
    @blp.response(200, StatsOut)
    def get(self, args):
        """Sessions held and attendance per month, quarter, program or format"""
        staff = require_role(*STAFF_ROLES)
        end = args.get("end") or now()
        start = args.get("start") or end - timedelta(days=365)
        if end <= start or end - start > timedelta(days=3660):
            raise ValidationProblem("The window must end after it starts and span at most ten years.",
                                    errors={"to": ["After 'from', at most ten years later."]})
        return stats.attendance_table(start, end, args["group_by"], args.get("program"),
                                      exact=staff.role in PLANNERS, min_cell=current_app.config["MIN_CELL"])
