"""Tiny services made from the kit alone: one that publishes, one that consumes.

Neither imports a Doc Box service: each is a Flask app with its own database
(tables from ``db.create_all``), the kit's :class:`~docbox_shared.outbox.Outbox`
or :class:`~docbox_shared.inbox.Inbox`, and the kit's request ids, health and
metrics. They show what a new service writes to take part in events (the
skeleton service of issue 11 grows from them) and let a test run a signed
event from one database to another over real HTTP.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from docbox_shared import clock, events, frame
from docbox_shared.inbox import Inbox, ProcessedEventMixin, ReplicaEntryMixin
from docbox_shared.outbox import Outbox, OutboxDeliveryMixin, OutboxEventMixin


def _app(name: str, database_url: str, secret: str, **config) -> tuple[Flask, SQLAlchemy]:
    class Base(DeclarativeBase):
        pass

    app = Flask(name)
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url, EVENT_SECRETS=[secret], **config)
    db = SQLAlchemy(model_class=Base)
    db.init_app(app)
    frame.init_app(app, db, name)  # request ids, /healthz, /readyz, /metrics
    return app, db


def publisher(database_url: str, subscribers: list[str], secret: str) -> SimpleNamespace:
    """A service that publishes: ``publish(kind, state)`` writes the entry's next version into its outbox
    (committed, as a change of the service would be), ``outbox.deliver_due()`` (in ``app.app_context()``)
    delivers what is due, ``flask relay`` would deliver forever."""
    app, db = _app("publisher", database_url, secret, EVENT_SUBSCRIBERS=subscribers)

    class OutboxEvent(OutboxEventMixin, db.Model):
        pass

    class OutboxDelivery(OutboxDeliveryMixin, db.Model):
        pass

    outbox = Outbox(db, OutboxEvent, OutboxDelivery)
    outbox.init_app(app)
    with app.app_context():
        db.create_all()
    versions: dict[tuple[str, str], int] = {}

    def publish(kind: str, state: dict) -> int:
        version = versions[kind, state["id"]] = versions.get((kind, state["id"]), 0) + 1
        with app.app_context():
            outbox.publish(events.dump_event(event_id=uuid.uuid4(), occurred_at=clock.now(), kind=kind,
                                             entry_id=state["id"], version=version, state=state))
            db.session.commit()
        return version

    return SimpleNamespace(app=app, db=db, outbox=outbox, publish=publish)


def consumer(database_url: str, secret: str, on_change=None) -> SimpleNamespace:
    """A service that consumes: the signed ``POST /api/v1/events`` over its replica; ``entries()`` gives
    ``{(kind, entry_id): state}`` of what it holds, ``changes`` the entries its hook saw, in order."""
    app, db = _app("consumer", database_url, secret)

    class Entry(ReplicaEntryMixin, db.Model):
        pass

    class ProcessedEvent(ProcessedEventMixin, db.Model):
        pass

    changes: list[tuple[str, str, int]] = []

    def hook(entry, previous):
        changes.append((entry.kind, entry.entry_id, entry.version))
        if on_change is not None:
            on_change(entry, previous)

    inbox = Inbox(db, Entry, ProcessedEvent)
    inbox.init_app(app, hook)
    with app.app_context():
        db.create_all()

    def entries() -> dict:
        with app.app_context():
            return {(e.kind, e.entry_id): e.state for e in db.session.scalars(db.select(Entry))}

    return SimpleNamespace(app=app, db=db, inbox=inbox, entries=entries, changes=changes)


def dispose(*services: SimpleNamespace) -> None:
    """Close the services' connections (a PostgreSQL test database can then be dropped)."""
    for service in services:
        with service.app.app_context():
            service.db.session.remove()
            service.db.engine.dispose()
