"""The one place an entry's change is published (version bumped, its state from :mod:`..states`
dumped with the event schemas, event and deliveries written through the kit's outbox, not committed).

Words: an *entry* is a program, a one-off session or a series; its *state* is the whole entry as an event
carries it; a series' *span* is the earliest start and latest end of its occurrences (:func:`docbox_sessions.derived.series_span`).
"""

from __future__ import annotations

import uuid

from marshmallow import ValidationError
from sqlalchemy import select

from docbox_shared import events
from docbox_shared.clock import now
from docbox_shared.problems import ValidationProblem

from .. import derived, held, listed
from ..derived import series_span
from ..models import OneOffSession, OutboxEvent, Program, Series, db, outbox
from ..states import STATES, program_state, series_state, session_state  # noqa: F401 - re-exported


def _publish(kind: str, entry, new: bool = False, deleted: bool = False) -> OutboxEvent:
    """Bump the entry's version and write its event and deliveries (not committed).

    ``deleted``: the entry's last event, its state marked deleted (the caller then deletes the row)."""
    moment = now()
    entry.version = 1 if new else entry.version + 1
    entry.updated_at = moment
    if new:
        entry.created_at = moment
    span = None
    if kind == "series":  # every change of a series is published: its span is kept here
        span = series_span(series_state(entry, continuation=False))
        entry.span_start_at, entry.span_end_at = span
    db.session.flush()
    event_id = uuid.uuid4()
    state = STATES[kind](entry) | ({"deleted": True} if deleted else {})
    try:  # the consumers' own check: what they would refuse is refused here, before anything is written
        body = events.dump_event(event_id=event_id, occurred_at=moment, kind=kind, entry_id=entry.id,
                                 version=entry.version, state=state)
    except ValidationError as exc:
        raise ValidationProblem("The change could not be shown in every calendar.", errors=exc.messages)
    if kind in ("session", "series"):
        occurrences = derived.occurrences(kind, state, span)  # expanded once, for both tables
        held.store(entry.id, occurrences)  # the occurrences the exact statistics count, as of this change
        listed.store(entry.id, occurrences)  # and when each occurrence takes place, for the list
    return outbox.publish(body)


def republish_all(subscriber: str) -> int:
    """Queue the newest event of every entry for one subscriber (a consumer added later)."""
    count = 0
    for kind, model in (("program", Program), ("session", OneOffSession), ("series", Series)):
        for entry in db.session.scalars(select(model)):
            latest = outbox.latest(kind, entry.id) or _publish(kind, entry)
            count += outbox.deliver_to(latest, subscriber)
    return count
