"""Staff administration for scripts: the operations of the admin pages (admin role only).

Listing and adding staff stay in :mod:`.admin` (``/api/v1/staff``); here one
member (``/api/v1/staff/<id>``: role, switched on or off), invitations,
password-reset links and API tokens. A token is returned once, by the call
that creates it.
"""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from docbox_shared.clock import now
from docbox_shared.inputs import Line
from docbox_shared.staff import OUTREACH_ROLES

from .. import staff_admin
from ..auth import STAFF_ROLES, require_role
from ..models import db
from .schemas import StaffIn, StaffOut, _NotEmpty

blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff", description="Staff administration")


class StaffPatch(_NotEmpty):
    role = fields.String(allow_none=True, validate=validate.OneOf(STAFF_ROLES),
                         metadata={"description": "Role in group sessions; null takes it away (outreach only)."})
    outreach_role = fields.String(allow_none=True, validate=validate.OneOf(OUTREACH_ROLES),
                                  metadata={"description": "Role in outreach; null takes it away. Granted apart "
                                                           "from `role`: neither grants anything in the other area."})
    active = fields.Boolean(metadata={"description": "false switches the account off: signed out everywhere, "
                                                     "every API token revoked, its records kept."})


class TokenIn(Schema):
    name = Line(100, min_length=1, required=True, metadata={"description": "What the token is for, e.g. \"nightly export\"."})


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True,
                                        metadata={"description": "To the minute."})
    revoked_at = fields.AwareDateTime(allow_none=True)


class TokenCreatedOut(TokenOut):
    token = fields.String(metadata={"description": "The API token, shown this once."})


class LinkSentOut(Schema):
    expires_at = fields.AwareDateTime(metadata={"description": "The emailed link works once, until then."})


@blp.route("/invitations")
class Invitations(MethodView):
    @blp.arguments(StaffIn)
    @blp.response(201, StaffOut)
    def post(self, data):
        """Add a staff member and email them a single-use link to choose a password (or sign in by SSO)"""
        require_role("admin")
        member = staff_admin.add_staff(data["email"], data["role"], data.get("name", ""), data.get("outreach_role"))
        staff_admin.mail_link(member, staff_admin.INVITE)
        db.session.commit()
        return member


@blp.route("/<int:staff_id>")
class StaffMember(MethodView):
    @blp.response(200, StaffOut)
    def get(self, staff_id):
        """Read one staff member"""
        require_role("admin")
        return staff_admin.find_staff(staff_id)

    @blp.arguments(StaffPatch)
    @blp.response(200, StaffOut)
    def patch(self, data, staff_id):
        """Change a staff member's role in group sessions or in outreach, or switch the account off or on"""
        actor = require_role("admin")
        member = staff_admin.find_staff(staff_id)
        staff_admin.set_roles(member, **{k: data[k] for k in ("role", "outreach_role") if k in data})
        if data.get("active") is False and member.active:
            staff_admin.deactivate(actor, member)
        elif data.get("active") is True and not member.active:
            staff_admin.reactivate(member)
        db.session.commit()
        return member


@blp.route("/<int:staff_id>/password-reset")
class PasswordReset(MethodView):
    @blp.response(202, LinkSentOut)
    def post(self, staff_id):
        """Email the staff member a single-use link to choose a new password (valid one hour)"""
        require_role("admin")
        member = staff_admin.find_staff(staff_id)
        staff_admin.mail_link(member, staff_admin.RESET)
        db.session.commit()
        return {"expires_at": now() + staff_admin.LINK_LIFETIME[staff_admin.RESET]}


@blp.route("/<int:staff_id>/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    def get(self, staff_id):
        """List a staff member's API tokens (never the tokens themselves)"""
        require_role("admin")
        return staff_admin.tokens_of(staff_admin.find_staff(staff_id))

    @blp.arguments(TokenIn)
    @blp.response(201, TokenCreatedOut)
    def post(self, data, staff_id):
        """Create an API token for a staff member; the answer's `token` is shown this once"""
        require_role("admin")
        row, token = staff_admin.create_token(staff_admin.find_staff(staff_id), data["name"])
        db.session.commit()
        row.token = token  # answered this once; no column holds it
        return row


@blp.route("/<int:staff_id>/tokens/<int:token_id>")
class Token(MethodView):
    @blp.response(204)
    def delete(self, staff_id, token_id):
        """Revoke an API token: calls with it are refused from now on"""
        require_role("admin")
        staff_admin.revoke_token(staff_admin.find_staff(staff_id), token_id)
        db.session.commit()
