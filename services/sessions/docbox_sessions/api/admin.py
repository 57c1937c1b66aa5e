"""Admin and identity: the caller itself, staff accounts, the outbox's health."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from docbox_shared.outbox import OutboxStatus
from docbox_shared.problems import Conflict

from ..auth import current_staff, issue_token, require_role
from ..models import Staff, db, outbox
from .schemas import StaffCreatedOut, StaffIn, StaffOut

blp = Blueprint("admin", __name__, url_prefix="/api/v1", description="Staff, identity and the outbox")


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, StaffOut)
    def get(self):
        """Who the bearer token, or else the staff sign-in cookie, belongs to: email and role per area

        Other services ask here on each request that needs a staff member (`role`: group sessions,
        `outreach_role`: outreach, null when none). A switched-off account answers 401 at once.
        """
        return current_staff(cookie=True)


@blp.route("/staff")
class StaffList(MethodView):
    @blp.response(200, StaffOut(many=True))
    def get(self):
        """List staff accounts"""
        require_role("admin")
        return db.session.scalars(select(Staff).order_by(Staff.email)).all()

    @blp.arguments(StaffIn)
    @blp.response(201, StaffCreatedOut)
    def post(self, data):
        """Add a staff member; the answer's `token` is shown this once"""
        require_role("admin")
        if db.session.scalar(select(Staff).where(Staff.email == data["email"].lower())):
            raise Conflict("A staff member with this email exists already.", errors={"email": ["Already taken."]})
        staff = Staff(email=data["email"].lower(), name=data.get("name", ""), role=data["role"],
                      outreach_role=data.get("outreach_role"))
        db.session.add(staff)
        db.session.flush()
        token = issue_token(staff)
        db.session.commit()
        return {"id": staff.id, "email": staff.email, "name": staff.name, "role": staff.role,
                "outreach_role": staff.outreach_role, "active": staff.active, "token": token}


@blp.route("/outbox")
class Outbox(MethodView):
    @blp.response(200, OutboxStatus)
    def get(self):
        """Events not yet delivered: how many, the oldest's age, failing subscribers"""
        require_role("admin")
        return outbox.status()


