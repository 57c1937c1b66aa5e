"""The one-year survey, whose answers cannot be linked to anyone.

The coordinator opens a round for a period; every physician whose pairing
logged "accepted" in that period gets a mail with a single-use link. What is
stored, and why it links nothing:

- a *link* is only the hash of its token and the round: no person, no time,
  no order (the hash is the key). The mail that carried it goes through the
  queue, whose row holds the recipient but neither the token nor its hash
  (the body is deleted once sent, and the row with it: :mod:`.retention`).
- an *answer* is a random id, the round and the answers: no person, pairing,
  link or time, and no sequence number, so the order of arrival is not kept.
  Using a link deletes it in the same transaction.
- nothing is logged about either (the access log names the route, not the
  path; no line here names a person or a token).

Results are shown once the round is closed with at least ``MIN_CELL`` answers in it.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from docbox_shared import clock, tokens
from docbox_shared.problems import Conflict, NotFound, ValidationProblem

from ..domain.vocabulary import ContactOutcome
from . import messages
from .host import Member, db
from .models import SURVEY_ITEMS, Contact, Pairing, SurveyAnswer, SurveyLink, SurveyRound


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=current_app.config["OUTREACH_TIMEZONE"])


def open_round(period_start: date, period_end: date, today: date) -> SurveyRound:
    """A round for physicians who accepted support from ``period_start`` to ``period_end``; one mail each."""
    if not (period_start <= period_end <= today and period_end - period_start <= timedelta(days=3 * 366)):
        raise ValidationProblem("Some fields are missing or not valid.", errors={"period_end": [
            "The period ends on or after its start, by today, and spans at most three years."]})
    accepted = select(Pairing.physician_id).join(Contact, Contact.pairing_id == Pairing.id).where(
        Contact.outcome == ContactOutcome.ACCEPTED, Contact.contacted_at >= _instant(period_start),
        Contact.contacted_at < _instant(period_end + timedelta(days=1))).distinct()
    members = list(db.session.scalars(select(Member).where(Member.id.in_(accepted), Member.active.is_(True))))
    survey_round = SurveyRound(period_start=period_start, period_end=period_end, opened_at=clock.now(),
                               links_sent=len(members))
    db.session.add(survey_round)
    db.session.flush()
    for member in members:
        token = tokens.new_token()
        db.session.add(SurveyLink(token_hash=tokens.hash_token(token), round_id=survey_round.id))
        messages.survey(survey_round.id, member, token)
    return survey_round


def close_round(survey_round: SurveyRound) -> None:
    """No more answers: the unused links are revoked."""
    if survey_round.closed_at is not None:
        raise Conflict("This round is already closed.")
    db.session.execute(delete(SurveyLink).where(SurveyLink.round_id == survey_round.id))
    survey_round.closed_at = clock.now()


def link(token: str) -> SurveyLink:
    """The live link of ``token``, or 404 (used, revoked and unknown links look the same)."""
    found = db.session.get(SurveyLink, tokens.hash_token(token)) if token and len(token) < 200 else None
    if found is None:
        raise NotFound("This survey link has been used or is no longer valid.")
    return found


def answer(token: str, valuable, recommend, items: dict) -> None:
    """Store one answer and delete its link, in one transaction (the caller commits)."""
    found = link(token)
    errors = {}
    for name, value in (("valuable", valuable), ("recommend", recommend)):
        if not isinstance(value, bool):
            errors[name] = ["Answer yes or no."]
    for name in SURVEY_ITEMS:
        value = items.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5):
            errors[name] = ["Choose 1 to 5, or leave it out."]
    if set(items) - set(SURVEY_ITEMS):
        errors["_form"] = ["Only the questions asked can be answered."]
    if errors:
        raise ValidationProblem("Some answers are missing or not valid.", errors=errors)
    db.session.add(SurveyAnswer(id=uuid.uuid4().hex, round_id=found.round_id, valuable=valuable,
                                recommend=recommend, **{name: items.get(name) for name in SURVEY_ITEMS}))
    db.session.delete(found)


@dataclass(frozen=True)
class Results:
    round: SurveyRound
    answers: int
    shown: bool                      # at least MIN_CELL answers
    valuable: int | None = None      # how many said yes
    recommend: int | None = None
    item_means: dict | None = None   # item -> mean of the answers given (None when nobody answered it)


def results(survey_round: SurveyRound) -> Results:
    """The round's results, once it is closed and holds at least ``MIN_CELL`` answers.

    Not while it is open: whoever reloads the results after each answer reads that answer off the
    change. A yes count is withheld when it or its complement is below K ("4 of 5 found it valuable"
    tells that 1 did not).
    """
    k = current_app.config.get("MIN_CELL", 5)
    count = db.session.scalar(select(func.count()).where(SurveyAnswer.round_id == survey_round.id))
    if count < k or survey_round.closed_at is None:
        return Results(survey_round, count, False)
    rows = db.session.execute(select(SurveyAnswer).where(SurveyAnswer.round_id == survey_round.id)).scalars().all()
    means = {}
    for name in SURVEY_ITEMS:
        given = [getattr(r, name) for r in rows if getattr(r, name) is not None]
        means[name] = round(statistics.fmean(given), 1) if len(given) >= k else None

    def yes(values):
        n = sum(values)
        return None if 0 < n < k or 0 < count - n < k else n
    return Results(survey_round, count, True, yes(r.valuable for r in rows), yes(r.recommend for r in rows), means)


def rounds() -> list[SurveyRound]:
    return list(db.session.scalars(select(SurveyRound).order_by(SurveyRound.opened_at.desc())))
