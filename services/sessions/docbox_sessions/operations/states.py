"""Entry states and the outbox: what an event carries for a program, a one-off session or a series, and
the one place an entry's change is published (version bumped, event and deliveries written, not committed).

Words: an *entry* is a program, a one-off session or a series; its *state* is the whole entry as an event
carries it; a series' *span* is the earliest start and latest end of its occurrences.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

from flask import current_app, g, has_request_context
from marshmallow import ValidationError
from sqlalchemy import select

from docbox_shared import events, recurrence
from docbox_shared.problems import ValidationProblem

from ..clock import now
from ..models import OneOffSession, OutboxDelivery, OutboxEvent, Program, Series, db

UTC = timezone.utc


def program_state(p: Program) -> dict:
    return dict(id=p.id, slug=p.slug, name=p.name, description=p.description, timezone=p.timezone, open=p.open,
                default_format=p.default_format, default_location=p.default_location,
                default_video_url=p.default_video_url, email_subject=p.email_subject,
                created_at=p.created_dt, updated_at=p.updated_dt)


def _calendared(e) -> dict:
    return dict(id=e.id, program_id=e.program_id, title=e.title, description=e.description, format=e.format,
                location=e.location, video_url=e.video_url, timezone=e.timezone, capacity=e.capacity,
                created_at=e.created_dt, updated_at=e.updated_dt)


def session_state(s: OneOffSession) -> dict:
    return _calendared(s) | dict(start=s.start_dt, end=s.end_dt, status=s.status)


def series_state(s: Series, continuation: bool = True) -> dict:
    """The series as events carry it; ``continuation=False`` skips the query for the series that
    continues it (expanding occurrences does not need it: a listing stays one statement)."""
    return _calendared(s) | dict(
        start_local=s.start_local, duration_minutes=s.duration_minutes, rrule=s.rrule,
        continues_series_id=s.continues_series_id,
        # Consumers tell a split ("continued by") from an end: see update_series.
        continued_by_series_id=db.session.scalar(select(Series.id).where(Series.continues_series_id == s.id))
        if continuation else None,
        exceptions=[dict(date=x.date, status=x.status, start=x.start_dt, end=x.end_dt, location=x.location,
                         video_url=x.video_url, updated_at=x.updated_dt) for x in s.exceptions])


STATES = {"program": program_state, "session": session_state, "series": series_state}


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
    event = OutboxEvent(event_id=str(event_id), entry_kind=kind, entry_id=entry.id, version=entry.version,
                        body=json.dumps(body, separators=(",", ":")), created_dt=moment,
                        request_id=g.get("request_id") if has_request_context() else None)
    db.session.add(event)
    db.session.flush()
    for url in current_app.config["EVENT_SUBSCRIBERS"]:
        db.session.add(OutboxDelivery(outbox_event_id=event.id, subscriber=url, next_attempt_dt=moment,
                                      created_dt=moment))
    return event


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
            latest = db.session.scalars(select(OutboxEvent).where(
                OutboxEvent.entry_kind == kind, OutboxEvent.entry_id == entry.id
            ).order_by(OutboxEvent.version.desc()).limit(1)).first()
            if latest is None:
                latest = _publish(kind, entry)
            exists = db.session.scalar(select(OutboxDelivery).where(
                OutboxDelivery.outbox_event_id == latest.id, OutboxDelivery.subscriber == subscriber))
            if exists is None:
                db.session.add(OutboxDelivery(outbox_event_id=latest.id, subscriber=subscriber, next_attempt_dt=now()))
                count += 1
    return count
