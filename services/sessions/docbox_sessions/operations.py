"""Use cases of the sessions service.

Each function changes state and, for calendar entries (programs, one-off
sessions, series), writes the entry's event into the outbox in the same
transaction: callers commit once, so a change and its event exist together or
not at all. Functions raise :mod:`docbox_shared.problems` errors for bad input
before touching anything.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from docbox_shared import events, inputs, recurrence
from docbox_shared.clock import now
from docbox_shared.problems import Conflict, Forbidden, NotFound, ValidationProblem
from docbox_shared.recurrence import RuleError

from .domain.places import place_errors
from .models import (AttendanceAudit, AttendanceCount, OneOffSession, OutboxEvent, Program, Series, SeriesException,
                     Staff, db, outbox)
from .states import STATES, program_state, series_state, session_state  # noqa: F401 - callers use these names here

MAX_SESSION_LENGTH = timedelta(hours=24)
UTC = timezone.utc


class NotStarted(Conflict):
    type = "urn:docbox:problem:not-started"
    title = "The occurrence has not started yet"


class Started(Conflict):
    type = "urn:docbox:problem:passed"
    title = "The occurrence has passed"


class Cancelled(Conflict):
    type = "urn:docbox:problem:cancelled"
    title = "The occurrence is cancelled"


# --- entry states and the outbox ---------------------------------------------

def _publish(kind: str, entry, new: bool = False) -> OutboxEvent:
    """Bump the entry's version and write its event and deliveries (not committed)."""
    moment = now()
    entry.version = 1 if new else entry.version + 1
    entry.updated_dt = moment
    if new:
        entry.created_dt = moment
    if kind == "series":  # every change of a series is published: its span is kept here
        entry.span_start_dt, entry.span_end_dt = series_span(series_state(entry, continuation=False))
    db.session.flush()
    event_id = uuid.uuid4()
    try:  # the consumers' own check: what they would refuse is refused here, before anything is written
        body = events.dump_event(event_id=event_id, occurred_at=moment, kind=kind, entry_id=entry.id,
                                 version=entry.version, state=STATES[kind](entry))
    except ValidationError as exc:
        raise ValidationProblem("The change could not be shown in every calendar.", errors=exc.messages)
    return outbox.publish(body)


def series_span(state: dict) -> tuple[datetime, datetime]:
    """The earliest start and latest end of a series' occurrences, moved and cancelled ones included.

    Every occurrence lies within it, so a window this span does not overlap holds none of them.
    """
    tz = recurrence.zone(state["timezone"])
    duration = timedelta(minutes=state["duration_minutes"])
    dates = recurrence.rule_dates(state) or [state["start_local"]]
    starts = [recurrence.localize(dates[0], tz)]
    ends = [recurrence.localize(dates[-1], tz) + duration]
    for exc in state.get("exceptions", []):
        if exc.get("start") and exc.get("end"):
            starts.append(exc["start"])
            ends.append(exc["end"])
    return min(starts).astimezone(UTC), max(ends).astimezone(UTC)


def republish_all(subscriber: str) -> int:
    """Queue the newest event of every entry for one subscriber (a consumer added later)."""
    count = 0
    for kind, model in (("program", Program), ("session", OneOffSession), ("series", Series)):
        for entry in db.session.scalars(select(model)):
            latest = outbox.latest(kind, entry.id) or _publish(kind, entry)
            count += outbox.deliver_to(latest, subscriber)
    return count


# --- programs ----------------------------------------------------------------

def _check_header_text(data: dict) -> None:
    """Names, titles and subjects go into email headers and calendar entries: one line each."""
    errors = {field: messages for field in ("name", "title", "email_subject")
              if isinstance(data.get(field), str) and (messages := inputs.line_errors(data[field]))}
    if errors:
        raise ValidationProblem("Names, titles and subjects must be one line.", errors=errors)


def _check_zone(name: str, field: str = "timezone") -> None:
    try:
        recurrence.zone(name)
    except RuleError:
        raise ValidationProblem(f"Unknown time zone {name!r}.", errors={field: ["Use an IANA zone such as Europe/Berlin."]})


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "program"


def create_program(data: dict) -> Program:
    _check_header_text(data)
    _check_zone(data["timezone"])
    data.setdefault("slug", _slugify(data["name"]))
    _check_program_defaults(data)
    if db.session.scalar(select(Program).where(Program.slug == data["slug"])):
        raise Conflict(f"A program with slug {data['slug']!r} exists already.", errors={"slug": ["Already taken."]})
    program = Program(**data)
    db.session.add(program)
    _publish("program", program, new=True)
    return program


