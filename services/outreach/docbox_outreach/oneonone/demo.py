"""Demo data of the one-on-one program (``make run``): a mentor pool and an open round, half reached."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from docbox_shared import clock

from ..domain.vocabulary import AttemptOutcome, Channel
from ..models import Member, db
from . import operations as ops
from .models import Assignment, Attempt, Round

DAYS_AGO = 6


def seed(mentor_emails: list[str]) -> str:
    """Ten mentors, a round opened six days ago and due in a week, half its mentees reached."""
    ids = dict(db.session.execute(select(Member.email, Member.id)).all())
    for email in mentor_emails:
        ops.add_mentor(ids[email])
    round_ = ops.start_round(ops.today() + timedelta(days=7), seed=7)
    round_.opened_on = ops.today() - timedelta(days=DAYS_AGO)
    round_.opened_at = clock.now() - timedelta(days=DAYS_AGO)
    rows = list(db.session.scalars(select(Assignment).where(Assignment.round_id == round_.id)
                                   .order_by(Assignment.id)))
    rng = random.Random(7)
    channels = list(Channel)
    for index, row in enumerate(rows):
        if index % 2 == 0:
            day = round_.opened_on + timedelta(days=rng.randint(0, DAYS_AGO))
            db.session.add(Attempt(assignment_id=row.id, mentor_id=row.mentor_id, day=day,
                                   channel=rng.choice(channels), outcome=AttemptOutcome.REACHED,
                                   logged_at=clock.now()))
        elif index % 5 == 1:
            db.session.add(Attempt(assignment_id=row.id, mentor_id=row.mentor_id, day=round_.opened_on,
                                   channel=Channel.EMAIL, outcome=AttemptOutcome.ATTEMPTED, logged_at=clock.now()))
    db.session.commit()
    reached = (len(rows) + 1) // 2
    return f"one-on-one round {db.session.get(Round, round_.id).number}: {len(rows)} mentees, {reached} reached"
