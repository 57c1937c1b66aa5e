"""``GET /api/v1/deliveries``: what the worker could not deliver (operators only).

Rows show the kind, occurrence, attempts and the SMTP answer (addresses
removed), never the address itself.
"""

from __future__ import annotations

from docbox_shared.problems import Unauthorized
from docbox_shared.tokens import same_token
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from ..models import Delivery, db

blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries",
                description="Messages by status, for operators (bearer DOCBOX_NOTIFICATIONS_ADMIN_TOKEN).")

STATUSES = ("pending", "sending", "sent", "failed", "bounced", "dropped")


class DeliveryQuery(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(load_default="failed", validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class DeliverySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    subscriber_id = fields.String()
    occurrence_id = fields.String(allow_none=True)
    sequence = fields.Integer()
    status = fields.String()
    attempts = fields.Integer()
    due_at = fields.DateTime()
    first_failure_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    message_id = fields.String()


def require_operator() -> None:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    expected = current_app.config["ADMIN_TOKEN"]
    if not same_token(given, expected):
        raise Unauthorized("Send the operator token as a bearer token.")


@blp.route("")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuery, location="query")
    @blp.response(200, DeliverySchema(many=True))
    def get(self, args):
        """Deliveries with a status (default: failed), oldest first."""
        require_operator()
        return db.session.scalars(select(Delivery).where(Delivery.status == args["status"])
                                  .order_by(Delivery.id).limit(args["limit"])).all()
