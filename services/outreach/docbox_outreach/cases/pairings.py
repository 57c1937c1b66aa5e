"""Matching, attestation, contacts, re-offer and closing of pairings; every read audited.

- The coordinator sees the queue and, for one waiting pairing, every
  supporter ranked (:func:`candidates`), and assigns one (:func:`assign`): the
  match. The first contact is due ``FIRST_CONTACT_HOURS`` later
  (:mod:`docbox_outreach.domain.timing`) and the supporter gets one mail.
- The supporter attests that they are not involved in the case, not reviewing
  it and not in the physician's reporting line (:func:`attest`), or refuses
  (:func:`refuse`: the pairing waits again and they are not asked again).
  Contacts can be logged only after the attestation.
- A contact is a time, a channel and an outcome from a fixed list. After a
  decline or a deferral the supporter may set a re-offer date.
- Closing takes a reason code; the pairing's rows are deleted later
  (:mod:`.retention`).
- A pairing nobody acts on for ``CASE_IDLE_DAYS`` is closed by the worker
  (:func:`close_idle`, reason "no activity"): retention counts from closing,
  so a case nobody closed would otherwise keep a name forever. The
  coordinator's queue shows what closes within :data:`IDLE_NOTICE`; the
  coordinator and the supporter see what closed so for as long again.

Every function that shows a pairing to someone calls :func:`audit` for it.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from docbox_shared import clock
from docbox_shared.problems import Conflict, Forbidden, NotFound, ValidationProblem

from ..domain import cases, matching, timing
from ..domain.vocabulary import Channel, ClosingReason, ContactOutcome, DivisionPreference
from . import messages, supporters
from .access import COORDINATOR, SUPPORTER, Actor
from .host import audit_read, db, reporting_line
from .models import Contact, Pairing, Refusal, Status, Supporter

OPEN = (Status.WAITING, Status.ASSIGNED, Status.ACTIVE)
IDLE_NOTICE = timedelta(days=30)   # shown as closing soon, then as closed for no activity, this long
WORKER = "worker"                   # the audit's reader when the worker closed a pairing
ATTESTATIONS = ("not_involved", "not_reviewing", "not_in_reporting_line")


def audit(actor: Actor, pairings, page: str) -> None:
    """One line of the service's read audit per pairing shown to ``actor`` (committed with the request).

    ``page`` is a fixed code: ``cases.queue``, ``cases.pairing`` (coordinator), ``cases.mine``,
    ``cases.mine.pairing`` (supporter).
    """
    for pairing in pairings:
        audit_read(actor.email, "cases", page, pairing.id)


def get(pairing_id: int) -> Pairing:
    pairing = db.session.get(Pairing, pairing_id) if 0 < pairing_id < 2 ** 31 else None
    if pairing is None:
        raise NotFound("No such pairing.")
    return pairing


def queue(actor: Actor) -> list[Pairing]:
    """Every open pairing, waiting ones first, oldest first (coordinator)."""
    actor.require(COORDINATOR)
    rows = list(db.session.scalars(select(Pairing).where(Pairing.status.in_(OPEN))
                                   .order_by(Pairing.status != Status.WAITING, Pairing.referred_at, Pairing.id)))
    audit(actor, rows, "cases.queue")
    return rows


def for_coordinator(actor: Actor, pairing_id: int) -> Pairing:
    actor.require(COORDINATOR)
    pairing = get(pairing_id)
    audit(actor, [pairing], "cases.pairing")
    return pairing


def candidates(pairing: Pairing, today: date) -> list[matching.Candidate]:
    """Every supporter for ``pairing``, those who can be asked first, best first."""
    loads = supporters.open_loads()
    everyone = supporters.roster()
    refused = set(db.session.scalars(select(Refusal.supporter_id).where(Refusal.pairing_id == pairing.id)))
    acknowledged = supporters.acknowledged_latest(s.id for s in everyone)
    by_member = {s.member_id: s for s in everyone}
    ranked = matching.rank_supporters(
        [supporters.as_domain(s, loads.get(s.id, 0)) for s in everyone], pairing.physician_id,
        pairing.physician.division, pairing.division_preference, today, supporters.training_valid_for(),
        reporting_line(pairing.physician_id))
    result = []
    for c in ranked:
        supporter = by_member[c.supporter.id]
        extra = (("refused this pairing",) if supporter.id in refused else ()) + \
                (("has not acknowledged the latest guidelines",) if supporter.id not in acknowledged else ())
        result.append(dataclasses.replace(c, not_eligible=c.not_eligible + extra) if extra else c)
    return sorted(result, key=lambda c: not c.eligible)  # stable: the domain's order within each part


def first_contact_due(start: datetime) -> datetime:
    config = current_app.config
    return timing.first_contact_due(start, config.get("FIRST_CONTACT_HOURS", 48), config["OUTREACH_TIMEZONE"],
                                    business_hours=config.get("FIRST_CONTACT_BUSINESS_HOURS", False),
                                    holidays=config.get("OUTREACH_HOLIDAYS", frozenset()))


def set_preference(actor: Actor, pairing: Pairing, preference: str | None) -> None:
    actor.require(COORDINATOR)
    if pairing.status == Status.CLOSED:
        raise Conflict("This pairing is closed.")
    try:
        pairing.division_preference = DivisionPreference(preference) if preference else None
    except ValueError:
        raise ValidationProblem("Some fields are missing or not valid.",
                                errors={"division_preference": ["Choose same, other or not known."]}) from None


def assign(actor: Actor, pairing: Pairing, supporter_id: int, today: date) -> None:
    """The match: ``supporter_id`` is asked; the first contact's due time starts now; one mail."""
    actor.require(COORDINATOR)
    if pairing.status != Status.WAITING:
        raise Conflict("This pairing is not waiting for a supporter.")
    supporter = supporters.get(supporter_id)
    candidate = next((c for c in candidates(pairing, today) if c.supporter.id == supporter.member_id), None)
    if candidate is None or not candidate.eligible:
        why = ", ".join(candidate.not_eligible) if candidate else "not a supporter"
        raise ValidationProblem("This supporter cannot be asked.", errors={"supporter_id": [f"Not eligible: {why}."]})
    now = clock.now()
    pairing.supporter, pairing.status = supporter, Status.ASSIGNED
    pairing.assigned_at, pairing.due_at = now, first_contact_due(now)
    pairing.attested_at = pairing.reminded_at = pairing.escalated_at = None
    db.session.flush()
    messages.assignment(pairing)


