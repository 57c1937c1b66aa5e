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
from docbox_shared.problems import Conflict

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
    status = fields.String(dump_only=True, metadata={"description": "draft (nothing sent yet), open or closed."})
    opened_on = fields.Date(dump_only=True, allow_none=True, metadata={"description": "Empty while a draft."})
    due_on = fields.Date(required=True)
    closed_at = fields.DateTime(dump_only=True, allow_none=True)
    balanced = fields.Boolean(dump_only=True)
    changes_by_hand = fields.Integer(dump_only=True, metadata={
        "description": "A draft's swaps and moves made by hand: computing it again drops them."})


class RecomputedSchema(RoundSchema):
    changes_dropped = fields.Integer(dump_only=True, metadata={
        "description": "How many swaps and moves made by hand this recompute dropped."})


class OpenRoundSchema(Schema):
    due_on = fields.Date(required=True, metadata={"description": "After today, within a year."})
    mentors = Whole(1, 100_000, load_default=None, metadata={"description": "How many of the pool mentor."})
    load = Whole(1, 100_000, load_default=None, metadata={"description": "Mentees per mentor (instead of mentors)."})


class NewRoundSchema(OpenRoundSchema):
    draft = fields.Boolean(load_default=False, metadata={
        "description": "Prepare a draft: pairs to check, swap and move, nothing sent until it is opened."})


class PairSchema(Schema):
    mentee_id = Id()
    mentee = fields.String()
    mentor_id = Id()
    mentor = fields.String()
    kept = fields.Boolean(metadata={"description": "Keeps last round's mentor."})


class LoadSchema(Schema):
    mentor_id = Id()
    mentor = fields.String()
    load = fields.Integer()


class LoadsSchema(Schema):
    balanced = fields.Boolean(metadata={"description": "Loads within one of each other."})
    loads = fields.List(fields.Nested(LoadSchema))


class PairsSchema(LoadsSchema):
    round = fields.Integer()
    status = fields.String()
    pairs = fields.List(fields.Nested(PairSchema))


class ReassignSchema(Schema):
    mentee = Id(required=True, metadata={"description": "Member id of a mentee of the draft."})
    mentor = Id(required=True, metadata={"description": "Member id of an active member of the mentor pool."})


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
        """Every round, newest first (a draft for coordinators only)"""
        query = select(Round).order_by(Round.number.desc())
        if not current_staff().can("coordinator"):
            query = query.where(Round.opened_at.is_not(None))
        return db.session.scalars(query).all()

    @require("coordinator", page=False)
    @blp.arguments(NewRoundSchema)
    @blp.response(201, RoundSchema)
    def post(self, data):
        """Prepare the next round as a draft (``draft: true``: nothing is sent until it is opened), or open it
        at once: every active member gets a mentor; opening mails each mentor and mentee once"""
        start = ops.prepare_round if data["draft"] else ops.start_round
        return start(data["due_on"], mentor_count=data["mentors"], load=data["load"])


@blp.route("/rounds/<int:round_id>")
class OneRound(MethodView):
    @require("coordinator", page=False)
    @blp.response(204)
    def delete(self, round_id):
        """Discard a draft round (nothing of it reached anyone)"""
        ops.discard(ops.get_round(round_id))


@blp.route("/rounds/<int:round_id>/pairs")
class Pairs(MethodView):
    @require("coordinator", page=False)
    @blp.response(200, PairsSchema)
    def get(self, round_id):
        """Who mentors whom in a round, and each mentor's load (a read of people's data: audited)"""
        round_ = ops.get_round(round_id)
        audit_read(current_staff().email, "oneonone", "round.pairs", round_.id)
        pairs, loads = ops.round_pairs(round_), ops.round_loads(round_)
        db.session.commit()
        return {"round": round_.number, "status": round_.status, "balanced": round_.balanced,
                "pairs": [row._asdict() for row in pairs], "loads": [row._asdict() for row in loads]}


@blp.route("/rounds/<int:round_id>/reassign")
class Reassign(MethodView):
    @require("coordinator", page=False)
    @blp.arguments(ReassignSchema)
    @blp.response(200, LoadsSchema)
    def post(self, data, round_id):
        """Give a mentee of a draft round another mentor from the pool (loads may then differ: reported)"""
        round_ = ops.get_round(round_id)
        loads = ops.reassign(round_, data["mentee"], data["mentor"])
        return {"balanced": round_.balanced, "loads": [row._asdict() for row in loads]}


@blp.route("/rounds/<int:round_id>/recompute")
class Recompute(MethodView):
    @require("coordinator", page=False)
    @blp.arguments(OpenRoundSchema)
    @blp.response(200, RecomputedSchema)
    def post(self, data, round_id):
        """Compute a draft round's pairs again; the swaps and moves made by hand are dropped (and counted)"""
        round_ = ops.get_round(round_id)
        dropped = ops.recompute(round_, data["due_on"], mentor_count=data["mentors"], load=data["load"])
        return {**{name: getattr(round_, name) for name in RoundSchema().fields}, "changes_dropped": dropped}


@blp.route("/rounds/<int:round_id>/open")
class Open(MethodView):
    @require("coordinator", page=False)
    @blp.response(200, RoundSchema)
    def post(self, round_id):
        """Open a draft round as it stands and mail each mentor and mentee once; refused, naming who, when
        the roster changed since its pairs were computed"""
        return ops.open_draft(ops.get_round(round_id))


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
        """Two mentees of a draft or open round exchange mentors"""
        ops.swap(ops.get_round(round_id), data["a"], data["b"])


@blp.route("/rounds/<int:round_id>/report")
class Report(MethodView):
    @require("coordinator", "viewer", page=False)
    @blp.response(200)
    def get(self, round_id):
        """The round's numbers: exact with mentors for coordinators (audited); withheld small numbers,
        nobody named, closed rounds only, for viewers"""
        round_ = ops.get_round(round_id)
        reading = reports.read(round_, current_staff(), "round.api")
        if reading.view is not None:
            r = reading.view.report
            return {"round": round_.number, "assigned": r.assigned, "reached": r.reached,
                    "reached_without_opt_outs": r.reached_without_opt_outs, "attempted": r.attempted,
                    "declined": r.declined, "opted_out": r.opted_out, "follow_up": r.follow_up,
                    "reach_rate": r.reach_rate, "reach_rate_without_opt_outs": r.reach_rate_without_opt_outs,
                    "coverage": r.coverage, "median_days_to_reach": r.median_days_to_reach,
                    "reached_by_day": list(r.reached_by_day),
                    "mentors": [{"name": reading.view.mentor_names.get(m.mentor), "load": m.load,
                                 "attempted": m.attempted, "reached": m.reached} for m in r.mentors]}
        if reading.release is None:
            raise Conflict("The numbers of a round are released to viewers once it is closed.")
        return {"round": round_.number, **{k: v for k, v in reports.viewer_rows(reading.release)},
                "reached_by_week": list(reading.release.reached_by_week)}


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
