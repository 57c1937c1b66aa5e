"""The consumer side of events: verify, apply once, keep only the newest version.

A consumer (calendar_sync, notifications) keeps its own copy of the calendar
in a table of *replica entries* (one row per program, one-off session or
series, holding the newest state it has seen) and an *inbox* table of
processed event ids. Both tables come from the mixins below, so every consumer
applies events the same way:

1. the signature and its timestamp are checked (:mod:`docbox_shared.signing`);
2. the envelope and the entry state are validated (:mod:`docbox_shared.events`,
   :func:`~docbox_shared.events.check_state`: the producer's own check);
3. in one transaction: a known event id is acknowledged and ignored; an older
   or equal version is recorded as processed and ignored; a newer one replaces
   the stored state, the consumer's ``on_change`` hook runs, and the event id
   is recorded. Any failure rolls all of it back and the relay retries.

A consumer declares the two tables on its own metadata and one :class:`Inbox`::

    class Entry(ReplicaEntryMixin, db.Model): pass
    class ProcessedEvent(ProcessedEventMixin, db.Model): pass
    inbox = Inbox(db, Entry, ProcessedEvent)

    inbox.init_app(app, on_change)   # the signed POST /api/v1/events
    inbox.programs(open_only=True)   # and the replica's questions every consumer asks
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from flask import Blueprint, Flask, current_app, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from . import events, recurrence, signing
from .clock import UTCDateTime
from .problems import Conflict, Unauthorized, ValidationProblem

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ProcessedEventMixin:
    """Inbox: ids of events already applied, written in the same transaction."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReplicaEntryMixin:
    """The newest state seen of one program, one-off session or series."""

    __tablename__ = "entries"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_id: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def state(self) -> dict:
        return events.load_state(self.kind, self.data)


OnChange = Callable[[object, dict | None], None]
"""Hook run inside the transaction: ``(entry row, previous JSON state or None)``."""


def apply_envelope(db, entry_model, processed_model, envelope: dict, on_change: OnChange | None = None) -> str:
    """Apply one loaded envelope; returns "applied", "stale" or "duplicate". Commits."""
    event_id = str(envelope["event_id"])
    session = db.session
    if session.get(processed_model, event_id) is not None:
        return "duplicate"
    kind, entry_id = envelope["entry_kind"], envelope["entry_id"]
    entry = session.execute(
        select(entry_model).where(entry_model.kind == kind, entry_model.entry_id == entry_id).with_for_update()
    ).scalar_one_or_none()
    outcome = "stale"
    if entry is None or entry.version < envelope["version"]:
        previous = None if entry is None else entry.data
        if entry is None:
            entry = entry_model(kind=kind, entry_id=entry_id)
            session.add(entry)
        entry.version = envelope["version"]
        entry.data = envelope["data"]
        entry.program_id = envelope["data"].get("program_id") if kind != "program" else entry_id
        entry.updated_at = utcnow()
        session.flush()
        if on_change is not None:
            on_change(entry, previous)
        outcome = "applied"
    session.add(processed_model(event_id=event_id, processed_at=utcnow()))
    try:
        session.commit()
    except IntegrityError:
        # Another worker applied this event or created this entry at the same time.
        session.rollback()
        raise Conflict("a concurrent delivery changed this entry; retry")
    return outcome


def events_blueprint(db, entry_model, processed_model, on_change: OnChange | None = None,
                     url: str = "/api/v1/events") -> Blueprint:
    """A blueprint with the signed endpoint the sessions relay delivers to.

    Secrets come from ``app.config["EVENT_SECRETS"]`` (a list; the first signs,
    all verify, so a secret can be rotated without downtime).
    """
    bp = Blueprint("events_inbox", __name__)

    @bp.post(url)
    def receive():
        body = request.get_data(cache=True)
        try:
            signing.verify(body, request.headers, current_app.config["EVENT_SECRETS"])
        except signing.SignatureError as exc:
            raise Unauthorized(f"event delivery refused: {exc}")
        try:
            envelope = events.Envelope().load(request.get_json(silent=False))
        except ValidationError as exc:
            raise ValidationProblem("the event does not match the schema", errors=exc.messages)
        errors = events.check_state(envelope["entry_kind"], envelope["data"])
        if errors:
            raise ValidationProblem("the event's entry is not valid", errors={"data": errors})
        outcome = apply_envelope(db, entry_model, processed_model, envelope, on_change)
        log.info("event %s", outcome, extra={"event_id": str(envelope["event_id"]),
                                           "entry_kind": envelope["entry_kind"], "version": envelope["version"]})
        return jsonify(status=outcome)

    return bp


def expand_entries(entries: Iterable, window_start: datetime, window_end: datetime) -> list[recurrence.Occurrence]:
    """Occurrences of replica entries (sessions and series) in a window, sorted by start."""
    result = []
    for entry in entries:
        if entry.kind in ("session", "series"):
            result.extend(recurrence.expand(entry.kind, entry.state, window_start, window_end))
    result.sort(key=lambda o: (o.start, o.id))
    return result


class Inbox:
    """One consumer's inbox and replica: its database, its two tables, and what reads them."""

    CALENDARED = ("session", "series")

    def __init__(self, db, entry_model, processed_model):
        self.db, self.Entry, self.Processed = db, entry_model, processed_model

    def init_app(self, app: Flask, on_change: OnChange | None = None, url: str = "/api/v1/events") -> Blueprint:
        """Register the signed events endpoint (``on_change`` runs in each applied event's transaction)."""
        blueprint = events_blueprint(self.db, self.Entry, self.Processed, on_change, url)
        app.register_blueprint(blueprint)
        return blueprint

    def entry(self, kind: str, entry_id: str):
        """The replica of one entry, or None."""
        return self.db.session.get(self.Entry, (kind, entry_id))

    def program_data(self, program_id: str) -> dict:
        """A program's JSON state as last received; empty for an unknown program."""
        program = self.entry("program", program_id)
        return program.data if program is not None else {}

    def programs(self, open_only: bool = False) -> list:
        """Known programs by name (only those marked ``open`` to faculty with ``open_only``)."""
        programs = self.db.session.scalars(select(self.Entry).where(self.Entry.kind == "program"))
        programs = [p for p in programs if p.data.get("open") or not open_only]
        return sorted(programs, key=lambda p: (p.data.get("name", "").casefold(), p.entry_id))

    def calendared(self, program_ids: Iterable[str]) -> list:
        """The one-off sessions and series of some programs."""
        return list(self.db.session.scalars(select(self.Entry).where(
            self.Entry.program_id.in_(list(program_ids)), self.Entry.kind.in_(self.CALENDARED))))

    def occurrences(self, program_ids: Iterable[str], start: datetime, end: datetime) -> list[recurrence.Occurrence]:
        """Occurrences of some programs overlapping [start, end), sorted by start."""
        return expand_entries(self.calendared(program_ids), start, end)