def update_program(program: Program, data: dict) -> Program:
    _check_header_text(data)
    if "timezone" in data:
        _check_zone(data["timezone"])
    if "slug" in data and data["slug"] != program.slug and db.session.scalar(select(Program).where(Program.slug == data["slug"])):
        raise Conflict(f"A program with slug {data['slug']!r} exists already.", errors={"slug": ["Already taken."]})
    merged = {k: getattr(program, k) for k in ("default_format", "default_location", "default_video_url")} | data
    _check_program_defaults(merged)
    if all(getattr(program, k) == v for k, v in data.items()):
        return program
    for key, value in data.items():
        setattr(program, key, value)
    _publish("program", program)
    return program


def _check_program_defaults(data: dict) -> None:
    video = data.get("default_video_url")
    if video:
        errors = place_errors("virtual", None, video)
        if errors:
            raise ValidationProblem("The default video link is not valid.", errors={"default_video_url": errors["video_url"]})


def get_program(program_id: str) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound(f"No program {program_id!r}.")
    return program


# --- shared checks for sessions and series ------------------------------------

def _program_for(data: dict) -> Program:
    program = db.session.get(Program, data["program_id"])
    if program is None:
        raise ValidationProblem("Unknown program.", errors={"program_id": ["No program with this id."]})
    return program


def _apply_defaults(data: dict, program: Program) -> None:
    data.setdefault("timezone", program.timezone)
    data.setdefault("format", program.default_format)
    if not data.get("format"):
        raise ValidationProblem("Choose a format.", errors={"format": ["Missing data for required field."]})
    if data["format"] in ("in_person", "hybrid"):
        data.setdefault("location", program.default_location)
    if data["format"] in ("virtual", "hybrid"):
        data.setdefault("video_url", program.default_video_url)


def _check_place(format: str, location: str | None, video_url: str | None) -> None:
    errors = place_errors(format, location, video_url)
    if errors:
        raise ValidationProblem("The place does not fit the format.", errors=errors)


def _check_times(start: datetime, end: datetime, start_field: str = "start", end_field: str = "end") -> None:
    if end <= start:
        raise ValidationProblem("The end must come after the start.", errors={end_field: ["Must be after the start."]})
    if end - start > MAX_SESSION_LENGTH:
        raise ValidationProblem("A session lasts at most 24 hours.", errors={end_field: ["At most 24 hours after the start."]})


def _facilitators(ids: list[int]) -> list[Staff]:
    staff = list(db.session.scalars(select(Staff).where(Staff.id.in_(ids), Staff.active.is_(True)))) if ids else []
    missing = set(ids) - {s.id for s in staff}
    if missing:
        raise ValidationProblem("Unknown facilitator.", errors={"facilitator_ids": [f"No active staff member {i}." for i in sorted(missing)]})
    if any(s.role == "viewer" for s in staff):
        raise ValidationProblem("Viewers cannot facilitate.", errors={"facilitator_ids": ["A viewer cannot facilitate."]})
    return staff


# --- one-off sessions --------------------------------------------------------

def create_session(data: dict) -> OneOffSession:
    _check_header_text(data)
    program = _program_for(data)
    _apply_defaults(data, program)
    _check_zone(data["timezone"])
    _check_times(data["start"], data["end"])
    _check_place(data["format"], data.get("location"), data.get("video_url"))
    facilitators = _facilitators(data.pop("facilitator_ids", []))
    session = OneOffSession(program_id=program.id, title=data["title"], description=data.get("description", ""),
                            format=data["format"], location=_place_value(data, "location"),
                            video_url=_place_value(data, "video_url"), timezone=data["timezone"],
                            capacity=data.get("capacity"), start_dt=data["start"], end_dt=data["end"],
                            facilitators=facilitators)
    db.session.add(session)
    _publish("session", session, new=True)
    return session


_SESSION_FIELDS = ("title", "description", "format", "location", "video_url", "capacity")


