"""What the case-based program takes from the outreach service around it, in one place.

The program's own tables and rules live in this package; the database, the
roster of faculty, the mail queue, the audit of reads and the signed-in staff
member belong to the service (:mod:`docbox_outreach.models`,
:mod:`docbox_outreach.access`). Everything the program needs of them is named
here, so the rest of the package imports one module.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..models import NEVER_REUSE_IDS, Member, OutgoingMail, ReadAudit, audit_read, db, mail

__all__ = ["NEVER_REUSE_IDS", "Member", "OutgoingMail", "ReadAudit", "audit_read", "coordinator_emails", "db", "mail", "public_url",
           "reporting_line"]

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
