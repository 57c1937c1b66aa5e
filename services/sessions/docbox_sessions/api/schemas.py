"""Marshmallow schemas of the sessions API: what comes in, what goes out.

Input schemas refuse unknown fields. Instants go in and out as ISO 8601 with
an offset, next to the IANA zone they are shown in.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from docbox_shared.events import FORMATS
from docbox_shared.recurrence import zone

from ..auth import STAFF_ROLES



def plausible_year(value) -> None:
    """Dates from 1970 to 2199: windows and rules near year 1 or 9999 overflow date arithmetic."""
    if not 1970 <= value.year <= 2199:
        raise ValidationError("Use a date between 1970 and 2199.")

Text = lambda n, **kw: fields.String(validate=validate.Length(max=n), **kw)  # noqa: E731


class ProgramIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Lowercase letters, digits and dashes."))
    description = Text(5000)
    timezone = fields.String(required=True)
    default_format = fields.String(validate=validate.OneOf(FORMATS), allow_none=True)
    default_location = Text(500, allow_none=True)
    default_video_url = Text(1000, allow_none=True)
    open = fields.Boolean()
    email_subject = Text(200, allow_none=True)


class ProgramPatch(ProgramIn):
    """Like ProgramIn, every field optional (used with partial=True)."""


class ProgramOut(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    timezone = fields.String()
    default_format = fields.String(allow_none=True)
    default_location = fields.String(allow_none=True)
    default_video_url = fields.String(allow_none=True)
    open = fields.Boolean()
    email_subject = fields.String(allow_none=True)
    version = fields.Integer()
    updated_at = fields.AwareDateTime(attribute="updated_dt")


class _EntryFields(Schema):
    """What a one-off session and a series both have; every field optional, as a PATCH sends them."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    description = Text(5000)
    format = fields.String(validate=validate.OneOf(FORMATS))
    location = Text(500, allow_none=True)
    video_url = Text(1000, allow_none=True)
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10000), strict=True)
    facilitator_ids = fields.List(fields.Integer(strict=True), validate=validate.Length(max=50))


class _EntryIn(_EntryFields):
    program_id = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    timezone = fields.String()


class SessionIn(_EntryIn):
    start = fields.AwareDateTime(validate=plausible_year, required=True)
    end = fields.AwareDateTime(validate=plausible_year, required=True)


class _Patch(_EntryFields):
    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


class SessionPatch(_Patch):
    """Details of a one-off session; its time and place move through /occurrences/<id>."""


class SeriesIn(_EntryIn):
    start = fields.DateTime(validate=plausible_year, required=True, metadata={"description": "First occurrence; with an offset, or local wall time in `timezone`."})
    duration_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60))
    rrule = fields.String(required=True, validate=validate.Length(min=1, max=500),
                          metadata={"description": "RFC 5545 RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=10. Needs COUNT or UNTIL."})


class SeriesPatch(_Patch):
    timezone = fields.String()
    start = fields.DateTime(validate=plausible_year)
    duration_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=24 * 60))
    rrule = fields.String(validate=validate.Length(min=1, max=500))


class SeriesEndIn(Schema):
    on = fields.Date(validate=plausible_year, required=True, metadata={"description": "Local date from which the series has no occurrence."})


class _EntryOut(Schema):
    id = fields.String()
    program_id = fields.String()
    title = fields.String()
    description = fields.String()
    format = fields.String()
    location = fields.String(allow_none=True)
    video_url = fields.String(allow_none=True)
    timezone = fields.String()
    capacity = fields.Integer(allow_none=True)
    facilitator_ids = fields.Method("_facilitator_ids")
    version = fields.Integer()
    updated_at = fields.AwareDateTime(attribute="updated_dt")

    def _facilitator_ids(self, entry):
        return [f.id for f in entry.facilitators]


class SessionOut(_EntryOut):
    start = fields.Method("_start")
    end = fields.Method("_end")
    status = fields.String()

    def _start(self, s):
        return s.start_dt.astimezone(zone(s.timezone)).isoformat()

    def _end(self, s):
        return s.end_dt.astimezone(zone(s.timezone)).isoformat()


class ExceptionOut(Schema):
    date = fields.Date()
    status = fields.String()
    start = fields.AwareDateTime(attribute="start_dt", allow_none=True)
    end = fields.AwareDateTime(attribute="end_dt", allow_none=True)
    location = fields.String(allow_none=True)
    video_url = fields.String(allow_none=True)


