"""Use cases of the one-on-one program: the mentor pool, rounds, attempts, mentees' requests, the purge.

Each function changes the database and commits once (or raises a problem
and changes nothing). The rules themselves are the domain's
(:mod:`..domain.assignment`, :mod:`..domain.round_stats`); here they meet
the tables. People are member ids throughout; the clock is the kit's, and a
round's days are days in the department's time zone (``OUTREACH_TIMEZONE``).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import aliased

from docbox_shared import clock
from docbox_shared.database import insert_many
from docbox_shared.inputs import MAX_ID
from docbox_shared.problems import Conflict, Forbidden, NotFound, ValidationProblem

from ..domain import assignment as rules
from ..domain.round_stats import Attempt as AttemptFact
from ..domain.round_stats import RoundFacts, _mentees
from ..domain.vocabulary import AttemptOutcome, Channel, OptOutScope
from ..models import Member, OutgoingMail, db
from .models import Assignment, Attempt, MenteeLink, Mentor, OptOut, Round, RoundSummary


def today() -> date:
    return clock.now().astimezone(current_app.config["OUTREACH_TIMEZONE"]).date()


# --- the mentor pool ------------------------------------------------------------------------------

def mentor_pool() -> list[Mentor]:
    return list(db.session.scalars(select(Mentor).join(Mentor.member).order_by(Member.name)))


def add_mentor(member_id: int) -> Mentor:
    member = db.session.get(Member, member_id) if 1 <= member_id <= MAX_ID else None
    if member is None or not member.active:
        raise ValidationProblem("Choose an active member of the roster.", errors={"member": ["is not on the roster"]})
    if db.session.get(Mentor, member_id) is not None:
        raise Conflict(f"{member.name} is already a mentor.")
    mentor = Mentor(member_id=member_id, added_at=clock.now())
    db.session.add(mentor)
    db.session.commit()
    return mentor


def remove_mentor(member_id: int) -> None:
    """Out of the pool from the next round on (this round's assignments stay until swapped)."""
    mentor = db.session.get(Mentor, member_id) if 1 <= member_id <= MAX_ID else None
    if mentor is None:
        raise NotFound("This member is not a mentor.")
    db.session.delete(mentor)
    db.session.commit()


# --- rounds ---------------------------------------------------------------------------------------

def get_round(round_id: int) -> Round:
    found = db.session.get(Round, round_id) if 1 <= round_id <= MAX_ID else None  # beyond a column: nobody
    if found is None:
        raise NotFound("No round has this id.")
    return found


def open_round() -> Round | None:
    """The round mentors work now: opened and not closed (a draft is not open)."""
    return db.session.scalar(select(Round).where(Round.opened_at.is_not(None), Round.closed_at.is_(None))
                             .order_by(Round.number.desc()).limit(1))


def current_round() -> Round | None:
    """The draft or open round, if any: there is at most one."""
    return db.session.scalar(select(Round).where(Round.closed_at.is_(None)).order_by(Round.number.desc()).limit(1))


def _reports_to() -> tuple[dict[int, int], list]:
    """Who reports to whom (member ids, leavers included) and the roster as rows (id, email, name, active).

    Plain rows, not ORM objects: a round reads the whole roster, and loading, tracking and
    expiring 20,000 members costs seconds.
    """
    members = db.session.execute(select(Member.id, Member.email, Member.name, Member.active,
                                        Member.reports_to)).all()
    id_of = {m.email: m.id for m in members}
    return {m.id: id_of[m.reports_to] for m in members if m.reports_to in id_of}, members


def opt_outs() -> list[rules.OptOut]:
    return [rules.OptOut(person=o.member_id, scope=OptOutScope(o.scope), round_number=o.round_number,
                         withdrawn=o.withdrawn_at is not None)
            for o in db.session.scalars(select(OptOut))]


def _check_input(due_on: date, mentor_count: int | None, load: int | None, refused: str) -> None:
    errors = {}
    if due_on <= today():
        errors["due_on"] = ["must be after today"]
    elif due_on > today() + timedelta(days=366):
        errors["due_on"] = ["must be within a year"]
    if mentor_count is not None and load is not None:
        errors["mentors"] = ["set the number of mentors or the load, not both"]
    for name, value in (("mentors", mentor_count), ("load", load)):
        if value is not None and not 1 <= value <= 100_000:
            errors[name] = ["must be a whole number from 1"]
    if errors:
        raise ValidationProblem(refused, errors=errors)


def _refuse_while_current() -> None:
    current = current_round()
    if current is not None and current.is_draft:
        raise Conflict(f"Round {current.number} is a draft: open it or discard it before preparing another.")
    if current is not None:
        raise Conflict("A round is open: close it before opening the next one.")


def _compute(number: int, mentor_count: int | None, load: int | None, seed: int | None):
    """Round ``number``'s pairs (a :class:`..domain.assignment.Assignment`) and the seed used; a problem
    naming who when no assignment obeys the rules. Reads only."""
    last = db.session.scalar(select(Round).where(Round.number < number).order_by(Round.number.desc()).limit(1))
    reports_to, members = _reports_to()
    out = rules.opted_out(opt_outs(), number)
    mentees = [m.id for m in members if m.active and m.id not in out]
    previous, change = {}, set()
    if last is not None:
        for mentee, mentor, asked in db.session.execute(
                select(Assignment.mentee_id, Assignment.mentor_id, Assignment.change_requested)
                .where(Assignment.round_id == last.id)):
            previous[mentee] = mentor
            if asked:
                change.add(mentee)
    active = {m.id for m in members if m.active}
    pool = [m.member_id for m in db.session.execute(select(Mentor.member_id)).all() if m.member_id in active]
    seed = random.SystemRandom().randrange(2**31) if seed is None else seed
    names = {m.id: m.name for m in members}
    try:
        mentors = rules.choose_mentors(sorted(pool), mentees, previous, seed, mentor_count=mentor_count, load=load)
        result = rules.assign(mentees, mentors, reports_to, previous=previous, change_requested=change, seed=seed)
    except rules.AssignmentInfeasible as exc:
        who = ", ".join(sorted(names[p] for p in exc.people)) if exc.people else ""
        raise Conflict(f"No assignment follows the rules: {exc}" + (f" ({who})." if who else "."),
                       errors={"people": sorted(names[p] for p in exc.people)} if exc.people else None) from None
    except ValueError as exc:
        raise ValidationProblem(f"The round was not computed: {exc}.") from None
    return result, seed


def _insert_pairs(round_: Round, result) -> None:
    if result.mentor_of:
        insert_many(db.session, Assignment.__table__, [
            {"round_id": round_.id, "mentee_id": mentee, "mentor_id": mentor, "kept": mentee in result.kept,
             "change_requested": False} for mentee, mentor in result.mentor_of.items()])


def _prepare(due_on: date, mentor_count: int | None, load: int | None, seed: int | None, refused: str) -> Round:
    _check_input(due_on, mentor_count, load, refused)
    _refuse_while_current()
    last = db.session.scalar(select(Round.number).order_by(Round.number.desc()).limit(1))
    number = (last or 0) + 1
    result, seed = _compute(number, mentor_count, load, seed)
    new = Round(number=number, opened_at=None, opened_on=None, due_on=due_on, seed=seed, balanced=result.balanced)
    db.session.add(new)
    db.session.flush()
    _insert_pairs(new, result)
    return new


def prepare_round(due_on: date, mentor_count: int | None = None, load: int | None = None,
                  seed: int | None = None) -> Round:
    """The next round as a *draft*: every active member not opted out gets a mentor from the pool, and
    nothing reaches anyone (no mail, no link, no mentor's list) until :func:`open_draft`.

    Last round's pairs are kept unless a change was asked (see :func:`..domain.assignment.assign`).
    Raises a problem (and changes nothing) when a round is a draft or open, the due date is not after
    today, both or a bad number/load are given, or no assignment obeys the rules (naming who).
    """
    new = _prepare(due_on, mentor_count, load, seed, "The round was not prepared.")
    db.session.commit()
    return new


def start_round(due_on: date, mentor_count: int | None = None, load: int | None = None,
                seed: int | None = None) -> Round:
    """Prepare the next round and open it at once, mailing everyone (scripts and the demo; the
    coordinator's page prepares a draft first). Refused like :func:`prepare_round`."""
    new = _prepare(due_on, mentor_count, load, seed, "The round was not opened.")
    _open_now(new)
    db.session.commit()
    return new


def _open_now(round_: Round) -> None:
    """Round ``round_`` opens today and its mail is queued (the caller commits); refused if it opened meanwhile."""
    now = clock.now()
    opened = db.session.execute(update(Round).where(Round.id == round_.id, Round.opened_at.is_(None))
                                .values(opened_at=now, opened_on=today()))
    if opened.rowcount != 1:  # another request opened it first: its mail is queued, not twice
        db.session.rollback()
        raise Conflict("This round is already open.")
    round_.opened_at, round_.opened_on = now, today()
    from .mailing import round_opened
    round_opened(round_)


def _draft_only(round_: Round, doing: str) -> None:
    if not round_.is_draft:
        raise Conflict(f"Round {round_.number} is {round_.status}: {doing} is for a draft round only.")


def recompute(round_: Round, due_on: date, mentor_count: int | None = None, load: int | None = None,
              seed: int | None = None) -> int:
    """Compute a draft's pairs again (a new seed, perhaps a new due date, number of mentors or load),
    dropping the swaps and moves made in it; returns how many were dropped, for the coordinator to be
    told. A refused recompute keeps the draft as it was."""
    _draft_only(round_, "computing the pairs again")
    _check_input(due_on, mentor_count, load, "The draft was not computed again.")
    result, seed = _compute(round_.number, mentor_count, load, seed)
    db.session.execute(delete(Assignment).where(Assignment.round_id == round_.id))
    dropped = round_.changes_by_hand
    round_.due_on, round_.seed, round_.balanced, round_.changes_by_hand = due_on, seed, result.balanced, 0
    _insert_pairs(round_, result)
    db.session.commit()
    return dropped


def discard(round_: Round) -> None:
    """Delete a draft and its pairs: nothing of it ever reached anyone."""
    _draft_only(round_, "discarding")
    db.session.execute(delete(Assignment).where(Assignment.round_id == round_.id))
    db.session.delete(round_)
    db.session.commit()


def roster_changes(round_: Round) -> dict[str, list[str]]:
    """What changed on the roster since the draft's pairs were computed, by name: mentees who left or
    opted out, members who would now be mentees, mentors who left or are out of the pool, pairs now in
    one reporting line (after a roster edit). Empty when the pairs still follow the rules."""
    reports_to, members = _reports_to()
    name = {m.id: m.name for m in members}
    active = {m.id for m in members if m.active}
    expected = active - rules.opted_out(opt_outs(), round_.number)
    pairs = dict(db.session.execute(select(Assignment.mentee_id, Assignment.mentor_id)
                                    .where(Assignment.round_id == round_.id)).all())
    pool = set(db.session.scalars(select(Mentor.member_id))) & active
    found = {
        "not_in_round_any_more": sorted(name[x] for x in pairs.keys() - expected),
        "new_in_round": sorted(name[x] for x in expected - pairs.keys()),
        "mentors": sorted({name[p] for p in pairs.values() if p not in pool}),
        "reporting_line": sorted(f"{name[x]} with {name[p]}" for x, p in pairs.items()
                                 if x in expected and rules.in_line(x, p, reports_to)),
    }
    return {key: names for key, names in found.items() if names}


_CHANGE_WORDS = {"not_in_round_any_more": "no longer in the round (left or opted out)",
                 "new_in_round": "new in the round", "mentors": "mentors who left or are out of the pool",
                 "reporting_line": "pairs now in one reporting line"}


def open_draft(round_: Round) -> Round:
    """Open a draft as it stands: its pairs are frozen as the coordinator left them and each mentor and
    mentee gets their one mail. Refused (nothing sent) when its due date is no longer after today or the
    roster changed since its pairs were computed (:func:`roster_changes`, named in the problem)."""
    _draft_only(round_, "opening")
    if round_.due_on <= today():
        raise ValidationProblem("The round was not opened.", errors={
            "due_on": ["must be after today: compute the draft again with a later due date"]})
    changes = roster_changes(round_)
    if changes:
        listed = "; ".join(f"{_CHANGE_WORDS[key]}: {', '.join(names)}" for key, names in changes.items())
        raise Conflict(f"The roster changed since this draft was computed ({listed}), so nothing was sent; "
                       "compute the draft again before opening it (its swaps and moves are then lost).",
                       errors=changes)
    _open_now(round_)
    db.session.commit()
    return round_


def round_loads(round_: Round) -> list:
    """Each mentor of the round with their load (``mentor_id``, ``mentor``, ``load``), by name."""
    return db.session.execute(
        select(Assignment.mentor_id, Member.name.label("mentor"), func.count().label("load"))
        .join(Member, Member.id == Assignment.mentor_id).where(Assignment.round_id == round_.id)
        .group_by(Assignment.mentor_id, Member.name).order_by(Member.name, Assignment.mentor_id)).all()


def round_pairs(round_: Round) -> list:
    """The round's pairs (``mentee_id``, ``mentee``, ``email``, ``mentor_id``, ``mentor``, ``kept``), by mentee."""
    mentee, mentor = aliased(Member), aliased(Member)
    return db.session.execute(
        select(Assignment.mentee_id, mentee.name.label("mentee"), mentee.email, Assignment.mentor_id,
               mentor.name.label("mentor"), Assignment.kept).select_from(Assignment)
        .join(mentee, mentee.id == Assignment.mentee_id).join(mentor, mentor.id == Assignment.mentor_id)
        .where(Assignment.round_id == round_.id).order_by(mentee.name, Assignment.mentee_id)).all()


def reassign(round_: Round, mentee: int, mentor: int) -> list:
    """Give a mentee of a draft another mentor from the pool; loads may then differ by more than one
    (the round says so). Refused when the mentor is the mentee, in their reporting line, not an active
    member of the pool, or already theirs. Returns the loads that follow."""
    _draft_only(round_, "moving a mentee to another mentor (in an open round, swap two mentees)")
    row = db.session.scalar(select(Assignment).where(Assignment.round_id == round_.id,
                                                     Assignment.mentee_id == mentee)) if 1 <= mentee <= MAX_ID else None
    if row is None:
        raise ValidationProblem("The mentee was not moved.", errors={"mentee": ["is not a mentee of this round"]})
    new = db.session.get(Mentor, mentor) if 1 <= mentor <= MAX_ID else None
    problem = None
    if new is None or not new.member.active:
        problem = "is not an active member of the mentor pool"
    elif mentor == mentee:
        problem = "nobody can be their own mentor"
    elif rules.in_line(mentee, mentor, _reports_to()[0]):
        problem = "is in the mentee's reporting line"
    elif mentor == row.mentor_id:
        problem = "is already this mentee's mentor"
    if problem:
        raise ValidationProblem(f"The mentee was not moved: the mentor {problem}.", errors={"mentor": [problem]})
    row.mentor_id, row.kept = mentor, False
    round_.changes_by_hand += 1
    db.session.flush()
    loads = round_loads(round_)
    round_.balanced = max(r.load for r in loads) - min(r.load for r in loads) <= 1
    db.session.commit()
    return loads


def swap(round_: Round, mentee_a: int, mentee_b: int) -> None:
    """Mentees ``a`` and ``b`` of a draft or open round exchange mentors (loads stay); refused if either
    pair breaks a rule."""
    if round_.closed_at is not None:
        raise Conflict("This round is closed: its assignments are frozen.")
    rows = {a.mentee_id: a for a in db.session.scalars(
        select(Assignment).where(Assignment.round_id == round_.id, Assignment.mentee_id.in_((mentee_a, mentee_b))))}
    if len(rows) < 2:
        raise ValidationProblem("Both must be mentees of this round.", errors={"mentees": ["not both in the round"]})
    reports_to, _ = _reports_to()
    try:
        new = rules.swap({m: a.mentor_id for m, a in rows.items()}, mentee_a, mentee_b, reports_to)
    except rules.SwapRefused as exc:
        raise ValidationProblem(f"The swap was refused: {exc}.", errors={"mentees": [str(exc)]}) from None
    if new[mentee_a] == rows[mentee_a].mentor_id:
        raise ValidationProblem("The two mentees have the same mentor: nothing to swap.",
                                errors={"mentees": ["have the same mentor"]})
    for mentee, row in rows.items():
        row.mentor_id, row.kept = new[mentee], False
    if round_.is_draft:
        round_.changes_by_hand += 1
    db.session.commit()


def close(round_: Round) -> None:
    """Freeze the round: no attempt, swap or request changes it from now on."""
    if round_.is_draft:
        raise Conflict(f"Round {round_.number} is a draft: open it or discard it.")
    if not round_.is_open:
        raise Conflict("This round is already closed.")
    round_.closed_at = clock.now()
    # Links die with the round, except for someone opted out for good: theirs stays to withdraw it.
    keeping = select(OptOut.member_id).where(OptOut.scope == OptOutScope.FOR_GOOD, OptOut.withdrawn_at.is_(None))
    db.session.execute(update(MenteeLink).where(MenteeLink.round_id == round_.id, MenteeLink.revoked_at.is_(None),
                                                MenteeLink.member_id.not_in(keeping))
                       .values(revoked_at=round_.closed_at))
    db.session.commit()


# --- facts for the reports ------------------------------------------------------------------------

def round_opted_out(round_: Round) -> set[int]:
    """Mentees of the round who opted out during it (this round, or for good from this round on).

    A closed round counts the opt-outs as they stood when it closed: a for-good opt-out withdrawn
    later (its link outlives the round) must not change numbers viewers were already shown, since
    two releases of one round that differ by one person tell that person's choice.
    """
    query = select(OptOut.member_id).where(OptOut.round_number == round_.number)
    if round_.closed_at is None:
        query = query.where(OptOut.withdrawn_at.is_(None))
    else:
        query = query.where(OptOut.created_at <= round_.closed_at,
                            or_(OptOut.withdrawn_at.is_(None), OptOut.withdrawn_at > round_.closed_at))
    return set(db.session.scalars(query))


def facts(round_: Round) -> RoundFacts:
    """The round as the reports see it, in two queries whatever the number of mentees."""
    mentor_of = dict(db.session.execute(select(Assignment.mentee_id, Assignment.mentor_id)
                                        .where(Assignment.round_id == round_.id)).all())
    channels, outcomes = {c.value: c for c in Channel}, {o.value: o for o in AttemptOutcome}
    attempts = [AttemptFact(mentee, mentor, day, channels[channel], outcomes[outcome])
                for mentee, mentor, day, channel, outcome in db.session.execute(
                    select(Assignment.mentee_id, Assignment.mentor_id, Attempt.day, Attempt.channel, Attempt.outcome)
                    .join(Attempt, Attempt.assignment_id == Assignment.id).where(Assignment.round_id == round_.id))]
    return RoundFacts(opened_on=round_.opened_on, due_on=round_.due_on, mentor_of=mentor_of, attempts=attempts,
                      opted_out=round_opted_out(round_) & set(mentor_of))


def summary_facts(round_: Round, summary: RoundSummary) -> RoundFacts:
    """A purged round's facts rebuilt from its tally: anonymous mentees, no mentor, no name."""
    mentor_of, attempts, out, n = {}, [], set(), 0
    for flags, day, count in summary.tally:
        for _ in range(count):
            n += 1
            mentor_of[n] = 0
            if "opted_out" in flags:
                out.add(n)
            day0 = round_.opened_on
            for flag, outcome in (("declined", AttemptOutcome.DECLINED),
                                  ("follow_up", AttemptOutcome.FOLLOW_UP_REQUESTED)):
                if flag in flags:
                    attempts.append(AttemptFact(n, 0, day0, Channel.CALL, outcome))
            if "reached" in flags:
                attempts.append(AttemptFact(n, 0, day0 + timedelta(days=day or 0), Channel.CALL,
                                            AttemptOutcome.REACHED))
            elif "attempted" in flags and not set(flags) & {"declined", "follow_up"}:
                attempts.append(AttemptFact(n, 0, day0, Channel.CALL, AttemptOutcome.ATTEMPTED))
    return RoundFacts(opened_on=round_.opened_on, due_on=round_.due_on, mentor_of=mentor_of, attempts=attempts,
                      opted_out=out)


# --- retention ------------------------------------------------------------------------------------

def purge_due() -> int:
    """Delete the person-level rows of rounds closed ``RETENTION_DAYS`` ago, keeping their tally."""
    cutoff = clock.now() - timedelta(days=current_app.config["RETENTION_DAYS"])
    due = list(db.session.scalars(select(Round).where(Round.closed_at.is_not(None), Round.closed_at <= cutoff,
                                                      Round.purged_at.is_(None))))
    for round_ in due:
        tally: dict = {}
        the_facts = facts(round_)
        for mentee in _mentees(the_facts).values():
            key = (tuple(sorted(mentee.flags)), mentee.reach_day)
            tally[key] = tally.get(key, 0) + 1
        db.session.add(RoundSummary(round_id=round_.id, tally=[[list(f), d, c] for (f, d), c in sorted(
            tally.items(), key=lambda item: (item[0][0], -1 if item[0][1] is None else item[0][1]))],
            mentors=len(set(the_facts.mentor_of.values())), made_at=clock.now()))
        assignments = select(Assignment.id).where(Assignment.round_id == round_.id).scalar_subquery()
        db.session.execute(delete(Attempt).where(Attempt.assignment_id.in_(assignments)))
        db.session.execute(delete(Assignment).where(Assignment.round_id == round_.id))
        # The round's mail rows say who was written to (and a reminder row, that a mentor had someone
        # not reached): they go with the rest. Bodies were cleared when sent.
        db.session.execute(delete(OutgoingMail).where(OutgoingMail.key.like(f"oneonone:{round_.id}:%")))
        round_.purged_at = clock.now()
        db.session.flush()
        _forget_what_no_longer_holds()
        db.session.commit()
    if not due and _forget_what_no_longer_holds():
        db.session.commit()
    return len(due)


def _forget_what_no_longer_holds() -> int:
    """Delete opt-outs and links of purged rounds that no longer hold anything (the caller commits).

    An opt-out for this round, or one withdrawn, only feeds its round's numbers, which its tally now
    keeps; a link outlives its round only for someone opted out for good, and only the live one (the
    link to withdraw it; their revoked links of earlier rounds go). Run on every pass, since a for-good
    opt-out may be withdrawn years after its round was purged.
    """
    purged = select(Round.id).where(Round.purged_at.is_not(None))
    gone = db.session.execute(delete(OptOut).where(
        OptOut.round_number.in_(select(Round.number).where(Round.purged_at.is_not(None))),
        or_(OptOut.scope != OptOutScope.FOR_GOOD, OptOut.withdrawn_at.is_not(None)))).rowcount
    keeping = select(OptOut.member_id).where(OptOut.scope == OptOutScope.FOR_GOOD, OptOut.withdrawn_at.is_(None))
    gone += db.session.execute(delete(MenteeLink).where(
        MenteeLink.round_id.in_(purged),
        or_(MenteeLink.member_id.not_in(keeping), MenteeLink.revoked_at.is_not(None)))).rowcount
    return gone


# --- mentors' attempts ----------------------------------------------------------------------------

def member_for(email: str) -> Member | None:
    return db.session.scalar(select(Member).where(func.lower(Member.email) == email.lower()))


def my_assignments(member: Member, round_: Round) -> list[Assignment]:
    """A mentor's mentees in the round, leaving out those marked as left since it opened (nobody to
    reach any more; the round's report still counts them as assigned)."""
    return list(db.session.scalars(select(Assignment).join(Assignment.mentee)
                                   .where(Assignment.round_id == round_.id, Assignment.mentor_id == member.id,
                                          Member.active.is_(True))
                                   .order_by(Member.name)))


def log_attempt(member: Member | None, assignment_id: int, day: date | None, channel: str, outcome: str) -> Attempt:
    """A mentor logs one attempt with one of their own mentees of the open round."""
    row = db.session.get(Assignment, assignment_id) if 1 <= assignment_id <= MAX_ID else None
    round_ = db.session.get(Round, row.round_id) if row is not None else None
    if member is None or row is None or row.mentor_id != member.id or round_.is_draft:
        raise Forbidden("This mentee is not on your list.")  # a draft's pairs are nobody's list yet
    if not round_.is_open:
        raise Conflict("This round is closed: attempts can no longer be logged.")
    day = day or today()
    errors = {}
    if channel not in {c.value for c in Channel}:
        errors["channel"] = ["choose one of: " + ", ".join(c.label for c in Channel)]
    if outcome not in {o.value for o in AttemptOutcome}:
        errors["outcome"] = ["choose one of: " + ", ".join(o.label for o in AttemptOutcome)]
    if not round_.opened_on <= day <= today():
        errors["day"] = [f"must be between the round's first day ({round_.opened_on}) and today"]
    if errors:
        raise ValidationProblem("The attempt was not logged.", errors=errors)
    attempt = Attempt(assignment_id=row.id, mentor_id=member.id, day=day, channel=channel, outcome=outcome, logged_at=clock.now())
    db.session.add(attempt)
    db.session.commit()
    return attempt


def ask_change_by_mentor(member: Member | None, assignment_id: int) -> None:
    """The mentor asks, while the round is open, that this mentee get another mentor from the next round on."""
    row = db.session.get(Assignment, assignment_id) if 1 <= assignment_id <= MAX_ID else None
    round_ = db.session.get(Round, row.round_id) if row is not None else None
    if member is None or row is None or row.mentor_id != member.id or round_.is_draft:
        raise Forbidden("This mentee is not on your list.")  # a draft's pairs are nobody's list yet
    if not round_.is_open:
        raise Conflict("This round is closed: a change of mentor can no longer be asked in it.")
    row.change_requested = True
    db.session.commit()
