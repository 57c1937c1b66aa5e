"""The transactional outbox: any service publishes events in the transaction of its change.

Vocabulary:

- *outbox event*: one event's JSON body (an envelope of :mod:`.events`),
  written in the same transaction as the change it records, so a change and
  its event exist together or not at all.
- *delivery*: that event still to deliver (or delivered) to one *subscriber*,
  a consumer's ``/api/v1/events`` URL from ``DOCBOX_EVENT_SUBSCRIBERS``.
- *pending*: not delivered yet; *parked*: refused by the subscriber as
  invalid (4xx), kept but not retried until ``flask outbox retry-parked``.
- *relay*: the process that delivers (:mod:`.relay`).

A service declares the two tables on its own metadata and one :class:`Outbox`::

    class OutboxEvent(OutboxEventMixin, db.Model): pass
    class OutboxDelivery(OutboxDeliveryMixin, db.Model): pass
    outbox = Outbox(db, OutboxEvent, OutboxDelivery)

    outbox.init_app(app)        # gauges at /metrics, `flask relay`, `flask outbox retry-parked`
    outbox.publish(envelope)    # inside the change's transaction; the caller commits

and serves :meth:`Outbox.status` (schema :class:`OutboxStatus`) to its admins.
The column names are those of the sessions tables that came before the kit
(``created_dt`` ...), so sessions needed no migration; the attributes follow
the kit's ``_at`` naming.
"""

from __future__ import annotations

import json
import signal
from datetime import datetime

import click
from flask import Flask, current_app, g, has_request_context
from flask.cli import AppGroup, with_appcontext
from marshmallow import Schema, fields
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, case, func, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from . import clock
from .clock import UTCDateTime
from .settings import Setting, as_list

SETTINGS = [
    Setting("DOCBOX_EVENT_SUBSCRIBERS", "EVENT_SUBSCRIBERS", [],
            "Comma-separated URLs the relay delivers events to (each consumer's /api/v1/events).", as_list),
    Setting("DOCBOX_RELAY_MAX_BACKOFF", "RELAY_MAX_BACKOFF", 600.0,
            "Longest wait in seconds between two delivery attempts of one event.", float),
]
"""The settings of a service that publishes (add them to its ``config.SETTINGS``)."""


class OutboxEventMixin:
    """An event written in the same transaction as the change it records."""

    __tablename__ = "outbox_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    entry_kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))  # of the change: the relay forwards it
    created_at: Mapped[datetime] = mapped_column("created_dt", UTCDateTime, default=clock.now)


