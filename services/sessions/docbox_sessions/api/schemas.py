"""Marshmallow schemas of the sessions API: what comes in, what goes out.

Input schemas refuse unknown fields. Instants go in and out as ISO 8601 with
an offset, next to the IANA zone they are shown in. Texts, numbers and dates
are checked by the shared rules of :mod:`docbox_shared.inputs`, within the
limits of :data:`docbox_shared.events.LIMITS`: what the API accepts, the
events carry to every consumer.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from docbox_shared.events import FORMATS, LIMITS
from docbox_shared.inputs import EmailLine, Id, Line, Text, Whole, plausible_year
from docbox_shared.recurrence import MAX_OCCURRENCES, zone
from docbox_shared.staff import OUTREACH_ROLES

from ..auth import STAFF_ROLES


class _NotEmpty(Schema):
    """A PATCH: every field optional, at least one sent (an empty body is a 422, not a silent 200)."""

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.")


def _zone_name(**kwargs):
    return Line(LIMITS["timezone"], min_length=1, metadata={"description": "IANA time zone, e.g. America/New_York."},
                **kwargs)


class ProgramIn(Schema):
    name = Line(LIMITS["name"], min_length=1, required=True)
    slug = fields.String(validate=[validate.Length(min=1, max=LIMITS["slug"]),
                                   validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", error="Lowercase letters, digits and dashes.")])
    description = Text(LIMITS["description"])
    timezone = _zone_name(required=True)
    default_format = fields.String(validate=validate.OneOf(FORMATS), allow_none=True)
    default_location = Line(LIMITS["location"], allow_none=True)
    default_video_url = Line(LIMITS["video_url"], allow_none=True)
    open = fields.Boolean()
    email_subject = Line(LIMITS["email_subject"], allow_none=True)
    what_to_expect = Text(LIMITS["what_to_expect"], metadata={
        "description": "What to expect, for faculty: plain text, paragraphs split by a blank line."})
    contact_email = EmailLine(LIMITS["contact_email"], allow_none=True,
                              metadata={"description": "Where faculty write with questions (shown publicly)."})


class ProgramPatch(ProgramIn, _NotEmpty):
    """Like ProgramIn, every field optional (used with partial=True), at least one sent."""


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
    what_to_expect = fields.String()
    contact_email = fields.String(allow_none=True)
    version = fields.Integer()
    updated_at = fields.AwareDateTime()


class _EntryFields(Schema):
    """What a one-off session and a series both have; every field optional, as a PATCH sends them."""

    title = Line(LIMITS["title"], min_length=1)
    description = Text(LIMITS["description"])
    format = fields.String(validate=validate.OneOf(FORMATS))
    location = Line(LIMITS["location"], allow_none=True)
    video_url = Line(LIMITS["video_url"], allow_none=True)
    capacity = Whole(1, 10000, allow_none=True)
    facilitator_ids = fields.List(Id(), validate=validate.Length(max=50))


class _EntryIn(_EntryFields):
    program_id = Line(LIMITS["id"], min_length=1, required=True)
    title = Line(LIMITS["title"], min_length=1, required=True)
    timezone = _zone_name()


class SessionIn(_EntryIn):
    start = fields.AwareDateTime(validate=plausible_year, required=True)
    end = fields.AwareDateTime(validate=plausible_year, required=True)


class _Patch(_EntryFields, _NotEmpty):
    pass


class SessionPatch(_Patch):
    """Details of a one-off session; its time and place move through /occurrences/<id>."""


class SeriesIn(_EntryIn):
    start = fields.DateTime(validate=plausible_year, required=True, metadata={"description": "First occurrence; with an offset, or local wall time in `timezone`."})
    duration_minutes = Whole(1, 24 * 60, required=True)
    rrule = Line(LIMITS["rrule"], min_length=1, required=True,
                 metadata={"description": "RFC 5545 RRULE, e.g. FREQ=WEEKLY;INTERVAL=2;COUNT=10. Needs COUNT or UNTIL; "
                                          f"at most {MAX_OCCURRENCES} occurrences within ten years."})


class SeriesPatch(_Patch):
    timezone = _zone_name()
    start = fields.DateTime(validate=plausible_year)
    duration_minutes = Whole(1, 24 * 60)
    rrule = Line(LIMITS["rrule"], min_length=1)


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
    updated_at = fields.AwareDateTime()

    def _facilitator_ids(self, entry):
        return [f.id for f in entry.facilitators]


class SessionOut(_EntryOut):
    start = fields.Method("_start")
    end = fields.Method("_end")
    status = fields.String()
    cancel_reason = fields.String(allow_none=True)

    def _start(self, s):
        return s.start_at.astimezone(zone(s.timezone)).isoformat()

    def _end(self, s):
        return s.end_at.astimezone(zone(s.timezone)).isoformat()


class ExceptionOut(Schema):
    date = fields.Date()
    status = fields.String()
    start = fields.AwareDateTime(attribute="start_at", allow_none=True)
    end = fields.AwareDateTime(attribute="end_at", allow_none=True)
    location = fields.String(allow_none=True)
    video_url = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class SeriesOut(_EntryOut):
    # Wall time without an offset, so not an OpenAPI date-time (RFC 3339 requires one).
    start_local = fields.NaiveDateTime(metadata={
        "format": "local-date-time", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
        "description": "First occurrence as local wall time in `timezone`, without an offset (YYYY-MM-DDTHH:MM:SS)."})
    duration_minutes = fields.Integer()
    rrule = fields.String()
    continues_series_id = fields.String(allow_none=True)
    exceptions = fields.List(fields.Nested(ExceptionOut))


class OccurrenceQuery(Schema):
    start = fields.AwareDateTime(validate=plausible_year, data_key="from", metadata={"description": "Window start (default: now)."})
    end = fields.AwareDateTime(validate=plausible_year, data_key="to", metadata={"description": "Window end (default: 31 days after from)."})
    program = Line(LIMITS["id"])


class ExportQuery(Schema):
    first = fields.Date(required=True, validate=plausible_year, data_key="from",
                        metadata={"description": "First day (YYYY-MM-DD, in the department's zone)."})
    last = fields.Date(required=True, validate=plausible_year, data_key="to",
                       metadata={"description": "Last day, included; at most two years after the first."})
    program = Line(LIMITS["id"], metadata={"description": "One program's id (default: every program)."})


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
    cancel_reason = fields.String(allow_none=True)
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


class CancelIn(Schema):
    reason = Line(LIMITS["cancel_reason"], allow_none=True, metadata={
        "description": "Optional, a few words on why (shown in calendars and the cancellation notice). "
                       "Do not name people."})


class OccurrencePatch(Schema):
    start = fields.AwareDateTime(validate=plausible_year)
    end = fields.AwareDateTime(validate=plausible_year)
    location = Line(LIMITS["location"], allow_none=True)
    video_url = Line(LIMITS["video_url"], allow_none=True)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one of start, end, location, video_url.")


class AttendanceIn(Schema):
    in_person = Whole(0, 100000, allow_none=True)
    virtual = Whole(0, 100000, allow_none=True)


class AuditOut(Schema):
    recorded_by = fields.String(attribute="recorded_by.email")
    recorded_at = fields.AwareDateTime()


class AttendanceOut(Schema):
    occurrence_id = fields.String()
    in_person = fields.Integer(allow_none=True)
    virtual = fields.Integer(allow_none=True)
    recorded_at = fields.AwareDateTime()
    history = fields.List(fields.Nested(AuditOut))


class StatsQuery(Schema):
    start = fields.AwareDateTime(validate=plausible_year, data_key="from", metadata={
        "description": "Window start; the window starts with the month of this date, read in its own offset "
                       "(default: eleven months before the last)."})
    end = fields.AwareDateTime(validate=plausible_year, data_key="to", metadata={
        "description": "Window end (exclusive); the window ends with the month of the last instant before it "
                       "(default: now)."})
    group_by = fields.String(load_default="month", validate=validate.OneOf(("month", "quarter", "program", "format")))
    program = Line(LIMITS["id"])


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


class SubscribersRow(Schema):
    program_id = fields.String()
    name = fields.String()
    feeds = fields.Integer(allow_none=True, metadata={"description": "Live calendar feeds showing the program."})
    reminders = fields.Integer(allow_none=True, metadata={
        "description": "Confirmed, not paused reminder subscriptions following the program."})


class SubscribersOut(Schema):
    programs = fields.List(fields.Nested(SubscribersRow))
    unavailable = fields.List(fields.String(), metadata={
        "description": "Kinds whose service did not answer: null for every program."})


class StaffIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = Line(200)
    role = fields.String(required=True, allow_none=True, validate=validate.OneOf(STAFF_ROLES),
                         metadata={"description": "Role in the group-sessions area; null for someone who works in "
                                                  "outreach only (then `outreach_role` is needed)."})
    outreach_role = fields.String(allow_none=True, validate=validate.OneOf(OUTREACH_ROLES),
                                  metadata={"description": "Role in the outreach area; none when absent or null."})

    @validates_schema
    def _some_role(self, data, **kwargs):
        if data.get("role") is None and data.get("outreach_role") is None:
            raise ValidationError("Give a role in group sessions, in outreach, or both.", "role")


class StaffOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String(allow_none=True, metadata={"description": "Role in the group-sessions area, or null: "
                                                                  "outreach only, refused everywhere here."})
    outreach_role = fields.String(allow_none=True, metadata={"description": "Role in the outreach area, or null: "
                                                                           "granted apart from `role`."})
    active = fields.Boolean()
    last_sign_in_at = fields.AwareDateTime(attribute="last_login_at", allow_none=True,
                                           metadata={"description": "Last web sign-in (password or SSO)."})


class StaffCreatedOut(StaffOut):
    token = fields.String(metadata={"description": "The API token, shown this once."})
