"""What the case-based program takes from the outreach service around it, in one place.

The program's own tables and rules live in this package; the database, the
roster of faculty, the mail queue, the audit of reads and the signed-in staff
member belong to the service (:mod:`docbox_outreach`). Everything the program
needs of them is named here, so the rest of the package imports one module.

Until the service frame is merged this module holds stand-ins with the same
names and columns (``db``, ``Member``, ``OutgoingMail``, ``mail``,
``ReadAudit``, ``audit_read``).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Boolean, Integer, MetaData, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from docbox_shared import clock
from docbox_shared.clock import UTCDateTime
from docbox_shared.database import NAMING_CONVENTION
from docbox_shared.mail import MailQueue, StoredMessageMixin


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class Member(db.Model):
    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    division: Mapped[str] = mapped_column(String(120))
    reports_to: Mapped[str | None] = mapped_column(String(320))
    leadership: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class OutgoingMail(StoredMessageMixin, db.Model):
    __tablename__ = "outgoing_mail"


class ReadAudit(db.Model):
    __tablename__ = "read_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_email: Mapped[str] = mapped_column(String(320))
    program: Mapped[str] = mapped_column(String(20))
    page: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)


def audit_read(staff_email: str, program: str, page: str, subject_id: int | None = None) -> None:
    db.session.add(ReadAudit(read_at=clock.now(), staff_email=staff_email, program=program, page=page,
                             subject_id=subject_id))


mail = MailQueue(db, OutgoingMail, now=clock.now)


def reporting_line(member_id: int) -> set[int]:
    """The ids of everyone above ``member_id`` and everyone below, through the whole roster."""
    rows = db.session.execute(select(Member.id, Member.email, Member.reports_to)).all()
    id_of = {email.lower(): mid for mid, email, _ in rows}
    boss = {mid: id_of.get((to or "").lower()) for mid, _, to in rows}
    above, at = set(), boss.get(member_id)
    while at is not None and at not in above and at != member_id:
        above.add(at)
        at = boss.get(at)
    below, frontier = set(), {member_id}
    while frontier:
        frontier = {m for m, b in boss.items() if b in frontier and m not in below and m != member_id}
        below |= frontier
    return above | below


def coordinator_emails() -> list[str]:
    """Where escalations go: the outreach coordinators' sign-in addresses."""
    return list(current_app.config.get("CASE_COORDINATOR_EMAILS", []))


def public_url(path: str) -> str:
    return current_app.config.get("PUBLIC_URL", "http://127.0.0.1:5004").rstrip("/") + path
