"""What the worker does for the case-based program on each pass, at the clock's time.

- *Reminder*: a pairing whose first contact is due and not logged is overdue;
  its supporter gets one reminder (and the coordinator's queue shows it).
- *Escalation*: ``CASE_ESCALATE_AFTER_HOURS`` after the due time it is
  escalated: the coordinators get one mail naming no one.
- *Retention*: :func:`docbox_outreach.cases.retention.purge`.

Each step marks the pairing in the transaction that queues its mail, so a
pass run twice (or by two workers) sends each message once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from . import messages, retention
from .host import db
from .models import Pairing, Status

LIVE = (Status.ASSIGNED, Status.ACTIVE)


def escalate_after() -> timedelta:
    return timedelta(hours=current_app.config.get("CASE_ESCALATE_AFTER_HOURS", 24))


def run_pass(now: datetime) -> dict[str, int]:
    """Reminders, escalations and the retention purge due at ``now``; commits."""
    done = {"reminded": 0, "escalated": 0}
    overdue = select(Pairing).where(Pairing.status.in_(LIVE), Pairing.first_contact_at.is_(None))
    for pairing in db.session.scalars(overdue.where(Pairing.reminded_at.is_(None), Pairing.due_at <= now)
                                      .with_for_update(of=Pairing, skip_locked=True)):
        pairing.reminded_at = now
        messages.reminder(pairing)
        done["reminded"] += 1
    for pairing in db.session.scalars(overdue.where(Pairing.escalated_at.is_(None),
                                                    Pairing.due_at <= now - escalate_after())
                                      .with_for_update(of=Pairing, skip_locked=True)):
        pairing.escalated_at = now
        messages.escalation(pairing)
        done["escalated"] += 1
    db.session.commit()
    done.update(retention.purge(now))
    return done
