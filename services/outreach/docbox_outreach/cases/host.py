"""What the case-based program takes from the outreach service around it, in one place.

The program's own tables and rules live in this package; the database, the
roster of faculty, the mail queue and the signed-in staff member belong to
the service (:mod:`docbox_outreach`). Everything the program needs of them is
imported here, so the rest of the package names one module.

Until the service frame exists this module holds stand-ins with the same
names (``db``, ``Member``, ``OutreachMail``, ``mail_queue``).
"""

from __future__ import annotations

from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Boolean, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from docbox_shared import clock
from docbox_shared.clock import UTCDateTime
from docbox_shared.database import NAMING_CONVENTION
from docbox_shared.mail import MailQueue, StoredMessageMixin


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class Member(db.Model):
    """A faculty member of the roster (stand-in for the service's roster table)."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    division: Mapped[str] = mapped_column(String(100))
    reports_to_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    leadership: Mapped[bool] = mapped_column(Boolean, default=False)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutreachMail(StoredMessageMixin, db.Model):
    __tablename__ = "outreach_mail"


mail_queue = MailQueue(db, OutreachMail, now=clock.now)


def reporting_line(member_id: int) -> set[int]:
    """Everyone above ``member_id`` and everyone below, through the whole roster."""
    rows = db.session.execute(db.select(Member.id, Member.reports_to_id)).all()
    boss = dict(rows)
    above, at = set(), boss.get(member_id)
    while at is not None and at not in above:
        above.add(at)
        at = boss.get(at)
    below, frontier = set(), {member_id}
    while frontier:
        frontier = {m for m, b in rows if b in frontier and m not in below and m != member_id}
        below |= frontier
    return above | below


def coordinator_emails() -> list[str]:
    """Where escalations go: the outreach coordinators' sign-in addresses."""
    return []


def public_url(path: str) -> str:
    from flask import current_app
    return current_app.config.get("PUBLIC_URL", "http://127.0.0.1:5004").rstrip("/") + path
