"""The roster for scripts: list, import a file, add, change, mark as left (coordinators' bearer tokens)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from docbox_shared.inputs import Id, Line

from .. import roster
from ..access import require

blp = Blueprint("roster_api", __name__, url_prefix="/api/v1", description="The faculty roster (coordinators)")
MAX_FILE = 512 * 1024   # bytes of an uploaded file (the roster page)
MAX_TEXT = 150_000      # characters of the API's csv: within the 1 MiB body limit even when every one is escaped


class MemberSchema(Schema):
    id = Id(dump_only=True)
    name = Line(200, required=True)
    email = Line(320, required=True, metadata={"description": "Work email: the member's identity."})
    division = Line(120, required=True)
    reports_to = Line(320, allow_none=True, load_default=None,
                      metadata={"description": "Work email of the member they report to."})
    leadership = fields.Boolean(load_default=False)
    active = fields.Boolean(dump_only=True)


class MemberChangeSchema(MemberSchema):
    name = Line(200)
    email = Line(320)
    division = Line(120)
    reports_to = Line(320, allow_none=True)
    leadership = fields.Boolean()
    active = fields.Boolean(metadata={"description": "False marks the member as left; true brings them back."})


class ImportSchema(Schema):
    csv = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT), metadata={
        "description": "The file's text: columns name, work email, division, optional reports to and leadership."})


class ImportResultSchema(Schema):
    added = fields.List(fields.String(), metadata={"description": "Work emails added."})
    changed = fields.List(fields.String())
    returning = fields.List(fields.String(), metadata={"description": "Members marked as left who are back."})
    unchanged = fields.Integer()
    missing = fields.List(fields.String(), metadata={
        "description": "Active members not in the file: nobody is marked as left by an import."})


@blp.route("/members")
class Members(MethodView):
    @require("coordinator", page=False)
    @blp.response(200, MemberSchema(many=True))
    def get(self):
        """Every member of the roster, active or left"""
        return roster.all_members()

    @require("coordinator", page=False)
    @blp.arguments(MemberSchema)
    @blp.response(201, MemberSchema)
    def post(self, data):
        """Add a member"""
        return roster.save_member(data)


@blp.route("/members/<int:member_id>")
class OneMember(MethodView):
    @require("coordinator", page=False)
    @blp.arguments(MemberChangeSchema)
    @blp.response(200, MemberSchema)
    def patch(self, data, member_id):
        """Change a member, or mark them as left (``active: false``)"""
        member = roster.get_member(member_id)
        active = data.pop("active", None)
        if data:
            member = roster.save_member(data, member)
        if active is not None and active != member.active:
            roster.set_active(member, active)
        return member


@blp.route("/roster/import")
class Import(MethodView):
    @require("coordinator", page=False)
    @blp.arguments(ImportSchema)
    @blp.response(200, ImportResultSchema)
    def post(self, data):
        """Import a roster file (its text as ``csv``): all of it, or nothing

        A bad file answers 422 with ``errors`` by line (``"line 3": [...]``) and imports nothing.
        Importing the same file again changes nothing.
        """
        changes = roster.import_roster(data["csv"].encode())
        return {"added": [r.email for r in changes.added], "changed": [c.row.email for c in changes.changed],
                "returning": [r.email for r in changes.returning], "unchanged": len(changes.unchanged),
                "missing": [m.email for m in changes.missing]}
