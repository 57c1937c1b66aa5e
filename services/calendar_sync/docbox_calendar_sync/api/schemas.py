"""Input and output shapes of the API. Inputs refuse unknown fields; texts follow :mod:`docbox_shared.inputs`."""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from docbox_shared.inputs import Line, Whole


class _In(Schema):
    class Meta:
        unknown = RAISE


_programs = fields.List(Line(64, min_length=1), required=True,
                        validate=validate.Length(min=1, max=50),
                        metadata={"description": "Program ids or slugs."})


class FeedCreate(_In):
    programs = _programs
    hide_cancelled = fields.Boolean(load_default=False,
                                    metadata={"description": "Drop cancelled occurrences instead of "
                                                             "showing them as cancelled."})
    alarm_minutes_before = Whole(0, 40320, load_default=None, allow_none=True,
                                 metadata={"description": "Add a reminder this many minutes before."})


class FeedToken(_In):
    token = Line(100, min_length=1, required=True)


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
    name = Line(200, min_length=1, required=True)
    server_url = Line(2000, required=True, validate=[_http_url])
    calendar_url = Line(2000, required=True, validate=[_http_url])
    username = Line(200, required=True)
    password = Line(1000, required=True, load_only=True)
    programs = _programs


class TargetUpdate(_In):
    name = Line(200, min_length=1)
    server_url = Line(2000, validate=[_http_url])
    calendar_url = Line(2000, validate=[_http_url])
    username = Line(200)
    password = Line(1000, load_only=True)
    programs = fields.List(Line(64, min_length=1), validate=validate.Length(min=1, max=50))
    paused = fields.Boolean(metadata={"description": "true: stop sending (changes keep queueing); false: resume."})

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


class ConflictOut(Schema):
    entry_kind = fields.String()
    entry_id = fields.String()
    kind = fields.String(metadata={"description": "`modified`, `deleted` or `existed` remotely."})
    detected_at = fields.AwareDateTime()


class TargetStatus(Schema):
    paused_at = fields.AwareDateTime(allow_none=True, metadata={"description": "Paused since; null: pushing."})
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
