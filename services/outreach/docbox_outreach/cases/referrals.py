"""Referrals, behind a one-way wall.

A referrer names a physician of the roster, a trigger type and a date, and
gets a :class:`Receipt` built from what they sent and nothing else: no id
(a sequence number would tell how many others referred in between), no state.
A referral of a physician whose pairing is open joins that pairing; the
answer is the same as for a new one. Nothing a referrer can ask afterwards
depends on what happened (see :mod:`.pairings`: every read needs another role).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from docbox_shared import clock
from docbox_shared.problems import ValidationProblem

from ..domain.vocabulary import Trigger
from .host import Member, db
from .models import Pairing, Referral, Status

OLDEST_REFERRAL = timedelta(days=5 * 366)   # litigation lasts years; older dates are typing mistakes


@dataclass(frozen=True)
class Receipt:
    """What a referrer learns: what they sent, and when it was received."""

    physician_name: str
    trigger: Trigger
    referred_on: date
    received_at: datetime


def check(physician_id, trigger, referred_on, today: date) -> tuple[Member, Trigger, date]:
    """The referral's values, or a :class:`ValidationProblem` naming each bad field (roster only: no history)."""
    errors: dict[str, list[str]] = {}
    member = None
    if isinstance(physician_id, int) and not isinstance(physician_id, bool) and 0 < physician_id < 2 ** 31:
        member = db.session.get(Member, physician_id)
    if member is None or not member.active:
        errors["physician_id"] = ["Choose a physician from the roster."]
    try:
        trigger = Trigger(trigger)
    except ValueError:
        errors["trigger"] = [f"Choose one of: {', '.join(t.value for t in Trigger)}."]
    if isinstance(referred_on, str):
        try:
            referred_on = date.fromisoformat(referred_on)
        except ValueError:
            referred_on = None
    if not isinstance(referred_on, date):
        errors["referred_on"] = ["Give a date (YYYY-MM-DD)."]
    elif not today - OLDEST_REFERRAL <= referred_on <= today:
        errors["referred_on"] = ["Give a date from the last five years, not in the future."]
    if errors:
        raise ValidationProblem("Some fields are missing or not valid.", errors=errors)
    return member, trigger, referred_on


def refer(physician_id, trigger, referred_on, today: date) -> Receipt:
    """Record a referral (the caller commits). Joins the physician's open pairing if there is one."""
    member, trigger, referred_on = check(physician_id, trigger, referred_on, today)
    received = clock.now()
    pairing = db.session.scalar(select(Pairing).where(Pairing.physician_id == member.id,
                                                      Pairing.status != Status.CLOSED).with_for_update(of=Pairing))
    if pairing is None:
        pairing = Pairing(physician_id=member.id, trigger=trigger, referred_at=received, status=Status.WAITING)
        db.session.add(pairing)
    pairing.referrals.append(Referral(trigger=trigger, referred_on=referred_on, received_at=received))
    return Receipt(member.name, trigger, referred_on, received)
