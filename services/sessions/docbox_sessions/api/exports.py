"""Downloads for scripts: the occurrence list of chosen days as CSV or iCal, as the staff pages give it."""

from flask.views import MethodView
from flask_smorest import Blueprint

from docbox_shared.problems import ValidationProblem

from .. import occurrence_export
from ..auth import STAFF_ROLES, require_role
from ..web.present import home_zone
from .schemas import ExportQuery

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="Downloads")


def _export(args, respond):
    require_role(*STAFF_ROLES)
    errors = occurrence_export.range_errors(args["first"], args["last"], args.get("program"))
    if errors:
        raise ValidationProblem("These days or this program cannot be downloaded.", errors=errors)
    return respond(args["first"], args["last"], args.get("program"), home_zone())


@blp.route("/occurrences.csv")
class OccurrencesCsv(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, content_type="text/csv", description="One line per occurrence, as the staff pages' download.")
    def get(self, args):
        """The occurrences of chosen days as CSV (both days included, at most two years)"""
        return _export(args, occurrence_export.csv_response)


@blp.route("/occurrences.ics")
class OccurrencesIcal(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, content_type="text/calendar",
                  description="One VEVENT per occurrence with the subscribed feed's UID, RECURRENCE-ID and SEQUENCE.")
    def get(self, args):
        """The occurrences of chosen days as an iCalendar file to import (the CSV's occurrences)"""
        return _export(args, occurrence_export.ical_response)
