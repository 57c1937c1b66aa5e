"""Tables of the notifications service.

Vocabulary:

- *entry* / *processed event*: the replica of the sessions calendar and the
  inbox of applied event ids (from :mod:`docbox_shared.inbox`).
- *occurrence record*: what this service last planned for one occurrence
  (start, end, place, status) and its ``sequence``, raised each time the
  occurrence changes. Keyed by the occurrence's first id: when a split hands
  the occurrence to the continuing series, ``entry_id`` and ``live_id`` (its
  id there) follow, and the record with its planned messages stays.
  ``announced`` holds the time and place last seen, ``previous`` what they
  were before the change a notice is about (the notice shows both).
- *subscriber*: one email address (stored because mail must reach it, never
  logged) with the programs it follows, its reminder offsets and whether it
  wants a weekly digest instead. ``email_hash`` is an HMAC of the normalised
  address: lookups and rate limits never need the address itself.
- *link*: a capability token (stored as its sha256) that lets whoever holds the
  email act for the subscriber: ``confirm`` (double opt-in, expires) or
  ``manage`` (manage page and one-click unsubscribe). Every message gets a
  fresh one, so the raw token exists only in that message.
- *delivery*: one message to send, a row of the kit's mail queue
  (:mod:`docbox_shared.mail`), keyed by (subscriber, occurrence, kind,
  sequence) so planning twice never sends twice, with a deterministic
  Message-ID; the worker moves it from ``pending`` to ``sent`` (or ``failed``
  after a day of temporary errors, ``bounced`` on a permanent one, ``dropped``
  when it is no longer useful). ``held`` is this service's own: the worker
  leaves the row alone while its occurrence waits for the continuation of a
  split series to arrive.
- *digest line*: an occurrence a weekly digest listed. Its reader was told of
  the occurrence (as a reminder tells), so deleting it sends them a
  cancellation; stored before the digest is sent, and what it shows.
- *rate hit*: one counted request under an HMAC'd key (client or email), so
  limits hold across processes.
"""

from __future__ import annotations

from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from docbox_shared.clock import UTCDateTime, now
from docbox_shared.database import NAMING_CONVENTION
from docbox_shared.inbox import Inbox, ProcessedEventMixin, ReplicaEntryMixin
from docbox_shared.mail import MailMixin


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class Entry(ReplicaEntryMixin, db.Model):
    pass


class ProcessedEvent(ProcessedEventMixin, db.Model):
    pass


inbox = Inbox(db, Entry, ProcessedEvent)


class OccurrenceRecord(db.Model):
    __tablename__ = "occurrences"
    occurrence_id: Mapped[str] = mapped_column(String(80), primary_key=True)   # the first id, kept
    live_id: Mapped[str] = mapped_column(String(80), index=True)               # its id in entry_id now
    entry_kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    program_id: Mapped[str] = mapped_column(String(64), index=True)
    start_at: Mapped[datetime] = mapped_column("start_dt", UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column("end_dt", UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))          # scheduled | cancelled | continued
    fingerprint: Mapped[str] = mapped_column(String(80))     # "<when and where>:<the rest>" hashes
    announced: Mapped[dict | None] = mapped_column(JSON)     # start, end, location, video_url, format
    previous: Mapped[dict | None] = mapped_column(JSON)      # the same before the change being noticed
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Subscriber(db.Model):
    __tablename__ = "subscribers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")   # pending | active | paused
    offsets: Mapped[list] = mapped_column(JSON)                         # minutes before the start
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))            # of the digest; default: first program's
    requested: Mapped[dict | None] = mapped_column(JSON)                # waiting for the confirm link
    requests: Mapped[int] = mapped_column(Integer, default=0)          # sequence of confirmation emails
    bounces: Mapped[int] = mapped_column(Integer, default=0)            # permanent failures in a row
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    programs: Mapped[list[Following]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                     order_by="Following.program_id")

    @property
    def program_ids(self) -> list[str]:
        return [f.program_id for f in self.programs]


class Following(db.Model):
    """A subscriber follows a program (only once confirmed)."""

    __tablename__ = "followings"
    subscriber_id: Mapped[str] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Link(db.Model):
    __tablename__ = "links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))                   # confirm | manage
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(MailMixin, db.Model):
    """One message (:mod:`docbox_shared.mail`), built when it is sent: it carries a fresh token."""

    __tablename__ = "deliveries"
    subscriber_id: Mapped[str] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))        # confirm | reminder | moved | restored | cancelled | digest
    occurrence_id: Mapped[str | None] = mapped_column(String(80))
    offset_minutes: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        *MailMixin.queue_indexes("deliveries"),
        Index("ix_deliveries_occurrence_subscriber", "occurrence_id", "subscriber_id"),
    )


class DigestLine(db.Model):
    """One occurrence one digest listed (see the module's vocabulary)."""

    __tablename__ = "digest_lines"
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True)
    occurrence_id: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class RateHit(db.Model):
    __tablename__ = "rate_hits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_rate_hits_key_at", "key", "at"),)


class WorkerState(db.Model):
    """Small facts the workers share, e.g. how far ahead reminders are planned."""

    __tablename__ = "worker_state"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value_at: Mapped[datetime | None] = mapped_column("value_dt", UTCDateTime)
