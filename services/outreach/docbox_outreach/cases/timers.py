"""What the worker does for the case-based program on each pass, at the clock's time.

- *Reminder*: a pairing whose first contact is due and not logged is overdue;
  its supporter gets one reminder (and the coordinator's queue shows it).
- *Escalation*: ``CASE_ESCALATE_AFTER_HOURS`` after the due time it is
  escalated: the coordinators get one mail naming no one.
- *Re-offer*: on a pairing's re-offer date (a day in the program's time zone)
  its supporter gets one mail naming nobody, unless the physician's latest
  contact is no longer a decline or a deferral. The physician gets nothing
  from the program: offering again is the supporter's own, personal step.
- *No activity*: an open pairing nobody acted on for ``CASE_IDLE_DAYS`` is
  closed (:func:`docbox_outreach.cases.pairings.close_idle`); no mail.
- *Retention*: :func:`docbox_outreach.cases.retention.purge`.
- *Release*: quarters due for the viewers' report are frozen
  (:func:`docbox_outreach.cases.reports.release_due`).

Each step marks the pairing in the transaction that queues its mail, so a
pass run twice (or by two workers) sends each message once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..domain import cases
from . import messages, pairings, reports, retention
from .host import db
from .models import Pairing, Status

LIVE = (Status.ASSIGNED, Status.ACTIVE)


def escalate_after() -> timedelta:
    return timedelta(hours=current_app.config.get("CASE_ESCALATE_AFTER_HOURS", 24))


def run_pass(now: datetime) -> dict[str, int]:
    """Idle pairings closed, reminders, escalations and the retention purge due at ``now``; commits."""
    done = {"closed_idle": _close_idle(now), "reminded": 0, "escalated": 0}
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
    done["reoffered"] = _reoffers_due(now)
    db.session.commit()
    done.update(retention.purge(now))
    done["released"] = reports.release_due(now)
    db.session.commit()
    return done


def _close_idle(now: datetime) -> int:
    """Close the open pairings nobody acted on for ``CASE_IDLE_DAYS`` (the caller commits)."""
    idle = timedelta(days=current_app.config.get("CASE_IDLE_DAYS", 180))
    count = 0
    # Every moment of activity comes at or after the first referral: only those referred that long ago can be due.
    for pairing in db.session.scalars(select(Pairing).where(Pairing.status.in_(pairings.OPEN),
                                                            Pairing.referred_at <= now - idle)
                                      .with_for_update(of=Pairing, skip_locked=True)).unique():
        if pairings.idle_closes_at(pairing) <= now:
            pairings.close_idle(pairing, now)
            count += 1
    return count


def _reoffers_due(now: datetime) -> int:
    """Mail the supporters whose re-offer date came (the caller commits); each date once."""
    today = now.astimezone(current_app.config["OUTREACH_TIMEZONE"]).date()
    count = 0
    for pairing in db.session.scalars(
            select(Pairing).where(Pairing.status == Status.ACTIVE, Pairing.reoffer_on <= today,
                                  or_(Pairing.reoffer_mailed_on.is_(None), Pairing.reoffer_mailed_on != Pairing.reoffer_on))
            .with_for_update(of=Pairing, skip_locked=True)).unique():
        pairing.reoffer_mailed_on = pairing.reoffer_on
        latest = max(pairing.contacts, key=lambda c: c.contacted_at, default=None)
        if latest is not None and latest.outcome in cases.REOFFER_AFTER:
            messages.reoffer(pairing)
            count += 1
    return count
