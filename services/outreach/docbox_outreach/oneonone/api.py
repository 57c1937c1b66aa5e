"""The one-on-one program's JSON API for scripts: rounds, the mentor pool, reports, attempts.

Bearer tokens of staff with an outreach role (the suite's staff API tokens). Errors are
problem+json; a refused change writes nothing.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from docbox_shared.inputs import Id, Whole

from ..access import current_staff, require
from ..domain.vocabulary import AttemptOutcome, Channel
from ..models import audit_read, db
from . import operations as ops
from . import reports
from .models import Round

blp = Blueprint("oneonone_api", __name__, url_prefix="/api/v1/oneonone",
                description="The one-on-one outreach network")


class RoundSchema(Schema):
    id = Id(dump_only=True)
    number = fields.Integer(dump_only=True)
    opened_on = fields.Date(dump_only=True)
    due_on = fields.Date(required=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    balanced = fields.Boolean(dump_only=True)


class OpenRoundSchema(Schema):
    due_on = fields.Date(required=True, metadata={"description": "After today, within a year."})
    mentors = Whole(1, 100_000, load_default=None, metadata={"description": "How many of the pool mentor."})
    load = Whole(1, 100_000, load_default=None, metadata={"description": "Mentees per mentor (instead of mentors)."})


class SwapSchema(Schema):
    a = Id(required=True, metadata={"description": "Member id of a mentee of the round."})
    b = Id(required=True)


class MentorSchema(Schema):
    member_id = Id(required=True)
    name = fields.String(dump_only=True, attribute="member.name")


class AttemptSchema(Schema):
    id = Id(dump_only=True)
    assignment_id = Id(required=True)
    day = fields.Date(load_default=None, metadata={"description": "Default: today."})
    channel = fields.String(required=True, validate=validate.OneOf([c.value for c in Channel]))
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in AttemptOutcome]))


class MineSchema(Schema):
    """A mentee on my list. Not whether a change was asked: the mentee asks the program, not their mentor."""

    assignment_id = Id(attribute="id")
    mentee = fields.String(attribute="mentee.name")


@blp.route("/rounds")
class Rounds(MethodView):
    @require("coordinator", "viewer", page=False)
    @blp.response(200, RoundSchema(many=True))
    def get(self):
        """Every round, newest first"""
        return db.session.scalars(select(Round).order_by(Round.number.desc())).all()

    @require("coordinator", page=False)
    @blp.arguments(OpenRoundSchema)
    @blp.response(201, RoundSchema)
    def post(self, data):
        """Open the next round: assign every active member a mentor and mail them"""
        return ops.start_round(data["due_on"], mentor_count=data["mentors"], load=data["load"])


@blp.route("/rounds/<int:round_id>/close")
class Close(MethodView):
    @require("coordinator", page=False)
    @blp.response(200, RoundSchema)
    def post(self, round_id):
        """Close a round: it is frozen from now on"""
        round_ = ops.get_round(round_id)
        ops.close(round_)
        return round_


@blp.route("/rounds/<int:round_id>/swap")
class Swap(MethodView):
    @require("coordinator", page=False)
    @blp.arguments(SwapSchema)
    @blp.response(204)
    def post(self, data, round_id):
        """Two mentees of an open round exchange mentors"""
        ops.swap(ops.get_round(round_id), data["a"], data["b"])


@blp.route("/rounds/<int:round_id>/report")
class Report(MethodView):
    @require("coordinator", "viewer", page=False)
    @blp.response(200)
    def get(self, round_id):
        """The round's numbers: exact with mentors for coordinators (audited); withheld small numbers,
        nobody named, closed rounds only, for viewers"""
        round_ = ops.get_round(round_id)
        staff = current_staff()
        if staff.can("coordinator"):
            view = reports.coordinator_report(round_)
            audit_read(staff.email, "oneonone", "round.api", round_.id)
            db.session.commit()
            r = view.report
            return {"round": round_.number, "assigned": r.assigned, "reached": r.reached,
                    "reached_without_opt_outs": r.reached_without_opt_outs, "attempted": r.attempted,
                    "declined": r.declined, "opted_out": r.opted_out, "follow_up": r.follow_up,
                    "reach_rate": r.reach_rate, "reach_rate_without_opt_outs": r.reach_rate_without_opt_outs,
                    "coverage": r.coverage, "median_days_to_reach": r.median_days_to_reach,
                    "reached_by_day": list(r.reached_by_day),
                    "mentors": [{"name": view.mentor_names.get(m.mentor), "load": m.load, "attempted": m.attempted,
                                 "reached": m.reached} for m in r.mentors]}
        release = reports.viewer_report(round_)
        if release is None:
            from docbox_shared.problems import Conflict
            raise Conflict("The numbers of a round are released to viewers once it is closed.")
        return {"round": round_.number, **{k: v for k, v in reports.viewer_rows(release)},
                "reached_by_week": list(release.reached_by_week)}


@blp.route("/mentors")
class Mentors(MethodView):
    @require("coordinator", page=False)
    @blp.response(200, MentorSchema(many=True))
    def get(self):
        """The mentor pool"""
        return ops.mentor_pool()

    @require("coordinator", page=False)
    @blp.arguments(MentorSchema)
    @blp.response(201, MentorSchema)
    def post(self, data):
        """Add a member of the roster to the pool"""
        return ops.add_mentor(data["member_id"])


@blp.route("/mine")
class Mine(MethodView):
    @require("mentor", "coordinator", page=False)
    @blp.response(200, MineSchema(many=True))
    def get(self):
        """My mentees in the open round (mentors)"""
        round_ = ops.open_round()
        member = ops.member_for(current_staff().email)
        if round_ is None or member is None:
            return []
        out = ops.round_opted_out(round_)
        return [row for row in ops.my_assignments(member, round_) if row.mentee_id not in out]


@blp.route("/attempts")
class Attempts(MethodView):
    @require("mentor", "coordinator", page=False)
    @blp.arguments(AttemptSchema)
    @blp.response(201, AttemptSchema)
    def post(self, data):
        """Log an attempt with one of my mentees: a day, a channel, an outcome (nothing else exists)"""
        return ops.log_attempt(ops.member_for(current_staff().email), data["assignment_id"], data["day"],
                               data["channel"], data["outcome"])
