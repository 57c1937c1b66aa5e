"""Input and output shapes of the API. Inputs refuse unknown fields."""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate


class _In(Schema):
    class Meta:
        unknown = RAISE


_programs = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                        validate=validate.Length(min=1, max=50),
                        metadata={"description": "Program ids or slugs."})


class FeedCreate(_In):
    programs = _programs
    hide_cancelled = fields.Boolean(load_default=False,
                                    metadata={"description": "Drop cancelled occurrences instead of "
                                                             "showing them as cancelled."})
    alarm_minutes_before = fields.Integer(load_default=None, allow_none=True,
                                          validate=validate.Range(min=0, max=40320),
                                          metadata={"description": "Add a reminder this many minutes before."})


class FeedToken(_In):
    token = fields.String(required=True, validate=validate.Length(min=1, max=100))


class FeedOut(Schema):
    id = fields.String()
    url = fields.String(metadata={"description": "The feed URL (https:// in production). Keep it secret."})
    webcal_url = fields.String(metadata={"description": "The same URL with webcal://, for one-click subscribe."})
    programs = fields.List(fields.String(), attribute="program_ids")
    hide_cancelled = fields.Boolean()
    alarm_minutes_before = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


def _http_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError("must be an http:// or https:// URL")


class TargetCreate(_In):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    server_url = fields.String(required=True, validate=[validate.Length(max=2000), _http_url])
    calendar_url = fields.String(required=True, validate=[validate.Length(max=2000), _http_url])
    username = fields.String(required=True, validate=validate.Length(max=200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1000))
    programs = _programs


class TargetUpdate(_In):
    name = fields.String(validate=validate.Length(min=1, max=200))
    server_url = fields.String(validate=[validate.Length(max=2000), _http_url])
    calendar_url = fields.String(validate=[validate.Length(max=2000), _http_url])
    username = fields.String(validate=validate.Length(max=200))
    password = fields.String(load_only=True, validate=validate.Length(max=1000))
    programs = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                           validate=validate.Length(min=1, max=50))


class ConflictOut(Schema):
    entry_kind = fields.String()
    entry_id = fields.String()
    kind = fields.String(metadata={"description": "`modified`, `deleted` or `existed` remotely."})
    detected_at = fields.AwareDateTime()


class TargetStatus(Schema):
    last_success_at = fields.AwareDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_error_at = fields.AwareDateTime(allow_none=True)
    retry_at = fields.AwareDateTime(allow_none=True)
    pending_changes = fields.Integer()
    conflicts = fields.Integer()
    recent_conflicts = fields.List(fields.Nested(ConflictOut))


class TargetOut(Schema):
    """A target as the API shows it: never its password."""

    id = fields.String()
    name = fields.String()
    server_url = fields.String()
    calendar_url = fields.String()
    username = fields.String()
    programs = fields.List(fields.String(), attribute="program_ids")
    created_at = fields.AwareDateTime()
    status = fields.Nested(TargetStatus)
