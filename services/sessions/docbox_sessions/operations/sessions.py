"""One-off sessions: create, edit details, find (their time and place move through
:func:`~docbox_sessions.operations.occurrences.move_occurrence`)."""

from __future__ import annotations

from ..models import OneOffSession, db
from .checks import (
    _apply_defaults,
    _check_header_text,
    _check_place,
    _check_times,
    _check_zone,
    _edited,
    _facilitators,
    _lookup,
    _place_value,
    _program_for,
)
from .states import _publish


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
                            capacity=data.get("capacity"), start_at=data["start"], end_at=data["end"],
                            facilitators=facilitators)
    db.session.add(session)
    _publish("session", session, new=True)
    return session


_SESSION_FIELDS = ("title", "description", "format", "location", "video_url", "capacity")


def update_session(session: OneOffSession, data: dict) -> OneOffSession:
    """Edit a one-off session's details (its time and place move through :func:`.occurrences.move_occurrence`)."""
    _check_header_text(data)
    values = _edited(session, data, _SESSION_FIELDS)
    facilitators = _facilitators(data["facilitator_ids"]) if "facilitator_ids" in data else list(session.facilitators)
    if all(getattr(session, f) == v for f, v in values.items()) and facilitators == list(session.facilitators):
        return session
    for field, value in values.items():
        setattr(session, field, value)
    session.facilitators = facilitators
    _publish("session", session)
    return session


def get_session(session_id: str) -> OneOffSession:
    return _lookup(OneOffSession, session_id, "session")