def of_supporter(actor: Actor) -> tuple[Supporter | None, list[Pairing]]:
    """The signed-in supporter and their open pairings (audited: a supporter's reads are reads too)."""
    actor.require(SUPPORTER)
    supporter = supporters.of_email(actor.email)
    if supporter is None:
        return None, []
    rows = list(db.session.scalars(select(Pairing).where(Pairing.supporter_id == supporter.id,
                                                         Pairing.status.in_(OPEN)).order_by(Pairing.due_at)))
    audit(actor, rows, "cases.mine")
    return supporter, rows


def own(actor: Actor, pairing_id: int) -> Pairing:
    """A pairing of the signed-in supporter, or 404 (another supporter's pairing does not exist for them)."""
    actor.require(SUPPORTER)
    supporter = supporters.of_email(actor.email)
    pairing = get(pairing_id)
    if supporter is None or pairing.supporter_id != supporter.id or pairing.status not in OPEN:
        raise NotFound("No such pairing.")
    audit(actor, [pairing], "cases.mine.pairing")
    return pairing


def attest(pairing: Pairing, answers: dict) -> None:
    if pairing.status != Status.ASSIGNED:
        raise Conflict("This pairing does not wait for your attestation.")
    missing = {a: ["Confirm this, or refuse the pairing."] for a in ATTESTATIONS if answers.get(a) is not True}
    if missing:
        raise ValidationProblem("All three statements must be true to take this pairing.", errors=missing)
    pairing.status, pairing.attested_at = Status.ACTIVE, clock.now()


def refuse(pairing: Pairing) -> None:
    """The supporter does not take the pairing (no reason asked): it waits again."""
    if pairing.status != Status.ASSIGNED:
        raise Conflict("Only a pairing you have not attested to can be refused; ask the coordinator.")
    db.session.add(Refusal(pairing_id=pairing.id, supporter_id=pairing.supporter_id))
    pairing.status, pairing.supporter = Status.WAITING, None
    pairing.assigned_at = pairing.due_at = pairing.reminded_at = pairing.escalated_at = None


