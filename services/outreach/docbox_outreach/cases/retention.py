"""Forgetting on schedule: a closed pairing's identifiable rows go, a de-identified row stays.

``CASE_RETENTION_MONTHS`` (default 12) after a pairing closed, its pairing,
referral, contact and refusal rows are deleted (audit lines keep its number,
which then names nothing), and one :class:`~.models.Summary` is written in the same transaction
(trigger, quarter, hours to first contact, contacts, outcome, closing
reason: :func:`docbox_outreach.domain.cases.summarize`). The program's mail
rows (``case:`` keys) are deleted as soon as they are final: once a message
is sent, its row only tells who was written to.
"""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import delete, select

from docbox_shared.mail import FINAL

from ..domain import cases
from .host import OutgoingMail, db
from .models import Pairing, Status, Summary


def purge(now: datetime) -> dict[str, int]:
    """Delete what is due at ``now``; commits. Returns how many pairings and mail rows went."""
    cutoff = now - relativedelta(months=current_app.config.get("CASE_RETENTION_MONTHS", 12))
    zone = current_app.config["OUTREACH_TIMEZONE"]
    due = db.session.scalars(select(Pairing).where(Pairing.status == Status.CLOSED, Pairing.closed_at <= cutoff)
                             .with_for_update(of=Pairing, skip_locked=True)).unique().all()
    for pairing in due:
        log = [cases.Contact(c.contacted_at, c.channel, c.outcome) for c in pairing.contacts]
        row = cases.summarize(pairing.trigger, pairing.referred_at, log, pairing.closing_reason, zone)
        db.session.add(Summary(trigger=row.trigger, quarter=row.quarter, hours_to_first_contact=row.hours_to_first_contact,
                               contacts=row.contacts, outcome=row.outcome, closing_reason=row.closing_reason))
        db.session.delete(pairing)
    mail = db.session.execute(delete(OutgoingMail).where(OutgoingMail.key.like("case:%"),
                                                         OutgoingMail.status.in_(FINAL)))
    db.session.commit()
    return {"purged": len(due), "mail_deleted": mail.rowcount}
