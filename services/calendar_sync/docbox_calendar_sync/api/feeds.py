"""Feeds: ``POST /api/v1/feeds`` and the capability's own rotate and revoke.

Who may create a feed: anyone, when every program asked for is marked open by
its organizer; a staff member (bearer token checked by the sessions service)
for any program. Without a token a closed program gets the same 422 as an
unknown one, so nobody learns which slugs exist. Rotating or revoking needs the feed's token, sent in the JSON body
(never in a URL, so it cannot reach an access log); an admin may also revoke a
feed by its id.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from docbox_shared.staff import current_staff

from .. import operations
from .schemas import FeedCreate, FeedOut, FeedToken

blp = Blueprint("feeds", __name__, url_prefix="/api/v1/feeds", description="iCal feed capability URLs")


def _shown(feed, token: str) -> dict:
    url, webcal_url = operations.feed_urls(token)
    return {"id": feed.id, "url": url, "webcal_url": webcal_url,
            "program_ids": feed.program_ids, "hide_cancelled": feed.hide_cancelled,
            "alarm_minutes_before": feed.alarm_minutes_before, "created_at": feed.created_at}


@blp.route("")
class Feeds(MethodView):
    @blp.arguments(FeedCreate)
    @blp.response(201, FeedOut)
    def post(self, args):
        """Create a feed for a set of programs; the answer holds its secret URL"""
        staff = bool(request.headers.get("Authorization"))
        if staff:
            current_staff()  # a staff member may name any program
            programs = operations.resolve_programs(args["programs"])
        else:  # anyone else sees only open programs: a closed one is refused exactly like an unknown one
            programs = operations.resolve_programs(args["programs"], open_only=True)
        feed, token = operations.create_feed([p.entry_id for p in programs], args["hide_cancelled"],
                                             args["alarm_minutes_before"], staff_created=staff)
        return _shown(feed, token)


@blp.route("/rotate")
class Rotate(MethodView):
    @blp.arguments(FeedToken)
    @blp.response(201, FeedOut)
    def post(self, args):
        """Give a feed a new URL; the old one stops working at once"""
        feed, token = operations.rotate_feed(args["token"])
        return _shown(feed, token)


@blp.route("/revoke")
class Revoke(MethodView):
    @blp.arguments(FeedToken)
    @blp.response(204)
    def post(self, args):
        """Revoke a feed by its token: its URL answers 404 from now on"""
        operations.revoke_feed(token=args["token"])


@blp.route("/<string(length=32):feed_id>")  # a uuid4 hex: never "rotate" or "revoke"
class FeedById(MethodView):
    @blp.response(204)
    def delete(self, feed_id):
        """Revoke a feed by its id (admin)"""
        current_staff("sessions", ["admin"])
        operations.revoke_feed(feed_id=feed_id)