def log_contact(pairing: Pairing, contacted_at: datetime | None, channel, outcome,
                reoffer_on: date | None = None) -> Contact:
    if pairing.status != Status.ACTIVE:
        raise Forbidden("Attest that you have no conflict before logging contacts.")
    now = clock.now()
    contacted_at = contacted_at or now
    errors = {}
    try:
        channel = Channel(channel)
    except ValueError:
        errors["channel"] = [f"Choose one of: {', '.join(c.label for c in Channel)}."]
    try:
        outcome = ContactOutcome(outcome)
    except ValueError:
        errors["outcome"] = [f"Choose one of: {', '.join(o.label for o in ContactOutcome)}."]
    if contacted_at.tzinfo is None or contacted_at > now + timedelta(minutes=5) or contacted_at < pairing.assigned_at:
        errors["contacted_at"] = ["Give a time between the match and now."]
    if errors:
        raise ValidationProblem("Some fields are missing or not valid.", errors=errors)
    contact = Contact(contacted_at=contacted_at, channel=channel, outcome=outcome)
    pairing.contacts.append(contact)
    pairing.first_contact_at = min(filter(None, (pairing.first_contact_at, contacted_at)))
    if reoffer_on is not None:
        set_reoffer(pairing, reoffer_on, now)
    return contact


def set_reoffer(pairing: Pairing, reoffer_on: date | None, now: datetime) -> None:
    if reoffer_on is None:
        pairing.reoffer_on = None
        return
    log = [cases.Contact(c.contacted_at, c.channel, c.outcome) for c in pairing.contacts]
    at = datetime.combine(reoffer_on, datetime.min.time(), tzinfo=current_app.config["OUTREACH_TIMEZONE"])
    if not cases.may_reoffer(log, at, now) or reoffer_on > now.date() + timedelta(days=5 * 366):
        raise ValidationProblem("Some fields are missing or not valid.", errors={"reoffer_on": [
            "A re-offer date follows a decline or a deferral, and lies in the next five years."]})
    pairing.reoffer_on = reoffer_on


def idle_closes_at(pairing: Pairing) -> datetime:
    """When ``pairing`` closes for no activity if nobody acts on it before."""
    zone = current_app.config["OUTREACH_TIMEZONE"]
    reoffer = datetime.combine(pairing.reoffer_on, time.min, tzinfo=zone) if pairing.reoffer_on else None
    return cases.idle_closes_at([pairing.referred_at, pairing.assigned_at, pairing.attested_at, reoffer,
                                 *(r.received_at for r in pairing.referrals),
                                 *(c.contacted_at for c in pairing.contacts)],
                                timedelta(days=current_app.config.get("CASE_IDLE_DAYS", 180)))


def closing_soon(rows: list[Pairing], now: datetime) -> dict[int, datetime]:
    """The pairings of ``rows`` that close for no activity within :data:`IDLE_NOTICE`, by id: when."""
    due = {p.id: idle_closes_at(p) for p in rows if p.status in OPEN}
    return {pid: at for pid, at in due.items() if at <= now + IDLE_NOTICE}


def closed_idle(actor: Actor, now: datetime, supporter: Supporter | None = None) -> list[Pairing]:
    """Pairings the worker closed for no activity within :data:`IDLE_NOTICE` (a supporter's own); audited."""
    query = select(Pairing).where(Pairing.status == Status.CLOSED, Pairing.closing_reason == ClosingReason.NO_ACTIVITY,
                                  Pairing.closed_at > now - IDLE_NOTICE)
    if supporter is not None:
        query = query.where(Pairing.supporter_id == supporter.id)
    rows = list(db.session.scalars(query.order_by(Pairing.closed_at.desc(), Pairing.id)))
    audit(actor, rows, "cases.mine" if supporter is not None else "cases.queue")
    return rows


def close_idle(pairing: Pairing, now: datetime) -> None:
    """The worker closes ``pairing``: nothing happened for ``CASE_IDLE_DAYS``. No mail (the referrer learns
    nothing after referring; the supporter and the coordinator see it on their pages); one audit line says
    why the pairing left the queue."""
    pairing.status, pairing.closing_reason, pairing.closed_at = Status.CLOSED, ClosingReason.NO_ACTIVITY, now
    pairing.reoffer_on = None
    audit_read(WORKER, "cases", "cases.closed_idle", pairing.id)


def close(pairing: Pairing, reason) -> None:
    if pairing.status == Status.CLOSED:
        raise Conflict("This pairing is already closed.")
    try:
        reason = ClosingReason(reason)
    except ValueError:
        raise ValidationProblem("Some fields are missing or not valid.", errors={"reason": [
            f"Choose one of: {', '.join(r.label for r in ClosingReason)}."]}) from None
    pairing.status, pairing.closing_reason, pairing.closed_at = Status.CLOSED, reason, clock.now()
    pairing.reoffer_on = None
