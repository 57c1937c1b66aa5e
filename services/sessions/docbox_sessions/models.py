"""Tables of the sessions service, the source of truth of Doc Box.

Vocabulary: a *program* groups sessions ("Doc Box", "Residents' circle"); a
*one-off session* happens once; a *series* repeats by an RRULE in local wall
time; a *series exception* moves or cancels one occurrence of a series; an
*attendance count* is how many came to one occurrence, as numbers only.
Staff are the people who use Doc Box (organizers, facilitators ...), never the
people who attend. No table here may hold anything that identifies an
attendee: ``tests/sessions/test_privacy_schema.py`` enforces it.

Instants are stored in UTC (``*_at`` attributes on columns still named ``*_dt``); series keep local wall time
(``start_local``) plus the zone. Every calendar entry carries a ``version``
that grows by one with each change and travels in its events.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from docbox_shared.clock import UTCDateTime
from docbox_shared.database import NAMING_CONVENTION
from docbox_shared.outbox import Outbox, OutboxDeliveryMixin, OutboxEventMixin


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return uuid.uuid4().hex


def new_login_stamp() -> str:
    return secrets.token_hex(16)


NO_ROLE = "none"  # stored for "no group-sessions role"


class OptionalRole(TypeDecorator):
    """The group-sessions role, or None (someone who works in outreach only), stored as ``'none'``.

    A stored word instead of NULL: the column stays NOT NULL as it always was, because SQLite cannot
    drop NOT NULL in place and a batch copy of ``staff`` is refused by the tables referencing it
    (foreign keys are on). Python sees None; SQL comparing ``role`` with a role name never matches it.
    """

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return NO_ROLE if value is None else value

    def process_result_value(self, value, dialect):
        return None if value in (None, NO_ROLE) else value


class Staff(db.Model):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Role in group sessions (admin, organizer, facilitator, viewer) or None: outreach only, nothing here.
    role: Mapped[str | None] = mapped_column(OptionalRole(), nullable=False)
    # Role in the outreach area (coordinator, mentor, supporter, referrer, viewer) or None: granted apart from ``role``.
    outreach_role: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column("created_dt", UTCDateTime, default=utcnow)
    # Random, bound into the web login cookie: a new one (new password, deactivation) signs out every browser.
    login_stamp: Mapped[str] = mapped_column(String(32), default=new_login_stamp)
    last_login_at: Mapped[datetime | None] = mapped_column("last_login_dt", UTCDateTime)  # web sign-in, by password or SSO

    def set_password_hash(self, password_hash: str) -> None:
        """A new password: every browser signed in with the old one is signed out."""
        self.password_hash = password_hash
        self.login_stamp = new_login_stamp()

    def deactivate(self) -> None:
        """No more sign-in: browsers are signed out (the cookie's stamp no longer matches)."""
        self.active = False
        self.login_stamp = new_login_stamp()


class ApiToken(db.Model):
    """A staff bearer token; only its SHA-256 is kept, the token is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")  # what it is for ("nightly export"), never the token
    created_at: Mapped[datetime] = mapped_column("created_dt", UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column("last_used_dt", UTCDateTime)  # to the minute (one write a minute at most)
    revoked_at: Mapped[datetime | None] = mapped_column("revoked_dt", UTCDateTime)
    staff: Mapped[Staff] = relationship()


class Program(db.Model):
    __tablename__ = "programs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64))
    default_format: Mapped[str | None] = mapped_column(String(20))
    default_location: Mapped[str | None] = mapped_column(String(500))
    default_video_url: Mapped[str | None] = mapped_column(String(1000))
    open: Mapped[bool] = mapped_column(Boolean, default=False)
    email_subject: Mapped[str | None] = mapped_column(String(200))
    # Shown to faculty on the program's pages and in reminders: plain text, and an address for questions.
    what_to_expect: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column("created_dt", UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updated_dt", UTCDateTime, default=utcnow)


session_facilitators = Table(
    "session_facilitators", Base.metadata,
    Column("session_id", ForeignKey("one_off_sessions.id"), primary_key=True),
    Column("staff_id", ForeignKey("staff.id"), primary_key=True),
)
series_facilitators = Table(
    "series_facilitators", Base.metadata,
    Column("series_id", ForeignKey("series.id"), primary_key=True),
    Column("staff_id", ForeignKey("staff.id"), primary_key=True),
)


class _CalendarEntry:
    """Columns a one-off session and a series share."""

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(500))
    video_url: Mapped[str | None] = mapped_column(String(1000))
    timezone: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column("created_dt", UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column("updated_dt", UTCDateTime, default=utcnow)


class OneOffSession(_CalendarEntry, db.Model):
    __tablename__ = "one_off_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    start_at: Mapped[datetime] = mapped_column("start_dt", UTCDateTime)
    end_at: Mapped[datetime] = mapped_column("end_dt", UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    cancel_reason: Mapped[str | None] = mapped_column(String(200))  # a short line shown to subscribers; no names
    program: Mapped[Program] = relationship()
    facilitators: Mapped[list[Staff]] = relationship(secondary=session_facilitators)


class Series(_CalendarEntry, db.Model):
    __tablename__ = "series"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id"), index=True)
    start_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    rrule: Mapped[str] = mapped_column(String(500))
    continues_series_id: Mapped[str | None] = mapped_column(String(32))
    # The instants from the earliest start to the latest end of all its occurrences (moved and
    # cancelled ones included), kept by every change: listings read only series overlapping a window.
    # Nullable only for the migration's sake (see 5e6a0c1d2b7f); always set.
    span_start_at: Mapped[datetime | None] = mapped_column("span_start_dt", UTCDateTime, index=True)
    span_end_at: Mapped[datetime | None] = mapped_column("span_end_dt", UTCDateTime, index=True)
    program: Mapped[Program] = relationship()
    facilitators: Mapped[list[Staff]] = relationship(secondary=series_facilitators)
    exceptions: Mapped[list[SeriesException]] = relationship(
        back_populates="series", cascade="all, delete-orphan", order_by="SeriesException.date")


class SeriesException(db.Model):
    """One occurrence of a series moved (new start/end/location) or cancelled."""

    __tablename__ = "series_exceptions"
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    start_at: Mapped[datetime | None] = mapped_column("start_dt", UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column("end_dt", UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(500))
    video_url: Mapped[str | None] = mapped_column(String(1000))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))  # a short line shown to subscribers; no names
    updated_at: Mapped[datetime] = mapped_column("updated_dt", UTCDateTime, default=utcnow)
    series: Mapped[Series] = relationship(back_populates="exceptions")


class ListedOccurrence(db.Model):
    """When one occurrence of a one-off session or series takes place, cancelled ones too: what the
    occurrence list reads a window from (:mod:`.listed`). Rewritten from its entry with every change the entry publishes."""

    __tablename__ = "listed_occurrences"
    occurrence_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(32), index=True)  # the one-off session's or series' id
    program_id: Mapped[str] = mapped_column(String(32))
    recurrence_date: Mapped[date | None] = mapped_column(Date)  # the rule's local date (series only)
    start_at: Mapped[datetime] = mapped_column("start_dt", UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column("end_dt", UTCDateTime)
    __table_args__ = (Index("ix_listed_occurrences_program", "program_id", "start_dt"),)


class AttendanceCount(db.Model):
    """How many came to one occurrence: numbers only, never who."""

    __tablename__ = "attendance_counts"
    occurrence_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    in_person: Mapped[int | None] = mapped_column(Integer)
    virtual: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column("recorded_dt", UTCDateTime, default=utcnow)


class HeldOccurrence(db.Model):
    """An occurrence that takes place (not cancelled), as the exact statistics count it (:mod:`.held`).

    Rewritten from its entry with every change the entry publishes; held once ``start_at`` has passed.
    """

    __tablename__ = "held_occurrences"
    occurrence_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(32), index=True)  # the one-off session's or series' id
    program_id: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(20))
    month: Mapped[str] = mapped_column(String(7))  # of its local start, in its own zone: 2031-03
    start_at: Mapped[datetime] = mapped_column("start_dt", UTCDateTime, index=True)
    __table_args__ = (Index("ix_held_occurrences_month", "month", "program_id", "format", "start_dt"),)


class HeldMonth(db.Model):
    """A month of stored occurrences: ``version`` grows with every change of its occurrences or their counts
    (in the change's transaction); its :class:`HeldMonthCell` rows are its sums as of version ``summed``."""

    __tablename__ = "held_months"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    summed: Mapped[int | None] = mapped_column(Integer)


class HeldMonthCell(db.Model):
    """The sums of one month that has ended, by program and format, written ahead by the relay (:mod:`.held`)."""

    __tablename__ = "held_month_cells"
    month: Mapped[str] = mapped_column(ForeignKey("held_months.month"), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    format: Mapped[str] = mapped_column(String(20), primary_key=True)
    sessions_held: Mapped[int] = mapped_column(Integer)
    sessions_counted: Mapped[int] = mapped_column(Integer)
    in_person: Mapped[int] = mapped_column(Integer)
    virtual: Mapped[int] = mapped_column(Integer)


class AttendanceAudit(db.Model):
    """Which staff member recorded or replaced a count, and when."""

    __tablename__ = "attendance_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[str] = mapped_column(String(48), index=True)
    recorded_by_staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column("recorded_dt", UTCDateTime, default=utcnow)
    recorded_by: Mapped[Staff] = relationship()


class OutboxEvent(OutboxEventMixin, db.Model):
    """An event written in the same transaction as the change it records (:mod:`docbox_shared.outbox`)."""


class OutboxDelivery(OutboxDeliveryMixin, db.Model):
    """One event still to deliver (or delivered) to one subscriber URL."""


outbox = Outbox(db, OutboxEvent, OutboxDelivery)


class ReleasedMonth(db.Model):
    """A month that entered the statistics release (:mod:`.release`); its numbers never change."""

    __tablename__ = "released_months"
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day
    released_at: Mapped[datetime] = mapped_column("released_dt", UTCDateTime, default=utcnow)
    min_cell: Mapped[int] = mapped_column(Integer)


class ReleasedNumber(db.Model):
    """One row of a released table: a month, quarter or year, by program and format or all ("*").

    The counts are as they were when the row was released (a later correction
    reaches organizers, not the release); ``*_withheld`` says which of them
    people without exact access see as withheld.
    """

    __tablename__ = "released_numbers"
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-03, 2026-Q1 or 2026
    program_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # a program's id or "*"
    format: Mapped[str] = mapped_column(String(20), primary_key=True)  # a format or "*"
    release_month: Mapped[date] = mapped_column(ForeignKey("released_months.month"), index=True)
    sessions_held: Mapped[int] = mapped_column(Integer)
    sessions_counted: Mapped[int] = mapped_column(Integer)
    in_person: Mapped[int] = mapped_column(Integer)
    virtual: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    in_person_withheld: Mapped[bool] = mapped_column(Boolean)
    virtual_withheld: Mapped[bool] = mapped_column(Boolean)
    total_withheld: Mapped[bool] = mapped_column(Boolean)
