"""Demo data of the case-based program (``make run``): supporters, a year of pairings, a survey round.

On the demo roster: six supporters (one resting, one whose training expired,
one who has not acknowledged the latest guidelines), the guidelines in two
versions, a year of closed pairings (the older ones already reduced to their
de-identified rows), pairings open in every stage (waiting, assigned, active,
overdue, with a re-offer date) and a closed survey round with enough answers
to show. The first supporter's work email becomes ``DEMO_SUPPORTER``: the
staff account sessions' demo seeds with the ``supporter`` outreach role.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from docbox_shared import clock

from ..domain import cases
from ..domain.vocabulary import Channel, ClosingReason, ContactOutcome, Trigger
from . import pairings, referrals, supporters
from .access import Actor
from .host import Member, db
from .models import Contact, Pairing, Status, Summary, SurveyAnswer, SurveyRound, Training, TrainingKind

DEMO_SUPPORTER = "supporter@docbox.example"
GUIDELINES = [
    "Reach out within the window the coordinator set, by the work contact given.\n\n"
    "Offer support, not advice about the case: you are a colleague, not a lawyer or a reviewer.",
    "Reach out within the window the coordinator set, by the work contact given.\n\n"
    "Offer support, not advice about the case: you are a colleague, not a lawyer or a reviewer.\n\n"
    "Keep no notes, anywhere: not in Doc Box, not on paper, not in your phone. Log only when, how and how it went.\n\n"
    "If you are involved in the case, review it or are in the colleague's reporting line, refuse the pairing.",
]


def seed() -> str:
    rng = random.Random(14)
    now = clock.now()
    zone = current_app.config["OUTREACH_TIMEZONE"]
    today = now.astimezone(zone).date()
    members = list(db.session.scalars(select(Member).where(Member.active.is_(True)).order_by(Member.id)))
    pool = members[30:36]
    pool[0].email = DEMO_SUPPORTER   # the demo's supporter account of the staff pages (sessions' seed-demo)
    made = []
    for index, member in enumerate(pool):
        trained = today - timedelta(days=400 if index == 4 else 60 + 20 * index)
        supporter = supporters.add(member.id, 3, trained)
        if index in (1, 2):
            supporter.trainings.append(Training(kind=TrainingKind.REFRESHER, trained_on=today - timedelta(days=30)))
        supporter.resting = index == 5
        made.append(supporter)
    db.session.flush()
    for version, body in enumerate(GUIDELINES, start=1):
        guideline = supporters.publish_guidelines(body)
        guideline.version = version
        db.session.flush()
        for supporter in made[:5] if version == 1 else made[:3] + made[4:]:
            supporters.acknowledge(supporter, version)
    coordinator = Actor("coordinator@example.org", "coordinator")
    physicians = [m for m in members[40:] if m.id not in {s.member_id for s in made}]
    # A year back: de-identified rows of pairings forgotten already.
    for quarter_back in range(4, 1, -1):
        when = now - timedelta(days=91 * quarter_back)
        for _ in range(rng.randint(3, 6)):
            contacts = rng.randint(0, 4)
            outcome = None if not contacts else rng.choice(
                [ContactOutcome.ACCEPTED] * 3 + [ContactOutcome.DECLINED, ContactOutcome.NO_ANSWER])
            db.session.add(Summary(trigger=rng.choice([Trigger.QUALITY_REVIEW] * 3 + [Trigger.LITIGATION, Trigger.OTHER]),
                                   quarter=cases.quarter_of(when, zone),
                                   hours_to_first_contact=rng.randint(4, 80) if contacts else None, contacts=contacts,
                                   outcome=outcome, closing_reason=ClosingReason.SUPPORT_GIVEN
                                   if outcome == ContactOutcome.ACCEPTED else ClosingReason.NO_RESPONSE
                                   if outcome in (None, ContactOutcome.NO_ANSWER) else ClosingReason.DECLINED))
    # Pairings in every stage.
    stages = ["closed"] * 5 + ["active", "active", "overdue", "reoffer", "assigned", "waiting", "waiting"]
    for index, stage in enumerate(stages):
        physician = physicians[index * 3]
        start = now - timedelta(days=100 - 7 * index) if stage == "closed" else now - timedelta(hours=60 + index)
        with _at(start):
            referrals.refer(physician.id, rng.choice(list(Trigger)), start.astimezone(zone).date(), today)
            db.session.flush()
            pairing = db.session.scalar(select(Pairing).where(Pairing.physician_id == physician.id,
                                                              Pairing.status == Status.WAITING))
            if stage == "waiting":
                continue
            supporter = made[index % 3]
            pairings.assign(coordinator, pairing, supporter.id, today)
            if stage == "assigned":
                continue
            pairings.attest(pairing, dict.fromkeys(pairings.ATTESTATIONS, True))
        if stage == "overdue":
            pairing.reminded_at = pairing.due_at
            continue
        first = start + timedelta(hours=rng.randint(3, 40))
        outcome = ContactOutcome.DEFERRED if stage == "reoffer" else ContactOutcome.ACCEPTED if index % 2 else \
            ContactOutcome.REACHED
        pairing.contacts.append(Contact(contacted_at=first, channel=rng.choice(list(Channel)), outcome=outcome))
        pairing.first_contact_at = first
        if stage == "reoffer":
            pairing.reoffer_on = today + timedelta(days=120)
        if stage == "closed":
            pairing.contacts.append(Contact(contacted_at=first + timedelta(days=3), channel=Channel.IN_PERSON,
                                            outcome=ContactOutcome.ACCEPTED))
            pairing.status, pairing.closed_at = Status.CLOSED, first + timedelta(days=30)
            pairing.closing_reason = ClosingReason.SUPPORT_GIVEN
    # Last year's survey, closed, with enough answers to show.
    survey_round = SurveyRound(period_start=today.replace(year=today.year - 1, month=1, day=1),
                               period_end=date(today.year - 1, 12, 31), opened_at=now - timedelta(days=60),
                               links_sent=9, closed_at=now - timedelta(days=30))
    db.session.add(survey_round)
    db.session.flush()
    for i in range(7):
        db.session.add(SurveyAnswer(id=uuid.uuid4().hex, round_id=survey_round.id, valuable=i != 3, recommend=True,
                                    timely=rng.randint(3, 5), understood=rng.randint(4, 5), safe=rng.randint(3, 5)))
    db.session.commit()
    return f"case-based support: {len(made)} supporters, {len(stages)} pairings (demo supporter {pool[0].email})"


class _at:
    """Runs operations as if the clock said ``moment`` (the demo's history)."""

    def __init__(self, moment):
        self.moment = moment

    def __enter__(self):
        self.saved = current_app.config.get("CLOCK")
        current_app.config["CLOCK"] = lambda: self.moment

    def __exit__(self, *exc):
        current_app.config["CLOCK"] = self.saved
