"""CalDAV targets (admin only): register, change, list with push status, remove."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from docbox_shared.staff import current_staff

from .. import operations
from ..models import CaldavTarget, db
from .schemas import TargetCreate, TargetOut, TargetUpdate

blp = Blueprint("caldav_targets", __name__, url_prefix="/api/v1/caldav-targets",
                description="CalDAV calendars Doc Box pushes every change to")


def _shown(target: CaldavTarget) -> dict:
    return {"id": target.id, "name": target.name, "server_url": target.server_url,
            "calendar_url": target.calendar_url, "username": target.username,
            "program_ids": target.program_ids, "created_at": target.created_at,
            "status": operations.target_status(target)}


def _calendar_url(url: str) -> str:
    # A collection URL ends with "/"; resource URLs are built by appending to it.
    return url if url.endswith("/") else url + "/"


@blp.route("")
class Targets(MethodView):
    @blp.response(200, TargetOut(many=True))
    def get(self):
        """List targets with their push status"""
        current_staff("sessions", ["admin"])
        return [_shown(t) for t in db.session.scalars(select(CaldavTarget).order_by(CaldavTarget.created_at))]

    @blp.arguments(TargetCreate)
    @blp.response(201, TargetOut)
    def post(self, args):
        """Register a target; the worker then pushes the whole calendar of its programs"""
        current_staff("sessions", ["admin"])
        programs = operations.resolve_programs(args.pop("programs"))
        target = operations.create_target(
            name=args["name"], server_url=args["server_url"], calendar_url=_calendar_url(args["calendar_url"]),
            username=args["username"], password=args["password"], program_ids=[p.entry_id for p in programs])
        return _shown(target)


@blp.route("/<target_id>")
class Target(MethodView):
    @blp.response(200, TargetOut)
    def get(self, target_id):
        """One target and its push status"""
        current_staff("sessions", ["admin"])
        return _shown(operations.get_target(target_id))

    @blp.arguments(TargetUpdate)
    @blp.response(200, TargetOut)
    def patch(self, args, target_id):
        """Change a target (password, programs ...; `paused` pauses or resumes it); it is retried at once"""
        current_staff("sessions", ["admin"])
        operations.get_target(target_id)
        if "paused" in args:
            operations.pause_target(target_id, args.pop("paused"))
            if not args:
                return _shown(operations.get_target(target_id))
        if "programs" in args:
            args["program_ids"] = [p.entry_id for p in operations.resolve_programs(args.pop("programs"))]
        if "calendar_url" in args:
            args["calendar_url"] = _calendar_url(args["calendar_url"])
        return _shown(operations.update_target(target_id, args))

    @blp.response(204)
    def delete(self, target_id):
        """Stop pushing to a target (what it holds is left there)"""
        current_staff("sessions", ["admin"])
        operations.delete_target(target_id)