def update_session(session: OneOffSession, data: dict) -> OneOffSession:
    """Edit a one-off session's details (its time and place move through :func:`move_occurrence`)."""
    _check_header_text(data)
    values = {f: data.get(f, getattr(session, f)) for f in _SESSION_FIELDS}
    if "format" in data:  # a new format takes the program's defaults for what it now needs
        for field, default in (("location", session.program.default_location),
                               ("video_url", session.program.default_video_url)):
            values[field] = values[field] or default
    _check_place(values["format"], values["location"], values["video_url"])
    values["location"], values["video_url"] = _place_value(values, "location"), _place_value(values, "video_url")
    facilitators = _facilitators(data["facilitator_ids"]) if "facilitator_ids" in data else list(session.facilitators)
    if all(getattr(session, f) == v for f, v in values.items()) and facilitators == list(session.facilitators):
        return session
    for field, value in values.items():
        setattr(session, field, value)
    session.facilitators = facilitators
    _publish("session", session)
    return session


def get_session(session_id: str) -> OneOffSession:
    session = db.session.get(OneOffSession, session_id)
    if session is None:
        raise NotFound(f"No session {session_id!r}.")
    return session


def _place_value(data: dict, field: str) -> str | None:
    needed = {"location": ("in_person", "hybrid"), "video_url": ("virtual", "hybrid")}[field]
    return data.get(field) if data["format"] in needed else None


# --- series ------------------------------------------------------------------

def _local_start(start: datetime, tz_name: str) -> datetime:
    """The local wall time of a start given with offset (or as local wall time)."""
    tz = recurrence.zone(tz_name)
    return start.astimezone(tz).replace(tzinfo=None, microsecond=0) if start.tzinfo else start.replace(microsecond=0)


def _normalized_rule(rule: str, start_local: datetime, tz_name: str) -> str:
    try:
        return recurrence.normalize_rule(rule, start_local, tz_name)
    except RuleError as exc:
        raise ValidationProblem(f"The recurrence rule is not accepted: {exc}.", errors={"rrule": [str(exc)]})


def create_series(data: dict) -> Series:
    _check_header_text(data)
    program = _program_for(data)
    _apply_defaults(data, program)
    _check_zone(data["timezone"])
    _check_place(data["format"], data.get("location"), data.get("video_url"))
    start_local = _local_start(data["start"], data["timezone"])
    rule = _normalized_rule(data["rrule"], start_local, data["timezone"])
    facilitators = _facilitators(data.pop("facilitator_ids", []))
    series = Series(program_id=program.id, title=data["title"], description=data.get("description", ""),
                    format=data["format"], location=_place_value(data, "location"),
                    video_url=_place_value(data, "video_url"), timezone=data["timezone"],
                    capacity=data.get("capacity"), start_local=start_local,
                    duration_minutes=data["duration_minutes"], rrule=rule, facilitators=facilitators)
    db.session.add(series)
    _publish("series", series, new=True)
    return series


def get_series(series_id: str) -> Series:
    series = db.session.get(Series, series_id)
    if series is None:
        raise NotFound(f"No series {series_id!r}.")
    return series


def _next_rule_start(series: Series, moment: datetime) -> datetime | None:
    """Local start of the first occurrence (by the rule) that has not started at ``moment``."""
    tz = recurrence.zone(series.timezone)
    for local in recurrence.rule_dates(series_state(series)):
        if recurrence.localize(local, tz) > moment:
            return local
    return None


_SERIES_FIELDS = ("title", "description", "format", "location", "video_url", "capacity", "duration_minutes")


