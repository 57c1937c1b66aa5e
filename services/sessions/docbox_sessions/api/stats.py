"""Attendance statistics: exact for organizers and admins, the statistics release for viewers, none for facilitators."""

from datetime import date, timedelta

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from docbox_shared.clock import now
from docbox_shared.problems import ValidationProblem

from .. import stats
from ..auth import PLANNERS, require_role, require_stats_reader
from ..models import Program, db
from ..release import add_months
from ..subscribers import subscriber_rows
from .schemas import StatsOut, StatsQuery, SubscribersOut

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="Attendance statistics")
MAX_MONTHS = 120


@blp.route("/attendance")
class AttendanceStats(MethodView):
    @blp.arguments(StatsQuery, location="query")
    @blp.response(200, StatsOut)
    def get(self, args):
        """Sessions held and attendance per month, quarter, program or format

        The window is made of whole months: from the month of `from` to the
        month of the last instant before `to`, each read in its own offset;
        a session counts in the month of its local start. Organizers and
        admins get exact, live numbers. Viewers read the statistics
        release: a month enters it `DOCBOX_STATS_GRACE_DAYS` days after it
        ended (quarters and years with their last month), and its numbers
        never change afterwards. Counts from 1 to K-1 (`min_cell`) are
        withheld, and further numbers with them, jointly across every month,
        quarter, year, program and format, so that no combination of answers
        narrows a withheld count to fewer than K possible values. Withheld
        numbers are `null` and listed in `withheld`; zeros and sessions held
        are always shown. Facilitators get 403: they know their own
        sessions' counts, which with the release would narrow others'.
        """
        staff = require_stats_reader()
        start, end = args.get("start"), args.get("end")
        if start and end and end <= start:
            raise ValidationProblem("The window must end after it starts.", errors={"to": ["After 'from'."]})
        last = _month(end - timedelta(microseconds=1)) if end else _month(now())
        first = _month(start) if start else add_months(last, -11)
        if first > last or (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            raise ValidationProblem("The window must end after it starts and span at most ten years.",
                                    errors={"to": ["After 'from', at most ten years later."]})
        return stats.attendance_table(first, last, args["group_by"], args.get("program"), staff)


@blp.route("/subscribers")
class SubscriberCounts(MethodView):
    @blp.response(200, SubscribersOut)
    def get(self):
        """How many feeds and reminder subscriptions each program has (organizers and admins)

        Numbers only, asked of calendar_sync (live feeds; a feed of several
        programs counts in each) and notifications (confirmed, not paused
        subscriptions) when called. Other roles get 403: anyone may add
        feeds of their own, so a small number withheld from them could be
        worked out by adding feeds until it shows. A service that does not
        answer within two seconds is named in `unavailable` and its numbers
        are `null`.
        """
        require_role(*PLANNERS)
        programs = db.session.scalars(select(Program).order_by(Program.name)).all()
        return subscriber_rows(programs)


def _month(moment) -> date:
    return moment.date().replace(day=1)
