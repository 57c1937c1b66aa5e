"""Checks shared by the use cases: a row looked up by id, one-line header text, known time zones, a place
that fits the format, sane times, active facilitators, the program's defaults. Each raises a problem before anything is written."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from docbox_shared import inputs, recurrence
from docbox_shared.problems import NotFound, ValidationProblem
from docbox_shared.recurrence import RuleError

from ..domain.places import place_errors
from ..models import Program, Staff, db

MAX_SESSION_LENGTH = timedelta(hours=24)


def _lookup(model, key: str, what: str):
    """The ``model`` row with primary key ``key``; NotFound ("No program 'x'.") otherwise."""
    row = db.session.get(model, key)
    if row is None:
        raise NotFound(f"No {what} {key!r}.")
    return row


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


def _place_value(data: dict, field: str) -> str | None:
    needed = {"location": ("in_person", "hybrid"), "video_url": ("virtual", "hybrid")}[field]
    return data.get(field) if data["format"] in needed else None


def _edited(entry, data: dict, fields: tuple[str, ...]) -> dict:
    """The one-off session's or series' ``fields`` as ``data`` edits them: a new format takes the program's
    defaults for the place it now needs, the place it does not need is cleared, and a place that does not fit
    the format is refused."""
    values = {f: data.get(f, getattr(entry, f)) for f in fields}
    if "format" in data:
        for field, default in (("location", entry.program.default_location),
                               ("video_url", entry.program.default_video_url)):
            values[field] = values[field] or default
    _check_place(values["format"], values["location"], values["video_url"])
    values["location"], values["video_url"] = _place_value(values, "location"), _place_value(values, "video_url")
    return values