def update_series(series: Series, data: dict) -> Series:
    """Edit a series; the change applies to occurrences that have not started.

    A series none of whose occurrences has started is edited in place. Otherwise
    it is split, as calendar clients do for "this and following events": the
    series ends before the next occurrence, and a new series (with
    ``continues_series_id`` pointing back) carries the edit from there on.
    Past occurrences keep their ids, attendance and details; the returned
    series is the one holding the future.
    """
    _check_header_text(data)
    moment = now()
    tz_name = data.get("timezone", series.timezone)
    _check_zone(tz_name)
    started = recurrence.localize(series.start_local, recurrence.zone(series.timezone)) <= moment
    next_local = _next_rule_start(series, moment) if started else series.start_local
    if next_local is None:
        raise Conflict("Every occurrence of this series has started; there is nothing left to edit.")
    facilitators = _facilitators(data["facilitator_ids"]) if "facilitator_ids" in data else list(series.facilitators)
    values = {f: data.get(f, getattr(series, f)) for f in _SERIES_FIELDS}
    if "format" in data:  # a new format takes the program's defaults for what it now needs
        for field, default in (("location", series.program.default_location), ("video_url", series.program.default_video_url)):
            if not values[field]:
                values[field] = default
    _check_place(values["format"], values["location"], values["video_url"])
    values["location"] = _place_value(values, "location")
    values["video_url"] = _place_value(values, "video_url")
    if "start" in data:
        start_local = _local_start(data["start"], tz_name)
        if recurrence.localize(start_local, recurrence.zone(tz_name)) <= moment and started:
            raise ValidationProblem("The edited series must start in the future.", errors={"start": ["Must be in the future."]})
    else:
        start_local = datetime.combine(next_local.date(), series.start_local.time())
    rule_text = data.get("rrule") or _remaining_rule(series, next_local.date())
    rule = _normalized_rule(rule_text, start_local, tz_name)
    split_day = next_local.date()
    kept_exceptions = [x for x in series.exceptions if x.date >= split_day]

    if not started:
        target = series
    else:
        target = Series(program_id=series.program_id, continues_series_id=series.id)
        try:
            series.rrule = recurrence.end_rule_before(series.rrule, series.start_local, series.timezone, split_day)
        except RuleError as exc:
            raise ValidationProblem(str(exc))
        for x in kept_exceptions:
            series.exceptions.remove(x)
        db.session.add(target)
    for field, value in values.items():
        setattr(target, field, value)
    target.timezone, target.start_local, target.rrule, target.facilitators = tz_name, start_local, rule, facilitators
    valid_days = {d.date() for d in recurrence.rule_dates(series_state(target))} if kept_exceptions else set()
    if target is series:
        for x in list(series.exceptions):
            if x.date not in valid_days:
                series.exceptions.remove(x)
    else:
        for x in kept_exceptions:
            if x.date in valid_days:
                target.exceptions.append(SeriesException(date=x.date, status=x.status, start_dt=x.start_dt,
                                                         end_dt=x.end_dt, location=x.location,
                                                         video_url=x.video_url, updated_dt=moment))
        _publish("series", series)
    _publish("series", target, new=target is not series)
    return target


def _remaining_rule(series: Series, split_day: date) -> str:
    """The series' rule for the part from ``split_day`` on (COUNT reduced by what came before)."""
    match = re.search(r"COUNT=(\d+)", series.rrule)
    if not match:
        return series.rrule
    before = sum(1 for d in recurrence.rule_dates(series_state(series)) if d.date() < split_day)
    return series.rrule.replace(match.group(0), f"COUNT={int(match.group(1)) - before}")


def end_series(series: Series, day: date) -> Series:
    """No occurrence on or after local ``day``: the rule gets an UNTIL."""
    if day <= series.start_local.date():
        raise ValidationProblem("The series would have no occurrence left; cancel its occurrences instead.",
                                errors={"on": ["Must be after the first occurrence."]})
    rule = recurrence.end_rule_before(series.rrule, series.start_local, series.timezone, day)
    if rule == series.rrule:
        return series
    series.rrule = rule
    for x in [x for x in series.exceptions if x.date >= day]:
        series.exceptions.remove(x)
    _publish("series", series)
    return series


# --- occurrences -------------------------------------------------------------

def find_occurrence(occurrence_id: str):
    """``(kind, entry, occurrence)`` for an occurrence id; NotFound otherwise."""
    entry_id, day = recurrence.split_occurrence_id(occurrence_id)
    if day is None:
        session = db.session.get(OneOffSession, entry_id)
        if session is not None:
            return "session", session, recurrence.occurrence("session", session_state(session))
    else:
        series = db.session.get(Series, entry_id)
        if series is not None:
            occ = recurrence.occurrence("series", series_state(series), day)
            if occ is not None:
                return "series", series, occ
    raise NotFound(f"No occurrence {occurrence_id!r}.")


def list_occurrences(start: datetime, end: datetime, program_id: str | None = None) -> list[recurrence.Occurrence]:
    """Occurrences overlapping [start, end), soonest first, in two statements whatever the data:
    the one-off sessions, and the series whose span overlaps the window joined with their exceptions
    (a selectin load would split into batches of 500 series)."""
    sessions = select(OneOffSession).where(OneOffSession.start_dt < end, OneOffSession.end_dt > start)
    series = (select(Series).where(Series.span_start_dt < end, Series.span_end_dt > start)
              .options(joinedload(Series.exceptions)))
    if program_id:
        sessions = sessions.where(OneOffSession.program_id == program_id)
        series = series.where(Series.program_id == program_id)
    result = [recurrence.occurrence("session", session_state(s)) for s in db.session.scalars(sessions)]
    for s in db.session.scalars(series).unique():
        result.extend(recurrence.expand("series", series_state(s, continuation=False), start, end))
    result.sort(key=lambda o: (o.start, o.id))
    return result