class SeriesOut(_EntryOut):
    start_local = fields.NaiveDateTime()
    duration_minutes = fields.Integer()
    rrule = fields.String()
    continues_series_id = fields.String(allow_none=True)
    exceptions = fields.List(fields.Nested(ExceptionOut))


class OccurrenceQuery(Schema):
    start = fields.AwareDateTime(validate=plausible_year, data_key="from", metadata={"description": "Window start (default: now)."})
    end = fields.AwareDateTime(validate=plausible_year, data_key="to", metadata={"description": "Window end (default: 31 days after from)."})
    program = fields.String()


class OccurrenceOut(Schema):
    id = fields.String()
    entry_kind = fields.String()
    entry_id = fields.String()
    program_id = fields.String()
    title = fields.String()
    description = fields.String()
    start = fields.Method("_start")
    end = fields.Method("_end")
    original_start = fields.Method("_original", allow_none=True)
    timezone = fields.String()
    status = fields.String()
    moved = fields.Boolean()
    format = fields.String()
    location = fields.String(allow_none=True)
    video_url = fields.String(allow_none=True)

    def _start(self, o):
        return o.start.isoformat()

    def _end(self, o):
        return o.end.isoformat()

    def _original(self, o):
        return o.original_start.isoformat() if o.original_start else None


class OccurrencePatch(Schema):
    start = fields.AwareDateTime(validate=plausible_year)
    end = fields.AwareDateTime(validate=plausible_year)
    location = Text(500, allow_none=True)
    video_url = Text(1000, allow_none=True)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one of start, end, location, video_url.")


class AttendanceIn(Schema):
    in_person = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100000))
    virtual = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=100000))


class AuditOut(Schema):
    recorded_by = fields.String(attribute="recorded_by.email")
    recorded_at = fields.AwareDateTime(attribute="recorded_dt")


class AttendanceOut(Schema):
    occurrence_id = fields.String()
    in_person = fields.Integer(allow_none=True)
    virtual = fields.Integer(allow_none=True)
    recorded_at = fields.AwareDateTime(attribute="recorded_dt")
    history = fields.List(fields.Nested(AuditOut))


class StatsQuery(Schema):
    start = fields.AwareDateTime(validate=plausible_year, data_key="from", metadata={
        "description": "Window start; the window starts with the month of this date, read in its own offset "
                       "(default: eleven months before the last)."})
    end = fields.AwareDateTime(validate=plausible_year, data_key="to", metadata={
        "description": "Window end (exclusive); the window ends with the month of the last instant before it "
                       "(default: now)."})
    group_by = fields.String(load_default="month", validate=validate.OneOf(("month", "quarter", "program", "format")))
    program = fields.String()


class StatsRow(Schema):
    key = fields.String()
    label = fields.String()
    sessions_held = fields.Integer()
    sessions_counted = fields.Integer()
    in_person = fields.Integer(allow_none=True)
    virtual = fields.Integer(allow_none=True)
    total = fields.Integer(allow_none=True)
    withheld = fields.List(fields.String())


class StatsOut(Schema):
    group_by = fields.String()
    start = fields.AwareDateTime(data_key="from", metadata={"description": "Start of the first month (UTC)."})
    end = fields.AwareDateTime(data_key="to", metadata={"description": "Start of the month after the last (UTC)."})
    first_month = fields.String(metadata={"description": "First month of the window, YYYY-MM."})
    last_month = fields.String(metadata={"description": "Last month of the window, YYYY-MM."})
    released_through = fields.String(allow_none=True, metadata={
        "description": "Last month in the statistics release (null for exact answers, or before any release)."})
    program_id = fields.String(allow_none=True)
    exact = fields.Boolean()
    min_cell = fields.Integer()
    rows = fields.List(fields.Nested(StatsRow))
    totals = fields.Nested(StatsRow)


class StaffIn(Schema):
    email = fields.Email(required=True)
    name = Text(200)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))


class StaffOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    active = fields.Boolean()


class StaffCreatedOut(StaffOut):
    token = fields.String(metadata={"description": "The API token, shown this once."})


class SubscriberStatus(Schema):
    subscriber = fields.String()
    pending = fields.Integer()
    oldest_pending_age_seconds = fields.Float(allow_none=True)
    failing = fields.Boolean()
    max_attempts = fields.Integer()
    last_error = fields.String(allow_none=True)


class OutboxOut(Schema):
    pending = fields.Integer()
    oldest_pending_age_seconds = fields.Float(allow_none=True)
    subscribers = fields.List(fields.Nested(SubscriberStatus))
