"""Tables of calendar_sync.

Vocabulary:

- *entry*: the replica of one program, one-off session or series, as the
  sessions service last published it (``entries``, from ``docbox_shared``).
- *program revision*: a counter and a time per program that move forward on
  every change of anything shown for that program, including an entry that
  leaves it. Feed validators (ETag, Last-Modified) are built from them, so a
  feed can answer ``304`` without reading a single entry.
- *feed*: a capability URL for a set of programs; only the sha256 of its token
  is stored.
- *feed body*: one rendered calendar per *variant* (a set of programs and the
  feed options), shared by every feed with that variant, with its ETag and
  Last-Modified. Each applied event moves the ETag and clears the body of the
  variants it touches in its own transaction; the first request after that
  renders the body once and stores it for every worker and replica
  (:mod:`.feeds`).
- *target*: a CalDAV calendar an admin asked us to push to; its password is
  stored encrypted (:mod:`docbox_shared.keys`).
- *push item*: one entry as it should be on one target. ``wanted_seq`` grows on
  every change, ``pushed_seq`` records what the worker last wrote, so a change
  that lands while the worker is busy is never lost.
- *conflict*: the remote copy differed from what we last wrote (edited or
  deleted by someone else); Doc Box's version was put back.

Instants are columns of :class:`docbox_shared.clock.UTCDateTime`: aware UTC in
and out, on SQLite too.
"""

from __future__ import annotations

from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from docbox_shared.clock import UTCDateTime
from docbox_shared.inbox import Inbox, ProcessedEventMixin, ReplicaEntryMixin


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Entry(ReplicaEntryMixin, db.Model):
    pass


class ProcessedEvent(ProcessedEventMixin, db.Model):
    pass


inbox = Inbox(db, Entry, ProcessedEvent)


class ProgramRevision(db.Model):
    __tablename__ = "program_revisions"
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedBody(db.Model):
    __tablename__ = "feed_bodies"
    variant: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_ids: Mapped[list] = mapped_column(JSON)
    hide_cancelled: Mapped[bool] = mapped_column(Boolean)
    alarm_minutes_before: Mapped[int | None] = mapped_column(Integer, nullable=True)
    staff_created: Mapped[bool] = mapped_column(Boolean, default=False)
    render_key: Mapped[str | None] = mapped_column(String(100), nullable=True)  # renderer version and settings
    generation: Mapped[int] = mapped_column(Integer, default=0)  # moves with every change of what it shows
    etag: Mapped[str | None] = mapped_column(String(64), nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # None: to be rendered
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # a renderer's claim


class FeedBodyProgram(db.Model):
    """Which variants show a program: an event finds the bodies it makes stale here."""

    __tablename__ = "feed_body_programs"
    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    variant: Mapped[str] = mapped_column(ForeignKey("feed_bodies.variant", ondelete="CASCADE"), primary_key=True)


class Feed(db.Model):
    __tablename__ = "feeds"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    program_ids: Mapped[list] = mapped_column(JSON)
    hide_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    alarm_minutes_before: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Made with a staff token: keeps showing closed programs. Otherwise a closed program is left out of it.
    staff_created: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    variant: Mapped[str | None] = mapped_column(String(64), nullable=True)  # set on its first request


class CaldavTarget(db.Model):
    __tablename__ = "caldav_targets"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    server_url: Mapped[str] = mapped_column(String(2000))
    calendar_url: Mapped[str] = mapped_column(String(2000))
    username: Mapped[str] = mapped_column(String(200))
    password_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    program_ids: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # set: the worker skips it


class PushItem(db.Model):
    __tablename__ = "push_items"
    target_id: Mapped[str] = mapped_column(ForeignKey("caldav_targets.id", ondelete="CASCADE"), primary_key=True)
    entry_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    wanted_seq: Mapped[int] = mapped_column(Integer, default=1)
    pushed_seq: Mapped[int] = mapped_column(Integer, default=0)
    remote_etag: Mapped[str | None] = mapped_column(String(300), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class PushConflict(db.Model):
    __tablename__ = "push_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("caldav_targets.id", ondelete="CASCADE"), index=True)
    entry_kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "modified", "deleted" or "existed"
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
