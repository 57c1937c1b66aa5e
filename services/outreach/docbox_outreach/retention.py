"""Forgetting what the programs no longer need about people: those who left, and the audit of reads.

A member marked as left is deleted ``LEAVER_RETENTION_DAYS`` after leaving, once no row still *holds*
them: a row that points at them through a foreign key that does not cascade (an assignment or attempt
of a round whose person-level rows are not purged yet, a case-based pairing not purged yet), or that
points at them through one that cascades and is itself held so (their supporter record while a pairing
names it). Those rows go with their round or pairing on its own schedule, leaving counts; the member
then goes with everything that only served them, by cascade (the mentor pool, opt-outs, links, their
supporter record, trainings, acknowledgements, refusals), and with mail still queued to them. Whoever
reported to them reports to the person they reported to, so reporting lines stay whole.

An opt-out for good is honoured while the member is on the roster: its row and the one link to
withdraw it are all that stays of them in the program (:func:`.oneonone.operations.purge_due`).

A line of the audit of reads is deleted ``AUDIT_RETENTION_DAYS`` after the read. It names who read,
the program, a fixed page code and the round or pairing: never the person read about.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, Table, delete, select, update

from docbox_shared import clock

from .models import Member, OutgoingMail, ReadAudit, db


def forget_due() -> bool:
    """Delete the leavers and audit lines whose time has come; commits. True when something went."""
    now = clock.now()
    gone = db.session.execute(delete(ReadAudit).where(
        ReadAudit.read_at <= now - timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"]))).rowcount
    cutoff = now - timedelta(days=current_app.config["LEAVER_RETENTION_DAYS"])
    held = _held(Member.__table__)
    query = select(Member).where(Member.active.is_(False), Member.left_at <= cutoff)
    for kept in held:
        query = query.where(Member.id.not_in(kept))
    for member in db.session.scalars(query.with_for_update(skip_locked=True)).all():
        db.session.execute(update(Member).where(Member.reports_to == member.email)
                           .values(reports_to=member.reports_to))
        db.session.execute(delete(OutgoingMail).where(OutgoingMail.recipient == member.email))
        db.session.execute(delete(Member).where(Member.id == member.id))
        gone += 1
    db.session.commit()
    return gone > 0


def _held(table: Table, depth: int = 0) -> list[Select]:
    """Queries of the ids of ``table``'s rows that another row still holds (see the module docstring)."""
    found = []
    for other in table.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            if (fk.ondelete or "").upper() != "CASCADE":
                found.append(select(fk.parent).where(fk.parent.is_not(None)))
            elif depth < 5 and len(other.primary_key.columns) == 1:
                key = next(iter(other.primary_key.columns))
                found += [select(fk.parent).where(key.in_(kept)) for kept in _held(other, depth + 1)]
    return found
