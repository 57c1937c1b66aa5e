"""Tables every outreach program shares: the roster, the mail queue and the audit of reads.

Words: a *member* is one faculty member of the roster (name, work email,
division, the email of the person they report to, a leadership flag, and
whether they are still active); those fields are all the roster holds (see
:mod:`.domain.roster`). The *audit* records each time a coordinator reads
another person's data (who read, when, which program and which round or
case: never what was on the page, nor whom it was about). Leavers and audit
lines are forgotten on schedule (:mod:`.retention`). The programs' own
tables live with them (:mod:`.oneonone.models`, and the case-based
program's beside it), on the same ``db`` and metadata, so one set of
migrations covers the service.
"""

from __future__ import annotations

from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Boolean, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from docbox_shared import clock
from docbox_shared.clock import UTCDateTime
from docbox_shared.database import NAMING_CONVENTION
from docbox_shared.mail import MailQueue, StoredMessageMixin


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Every table with an integer id says so in its ``__table_args__``: on SQLite (AUTOINCREMENT) a deleted row's id
# is never handed to a later row, as PostgreSQL's sequences never do. Ids outlive their rows: an audit line
# "read pairing 7", a bookmark, a request log, a mail key. Reused, they would name someone else.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


db = SQLAlchemy(model_class=Base)


class Member(db.Model):
    """One faculty member; ``active`` is False once the coordinator marked them as left (at ``left_at``)."""

    __tablename__ = "members"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased: a member's identity
    name: Mapped[str] = mapped_column(String(200))
    division: Mapped[str] = mapped_column(String(120))
    reports_to: Mapped[str | None] = mapped_column(String(320))  # a member's email (a line runs through leavers)
    leadership: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # marked as left: forgotten some days later
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class OutgoingMail(StoredMessageMixin, db.Model):
    """The kit's durable mail queue in the outreach database (bodies cleared once sent)."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (*StoredMessageMixin.queue_indexes("outgoing_mail"), NEVER_REUSE_IDS)


class ReadAudit(db.Model):
    """A coordinator read someone else's data: who, when, in which program, round or case."""

    __tablename__ = "read_audit"
    __table_args__ = (Index("ix_read_audit_read_at", "read_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_email: Mapped[str] = mapped_column(String(320))
    program: Mapped[str] = mapped_column(String(20))  # "oneonone", "cases"
    page: Mapped[str] = mapped_column(String(40))     # a fixed code: "round", "round.csv", "roster" ...
    subject_id: Mapped[int | None] = mapped_column(Integer)  # the round (or case) read, if any


def audit_read(staff_email: str, program: str, page: str, subject_id: int | None = None) -> None:
    """Record a coordinator's read (the caller commits, with nothing else or with its change)."""
    db.session.add(ReadAudit(read_at=clock.now(), staff_email=staff_email, program=program, page=page,
                             subject_id=subject_id))


mail = MailQueue(db, OutgoingMail, now=clock.now)

__all__ = ["NEVER_REUSE_IDS", "Base", "Member", "OutgoingMail", "ReadAudit", "audit_read", "db", "mail"]
