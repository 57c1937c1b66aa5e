"""A skeleton service made from the kit alone (tests/shared/test_skeleton_service.py starts it).

It is what a new Doc Box service writes before its own domain: settings, tables,
the app, one published and one consumed kind of event, one kind of mail.
"""

from __future__ import annotations

import os
import uuid
from email.message import EmailMessage

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from docbox_shared import clock, events
from docbox_shared.database import NAMING_CONVENTION
from docbox_shared.frame import service_app
from docbox_shared.inbox import Inbox, ProcessedEventMixin, ReplicaEntryMixin
from docbox_shared.mail import SMTP_SETTINGS, MailQueue, StoredMessageMixin
from docbox_shared.outbox import SETTINGS as OUTBOX_SETTINGS
from docbox_shared.outbox import Outbox, OutboxDeliveryMixin, OutboxEventMixin
from docbox_shared.settings import COMMON, Setting

SETTINGS = COMMON + OUTBOX_SETTINGS + SMTP_SETTINGS + [
    Setting("DOCBOX_SKELETON_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "sqlite:///skeleton.sqlite",
            "SQLAlchemy URL of this service's database."),
]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class OutboxEvent(OutboxEventMixin, db.Model):
    pass


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    pass


class Entry(ReplicaEntryMixin, db.Model):
    pass


class ProcessedEvent(ProcessedEventMixin, db.Model):
    pass


class Outgoing(StoredMessageMixin, db.Model):
    __tablename__ = "outgoing_mail"


outbox = Outbox(db, OutboxEvent, OutboxDelivery)
inbox = Inbox(db, Entry, ProcessedEvent)
mail = MailQueue(db, Outgoing, now=clock.now)


def publish(kind: str, state: dict, version: int) -> None:
    """Write an entry's event in the transaction of its change (the caller commits)."""
    outbox.publish(events.dump_event(event_id=uuid.uuid4(), occurred_at=clock.now(), kind=kind,
                                     entry_id=state["id"], version=version, state=state))


def welcome(recipient: str) -> None:
    """One mail to one person through the durable queue (the caller commits)."""
    message = EmailMessage()
    message["Subject"] = "Welcome to the skeleton"
    message.set_content("Nothing to read here.")
    mail.enqueue(key=f"welcome:{recipient}", recipient=recipient, message=message)


def create_app(test_config: dict | None = None) -> Flask:
    app = service_app(__name__, "skeleton", SETTINGS, db, os.path.join(os.path.dirname(__file__), "migrations"),
                      test_config)
    outbox.init_app(app)
    inbox.init_app(app)

    @app.get("/programs")
    def programs():
        return jsonify([p.data["name"] for p in inbox.programs()])

    return app