def move_occurrence(occurrence_id: str, data: dict) -> recurrence.Occurrence:
    """Move one occurrence (time and/or place). A one-off session is edited itself."""
    kind, entry, occ = find_occurrence(occurrence_id)
    if occ.status == "cancelled":
        raise Cancelled("A cancelled occurrence cannot be moved.")
    start = data.get("start", occ.start)
    end = data.get("end", start + (occ.end - occ.start) if "start" in data else occ.end)
    _check_times(start, end)
    location = data.get("location", occ.location)
    video_url = data.get("video_url", occ.video_url)
    _check_place(entry.format, location, video_url)
    if (start, end, location, video_url) == (occ.start, occ.end, occ.location, occ.video_url):
        return occ
    if kind == "session":
        entry.start_dt, entry.end_dt, entry.location, entry.video_url = start, end, location, video_url
    else:
        exc = _exception(entry, occ.recurrence_date)
        exc.start_dt, exc.end_dt = start, end
        exc.location = location if location != entry.location else None
        exc.video_url = video_url if video_url != entry.video_url else None
        exc.updated_dt = now()
    _publish(kind, entry)
    return find_occurrence(occurrence_id)[2]


def cancel_occurrence(occurrence_id: str) -> recurrence.Occurrence:
    kind, entry, occ = find_occurrence(occurrence_id)
    if occ.status == "cancelled":
        return occ
    if kind == "session":
        entry.status = "cancelled"
    else:
        exc = _exception(entry, occ.recurrence_date)
        exc.status, exc.updated_dt = "cancelled", now()
    _publish(kind, entry)
    return find_occurrence(occurrence_id)[2]


def restore_occurrence(occurrence_id: str) -> recurrence.Occurrence:
    """Undo a cancellation: the occurrence takes place after all, where and when it was to take
    place (a moved one keeps its move). Subscribers who were told of the cancellation are told
    again. Only one still ahead: a cancelled occurrence that has passed stays as it was."""
    kind, entry, occ = find_occurrence(occurrence_id)
    if occ.status != "cancelled":
        return occ
    if occ.start <= now():
        raise Started("This occurrence has passed; only one still ahead can be restored.")
    if kind == "session":
        entry.status = "scheduled"
    else:
        exc = _exception(entry, occ.recurrence_date)
        exc.status, exc.updated_dt = "scheduled", now()
    _publish(kind, entry)
    return find_occurrence(occurrence_id)[2]


def _exception(series: Series, day: date) -> SeriesException:
    exc = next((x for x in series.exceptions if x.date == day), None)
    if exc is None:
        exc = SeriesException(date=day, status="scheduled", updated_dt=now())
        series.exceptions.append(exc)
    return exc


# --- attendance --------------------------------------------------------------

def can_record_attendance(staff: Staff, entry) -> bool:
    return staff.role in ("admin", "organizer") or any(f.id == staff.id for f in entry.facilitators)


def record_attendance(occurrence_id: str, staff: Staff, counts: dict) -> AttendanceCount:
    """Record (or replace) how many came; the audit line names the staff member, never an attendee."""
    _kind, entry, occ = find_occurrence(occurrence_id)
    if not can_record_attendance(staff, entry):
        raise Forbidden("Only an organizer or a facilitator of this session may record its attendance.")
    if occ.status == "cancelled":
        raise Cancelled("A cancelled occurrence has no attendance.")
    if occ.start > now():
        raise NotStarted("Attendance can be recorded once the session has started.")
    allowed = {"in_person": occ.format in ("in_person", "hybrid"), "virtual": occ.format in ("virtual", "hybrid")}
    errors = {}
    for field, ok in allowed.items():
        if ok and counts.get(field) is None:
            errors[field] = [f"Required for a {occ.format.replace('_', '-')} session."]
        if not ok and counts.get(field) is not None:
            errors[field] = [f"A {occ.format.replace('_', '-')} session has no {field.replace('_', '-')} count."]
    if errors:
        raise ValidationProblem("The counts do not fit the session's format.", errors=errors)
    row = db.session.get(AttendanceCount, occurrence_id) or AttendanceCount(occurrence_id=occurrence_id)
    row.in_person, row.virtual, row.recorded_dt = counts.get("in_person"), counts.get("virtual"), now()
    db.session.add(row)
    db.session.add(AttendanceAudit(occurrence_id=occurrence_id, recorded_by_staff_id=staff.id, recorded_dt=row.recorded_dt))
    return row
