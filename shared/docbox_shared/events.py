"""Events that the sessions service publishes and the other services consume.

Vocabulary:

- *entry*: one calendar entry with its whole current state: a ``program``, a
  one-off ``session``, or a recurring ``series`` with its exceptions.
- *version*: grows by one on every change of an entry. A consumer applies an
  event only when its version is newer than the one it holds, so duplicated
  and re-ordered deliveries are harmless.
- *envelope*: event id, type, when it occurred, the entry id and kind, the
  version, and ``data``: the entry's state.

Event types are past-tense records: ``program.changed``, ``session.changed``,
``series.changed``. Nothing in an event names an attendee or a facilitator.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

FORMATS = ("virtual", "in_person", "hybrid")
ENTRY_KINDS = ("program", "session", "series")
EVENT_TYPES = tuple(f"{kind}.changed" for kind in ENTRY_KINDS)


class _State(Schema):
    class Meta:
        # A newer producer may add fields; older consumers ignore them.
        unknown = EXCLUDE

    id = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class ProgramState(_State):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(load_default="")
    timezone = fields.String(required=True)
    open = fields.Boolean(required=True)
    default_format = fields.String(validate=validate.OneOf(FORMATS), allow_none=True, load_default=None)
    default_location = fields.String(allow_none=True, load_default=None)
    default_video_url = fields.String(allow_none=True, load_default=None)
    email_subject = fields.String(allow_none=True, load_default=None)


class _Calendared(_State):
    program_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(load_default="")
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    location = fields.String(allow_none=True, load_default=None)
    video_url = fields.String(allow_none=True, load_default=None)
    timezone = fields.String(required=True)
    capacity = fields.Integer(allow_none=True, load_default=None)


class SessionState(_Calendared):
    """A one-off session: instants with offset, plus the zone to show them in."""

    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("scheduled", "cancelled")))


class ExceptionState(Schema):
    """One occurrence of a series that differs from the rule: moved or cancelled.

    ``date`` is the local date the rule gave the occurrence (its key); ``start``
    and ``end`` are set when it was moved.
    """

    class Meta:
        unknown = EXCLUDE

    date = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("scheduled", "cancelled")))
    start = fields.AwareDateTime(allow_none=True, load_default=None)
    end = fields.AwareDateTime(allow_none=True, load_default=None)
    location = fields.String(allow_none=True, load_default=None)
    video_url = fields.String(allow_none=True, load_default=None)
    updated_at = fields.AwareDateTime(required=True)


class SeriesState(_Calendared):
    """A recurring series: local wall time + IANA zone + RFC 5545 RRULE.

    ``start_local`` is the first occurrence in local time; ``rrule`` is the
    rule without the ``RRULE:`` prefix, its UNTIL (if any) in UTC as RFC 5545
    requires for a DTSTART with TZID. ``continues_series_id`` and
    ``continued_by_series_id`` link the two halves of a split series.
    """

    start_local = fields.NaiveDateTime(required=True)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=1))
    rrule = fields.String(required=True)
    exceptions = fields.List(fields.Nested(ExceptionState), load_default=list)
    continues_series_id = fields.String(allow_none=True, load_default=None)
    # The series that carries this one's edit after a split (its occurrences
    # from the split on continue there); None for a series ended or never split.
    continued_by_series_id = fields.String(allow_none=True, load_default=None)


STATE_SCHEMAS = {"program": ProgramState, "session": SessionState, "series": SeriesState}


class Envelope(Schema):
    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    occurred_at = fields.AwareDateTime(required=True)
    entry_kind = fields.String(required=True, validate=validate.OneOf(ENTRY_KINDS))
    entry_id = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    data = fields.Dict(required=True)


def dump_event(*, event_id, occurred_at, kind: str, entry_id: str, version: int, state: dict) -> dict:
    """Build the JSON-ready envelope for ``state`` (given as Python values)."""
    return Envelope().dump({
        "event_id": event_id, "type": f"{kind}.changed", "occurred_at": occurred_at,
        "entry_kind": kind, "entry_id": entry_id, "version": version,
        "data": STATE_SCHEMAS[kind]().dump(state),
    })


def load_state(kind: str, data: dict) -> dict:
    """Load an entry's JSON state into Python values (aware datetimes, dates ...)."""
    return STATE_SCHEMAS[kind]().load(data)