class OutboxDeliveryMixin:
    """One event still to deliver (or delivered) to one subscriber URL."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (UniqueConstraint("outbox_event_id", "subscriber"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column("next_attempt_dt", UTCDateTime, default=clock.now, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column("delivered_dt", UTCDateTime, index=True)
    # Set when the subscriber refused the event as invalid (4xx): not retried until an admin says so.
    parked_at: Mapped[datetime | None] = mapped_column("parked_dt", UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column("created_dt", UTCDateTime, default=clock.now)

    @declared_attr
    def outbox_event_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("outbox_events.id"), index=True)


class SubscriberStatus(Schema):
    subscriber = fields.String()
    pending = fields.Integer()
    parked = fields.Integer(metadata={"description": "Events the subscriber refused as invalid; not retried "
                                                     "until `flask outbox retry-parked`."})
    oldest_pending_age_seconds = fields.Float(allow_none=True)
    failing = fields.Boolean()
    max_attempts = fields.Integer()
    last_error = fields.String(allow_none=True)


class OutboxStatus(Schema):
    """What :meth:`Outbox.status` returns: pending and parked deliveries, by subscriber."""

    pending = fields.Integer()
    parked = fields.Integer()
    oldest_pending_age_seconds = fields.Float(allow_none=True)
    subscribers = fields.List(fields.Nested(SubscriberStatus))


GAUGES = {
    "docbox_outbox_pending": "Event deliveries not yet acknowledged.",
    "docbox_outbox_parked": "Event deliveries a subscriber refused as invalid, kept but not retried.",
    "docbox_outbox_oldest_pending_seconds": "Age of the oldest undelivered event.",
    "docbox_outbox_failing_subscribers": "Subscribers whose last delivery failed.",
}


class Outbox:
    """One service's outbox: its database, its two tables, and what works on them."""

    def __init__(self, db, event_model, delivery_model):
        self.db, self.Event, self.Delivery = db, event_model, delivery_model
        # More work the relay process does in each pass, e.g. a service's mail queue (sessions' staff
        # mail): ``work(stopped) -> bool`` (True: it did something, run again at once).
        self.also: list = []

    def init_app(self, app: Flask) -> None:
        """The outbox gauges at ``/metrics`` and the ``relay`` and ``outbox`` commands."""
        from .metrics import gauges
        gauges(app, self._gauges, GAUGES)
        app.cli.add_command(self.relay_command())
        app.cli.add_command(self.cli)

    # --- writing ---------------------------------------------------------------

    def publish(self, envelope: dict):
        """Write one JSON-ready envelope (:func:`.events.dump_event`) and a delivery to every subscriber.

        Not committed: the caller commits it with the change it records.
        """
        moment = clock.now()
        event = self.Event(event_id=str(envelope["event_id"]), entry_kind=envelope["entry_kind"],
                           entry_id=envelope["entry_id"], version=envelope["version"],
                           body=json.dumps(envelope, separators=(",", ":")), created_at=moment,
                           request_id=g.get("request_id") if has_request_context() else None)
        self.db.session.add(event)
        self.db.session.flush()
        for url in current_app.config["EVENT_SUBSCRIBERS"]:
            self.db.session.add(self.Delivery(outbox_event_id=event.id, subscriber=url, next_attempt_at=moment,
                                              created_at=moment))
        return event

    def latest(self, kind: str, entry_id: str):
        """The newest event of one entry, or None."""
        return self.db.session.scalars(select(self.Event).where(
            self.Event.entry_kind == kind, self.Event.entry_id == entry_id
        ).order_by(self.Event.version.desc()).limit(1)).first()

    def deliver_to(self, event, subscriber: str) -> bool:
        """Queue ``event`` for one more subscriber (a consumer added later); False when it was queued already."""
        exists = self.db.session.scalar(select(self.Delivery.id).where(
            self.Delivery.outbox_event_id == event.id, self.Delivery.subscriber == subscriber))
        if exists is None:
            self.db.session.add(self.Delivery(outbox_event_id=event.id, subscriber=subscriber,
                                              next_attempt_at=clock.now()))
        return exists is None

    def retry_parked(self, subscriber: str | None = None) -> int:
        """Make parked deliveries due again (after the subscriber was fixed); returns how many."""
        D = self.Delivery
        rows = self.db.session.scalars(select(D).where(
            D.delivered_at.is_(None), D.parked_at.is_not(None),
            *([D.subscriber == subscriber] if subscriber else []))).all()
        for row in rows:
            row.parked_at, row.attempts, row.next_attempt_at = None, 0, clock.now()
        return len(rows)

    # --- reading ---------------------------------------------------------------

    def status(self) -> dict:
        """Pending and parked deliveries, the oldest pending one's age, and each subscriber's state."""
        D, session, moment = self.Delivery, self.db.session, clock.now()
        undelivered, is_parked = D.delivered_at.is_(None), D.parked_at.is_not(None)
        rows = session.execute(
            select(D.subscriber, func.count(), func.sum(case((is_parked, 1), else_=0)),
                   func.min(case((is_parked, None), else_=D.created_at)), func.max(D.attempts))
            .where(undelivered).group_by(D.subscriber)).all()
        subscribers = []
        for subscriber, count, parked, oldest, max_attempts in rows:
            oldest = clock.aware(oldest)  # an aggregate comes back without the column's type
            last_error = session.scalar(select(D.last_error).where(
                undelivered, D.subscriber == subscriber, D.last_error.is_not(None)).order_by(D.id.desc()).limit(1))
            subscribers.append(dict(subscriber=subscriber, pending=count - parked, parked=parked,
                                    failing=max_attempts > 0,
                                    oldest_pending_age_seconds=(moment - oldest).total_seconds() if oldest else None,
                                    max_attempts=max_attempts, last_error=last_error))
        ages = [s["oldest_pending_age_seconds"] for s in subscribers if s["oldest_pending_age_seconds"] is not None]
        return dict(pending=sum(s["pending"] for s in subscribers), parked=sum(s["parked"] for s in subscribers),
                    oldest_pending_age_seconds=max(ages) if ages else None, subscribers=subscribers)

    def _gauges(self) -> dict:
        status = self.status()  # one computation a scrape serves all four gauges
        return {"docbox_outbox_pending": status["pending"], "docbox_outbox_parked": status["parked"],
                "docbox_outbox_oldest_pending_seconds": status["oldest_pending_age_seconds"] or 0,
                "docbox_outbox_failing_subscribers": sum(1 for s in status["subscribers"] if s["failing"])}

    # --- delivering --------------------------------------------------------------

    def deliver_due(self, limit: int | None = None, http=None) -> int:
        """Deliver what is due, one transaction a delivery; returns how many were attempted (:mod:`.relay`)."""
        from . import relay
        return relay.deliver_due(self, limit, http)

    def run_relay(self, poll_interval: float = 0.5, stop=lambda: False) -> None:
        """Deliver until ``stop()``; any error only delays it (:mod:`.relay`)."""
        from . import relay
        relay.run(self, poll_interval, stop)

    # --- commands ----------------------------------------------------------------

    def relay_command(self) -> click.Command:
        @click.command("relay", help="Deliver outbox events to DOCBOX_EVENT_SUBSCRIBERS until stopped.")
        @click.option("--once", is_flag=True, help="Deliver what is due now and exit.")
        @with_appcontext
        def relay_command(once: bool):
            if once:
                click.echo(f"attempted {self.deliver_due()} deliveries")
                for work in self.also:
                    work(lambda: False)
                return
            stopping = []
            signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
            try:
                self.run_relay(stop=lambda: bool(stopping))
            except KeyboardInterrupt:
                pass
        return relay_command

    @property
    def cli(self) -> AppGroup:
        """The ``outbox`` command group; a service may add its own commands to it (``republish``)."""
        if not hasattr(self, "_cli"):
            self._cli = AppGroup("outbox", help="The outbox of events.")

            @self._cli.command("retry-parked")
            @click.argument("subscriber", required=False)
            def retry_parked(subscriber: str | None):
                """Deliver again the events SUBSCRIBER (default: every one) refused as invalid, once it was fixed."""
                count = self.retry_parked(subscriber)
                self.db.session.commit()
                click.echo(f"{count} parked deliveries are due again")
        return self._cli
