"""``POST /api/v1/subscribers``: ask for reminders (double opt-in, no account)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates

from docbox_shared import recurrence
from docbox_shared.inputs import Line, Whole, mail_address

from .. import operations

blp = Blueprint("subscribers", __name__, url_prefix="/api/v1/subscribers",
                description="Opt in to email reminders; a confirmation link is mailed first.")

ACCEPTED = {"status": "accepted",
            "detail": "If this address can receive mail, a confirmation link is on its way. "
                      "Nothing else is sent until it is used."}


class SubscribeSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    programs = fields.List(Line(64, min_length=1), required=True, validate=validate.Length(min=1, max=50))
    offsets_minutes = fields.List(Whole(5, 20160),
                                  validate=validate.Length(min=1, max=5), load_default=None,
                                  metadata={"description": "Minutes before the start; default 1440 and 60."})
    digest = fields.Boolean(load_default=None, metadata={"description": "A weekly digest instead of reminders."})
    timezone = Line(64, load_default=None,
                             metadata={"description": "IANA zone of the digest; default the first program's."})

    @validates("email")
    def _sendable(self, value, **_):
        try:
            mail_address(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    @post_load
    def _envelope_form(self, data, **_):
        data["email"] = mail_address(data["email"])
        return data

    @validates("timezone")
    def _zone(self, value, **_):
        if value is not None:
            try:
                recurrence.zone(value)
            except recurrence.RuleError as exc:
                raise ValidationError(str(exc)) from exc


class AcceptedSchema(Schema):
    status = fields.String()
    detail = fields.String()


@blp.route("")
class Subscribers(MethodView):
    @blp.arguments(SubscribeSchema)
    @blp.response(202, AcceptedSchema)
    def post(self, data):
        """Request reminders; always the same answer, whether or not the address is known."""
        operations.request_subscription(data["email"], data["programs"], data["offsets_minutes"],
                                        data["digest"], data["timezone"], request.remote_addr or "")
        return ACCEPTED
