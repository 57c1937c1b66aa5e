"""Steps the case tests share: a supporter roster, a referral matched and attested."""

from __future__ import annotations

from datetime import date

from docbox_outreach.cases import pairings, referrals, supporters
from docbox_outreach.cases.access import Actor
from docbox_outreach.cases.host import db

TODAY = date(2026, 3, 2)


def make_supporters(roster, *members, trained_on=date(2026, 1, 10), capacity=2):
    made = [supporters.add(m.id, capacity, trained_on) for m in members]
    db.session.commit()
    return made


def supporter_actor(supporter) -> Actor:
    return Actor(email=supporter.member.email, role="supporter")


def refer(member, trigger="quality_review", on=TODAY):
    receipt = referrals.refer(member.id, trigger, on, TODAY)
    db.session.commit()
    return receipt


def open_pairing(member):
    from sqlalchemy import select

    from docbox_outreach.cases.models import Pairing, Status
    return db.session.scalar(select(Pairing).where(Pairing.physician_id == member.id, Pairing.status != Status.CLOSED))


def matched(roster, coordinator, supporter, member=None, attest=True):
    member = member or roster.phys
    refer(member)
    pairing = open_pairing(member)
    pairings.assign(coordinator, pairing, supporter.id, TODAY)
    if attest:
        pairings.attest(pairing, dict.fromkeys(pairings.ATTESTATIONS, True))
    db.session.commit()
    return pairing
