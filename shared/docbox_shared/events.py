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
A deleted session or series sends one last ``*.changed`` event whose state has
``deleted`` set: consumers keep it as cancelled (or remove it, as CalDAV does).
A cancelled occurrence may carry a short ``cancel_reason``.

*Checked* state: :func:`check_state` is the one validation of an entry, run
by the producer before an event enters its outbox (a change that fails it is
refused with 422 and nothing is written) and by every consumer before it
applies one. Texts follow :mod:`.inputs` (one line for names and titles, so
they are safe in mail headers and calendar properties; a program's contact
is one email address) within ``LIMITS``, zones are IANA names, dates fall in 1970-2199, and a series' rule is one
:func:`.recurrence.normalize_rule` accepts for its start. The API schemas of
the producer take their limits from here, so what it accepts every consumer
can store and show. :func:`load_state` only converts types: state stored
before a rule was tightened stays readable.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from . import inputs, recurrence

FORMATS = ("virtual", "in_person", "hybrid")
ENTRY_KINDS = ("program", "session", "series")
EVENT_TYPES = tuple(f"{kind}.changed" for kind in ENTRY_KINDS)

# Longest text of each field (characters); the producer's API and columns use the same numbers.
LIMITS = {"id": 64, "program_id": 64, "continues_series_id": 64, "continued_by_series_id": 64, "slug": 80,
          "name": 200, "title": 200, "description": 5000, "location": 500, "video_url": 1000,
          "email_subject": 200, "rrule": 500, "timezone": 64, "cancel_reason": 200, "what_to_expect": 2000,
          "contact_email": 254}
MULTI_LINE = {"description", "what_to_expect"}
EMAILS = {"contact_email"}


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
    # What faculty see on the program's pages and in reminders: plain text (paragraphs split by blank
    # lines) and one address to write to. Producers before these fields send neither.
    what_to_expect = fields.String(load_default="")
    contact_email = fields.String(allow_none=True, load_default=None)


class _Calendared(_State):
    program_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(load_default="")
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    location = fields.String(allow_none=True, load_default=None)
    video_url = fields.String(allow_none=True, load_default=None)
    timezone = fields.String(required=True)
    capacity = fields.Integer(allow_none=True, load_default=None)
    # The entry was deleted: its last event. Every occurrence reads as cancelled (see
    # :mod:`.recurrence`), so a consumer that told anyone of it tells them of the cancellation.
    deleted = fields.Boolean(load_default=False)


class SessionState(_Calendared):
    """A one-off session: instants with offset, plus the zone to show them in."""

    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("scheduled", "cancelled")))
    # Why it was cancelled, in a few words the organizer chose (one line, no names); None otherwise.
    cancel_reason = fields.String(allow_none=True, load_default=None)


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
    cancel_reason = fields.String(allow_none=True, load_default=None)
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
    entry_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2 ** 31 - 1))
    data = fields.Dict(required=True)


def dump_event(*, event_id, occurred_at, kind: str, entry_id: str, version: int, state: dict) -> dict:
    """Build the JSON-ready envelope for ``state`` (given as Python values).

    Raises marshmallow's ``ValidationError`` (messages by field) when the state
    fails :func:`check_state`: such an event would be refused by its consumers.
    """
    data = STATE_SCHEMAS[kind]().dump(state)
    errors = check_state(kind, data)
    if errors:
        raise ValidationError(errors)
    return Envelope().dump({
        "event_id": event_id, "type": f"{kind}.changed", "occurred_at": occurred_at,
        "entry_kind": kind, "entry_id": entry_id, "version": version, "data": data,
    })


def load_state(kind: str, data: dict) -> dict:
    """Load an entry's JSON state into Python values (aware datetimes, dates ...)."""
    return STATE_SCHEMAS[kind]().load(data)


def check_state(kind: str, data: dict) -> dict[str, list[str]]:
    """Everything wrong with an entry's JSON state, by field; empty when every consumer can show it."""
    try:
        state = load_state(kind, data)
    except ValidationError as exc:
        return {k: v if isinstance(v, list) else [str(v)] for k, v in exc.messages.items()}
    errors: dict[str, list[str]] = {}

    def add(field, messages):
        if messages:
            errors.setdefault(field, []).extend(messages)

    def texts(values: dict, prefix: str = ""):
        for field, value in values.items():
            if isinstance(value, str):
                check = (inputs.text_errors if field in MULTI_LINE else
                         inputs.email_errors if field in EMAILS else inputs.line_errors)
                add(prefix + field, check(value, LIMITS.get(field, 5000)))

    texts(state)
    for field in ("start", "end", "start_local", "created_at", "updated_at"):
        add(field, inputs.year_errors(state.get(field)))
    if "timezone" in state:
        try:
            recurrence.zone(state["timezone"])
        except recurrence.RuleError as exc:
            add("timezone", [str(exc)])
    for i, exc in enumerate(state.get("exceptions", [])):
        texts(exc, f"exceptions.{i}.")
        for field in ("date", "start", "end"):
            add(f"exceptions.{i}.{field}", inputs.year_errors(exc.get(field)))
    if kind == "series" and not errors:
        try:
            recurrence.normalize_rule(state["rrule"], state["start_local"], state["timezone"])
        except recurrence.RuleError as exc:
            add("rrule", [str(exc)])
    return errors
