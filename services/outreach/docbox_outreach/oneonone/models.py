"""Tables of the one-on-one outreach network.

Words: a *round* is one pass of outreach, opened on a day with a due date and
closed (frozen) later; each active member who has not opted out is a
*mentee* with exactly one *mentor* in it (an :class:`Assignment`). A mentor
logs *attempts*: a day, a channel and an outcome, from the fixed lists of
:mod:`..domain.vocabulary`. A mentee may *opt out* (this round or for good)
or ask for another mentor through a capability link (:class:`MenteeLink`).
The *mentor pool* holds the members willing to mentor.

What is not here, on purpose: no column for a note, a reason, what was said
or how anyone is doing. Every column of attempts, assignments and opt-outs is
an id, a date or instant, a flag, or a fixed code
(``tests/outreach/test_privacy_schema.py`` fails on any other). After a round
is closed for ``RETENTION_DAYS`` its assignments and attempts are deleted and
only :class:`RoundSummary` (counts, no person) remains.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docbox_shared.clock import UTCDateTime

from ..models import NEVER_REUSE_IDS, Member, db


class Mentor(db.Model):
    """A member in the mentor pool (the coordinator adds and removes them)."""

    __tablename__ = "oneonone_mentors"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(lazy="joined")


class Round(db.Model):
    """One round: a *draft* (pairs computed, nothing sent, ``opened_at`` empty), then opened, due, closed
    (frozen), and its person-level rows purged later."""

    __tablename__ = "oneonone_rounds"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # 1, 2, ...: opt-outs count rounds by it
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # empty while a draft
    opened_on: Mapped[date | None] = mapped_column(Date)  # day 0 of the round, in the department's time zone
    due_on: Mapped[date] = mapped_column(Date)
    seed: Mapped[int] = mapped_column(Integer)
    balanced: Mapped[bool] = mapped_column(Boolean, default=True)
    changes_by_hand: Mapped[int] = mapped_column(Integer, default=0)  # a draft's swaps and moves: recomputing drops them
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_draft(self) -> bool:
        return self.opened_at is None

    @property
    def is_open(self) -> bool:
        """Opened and not closed: mentors work it (a draft is not open)."""
        return self.opened_at is not None and self.closed_at is None

    @property
    def status(self) -> str:
        return "draft" if self.is_draft else "open" if self.closed_at is None else "closed"


class Assignment(db.Model):
    """Mentee and mentor in one round; ``change_requested``: either asked for another mentor."""

    __tablename__ = "oneonone_assignments"
    __table_args__ = (UniqueConstraint("round_id", "mentee_id"),
                      Index("ix_oneonone_assignments_round_mentor", "round_id", "mentor_id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("oneonone_rounds.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kept: Mapped[bool] = mapped_column(Boolean, default=False)  # kept last round's mentor
    change_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    round: Mapped[Round] = relationship()
    mentee: Mapped[Member] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Member] = relationship(foreign_keys=[mentor_id])


class Attempt(db.Model):
    """One attempt of a mentor: the day, the channel, the outcome. Nothing else exists."""

    __tablename__ = "oneonone_attempts"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("oneonone_assignments.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("members.id"))  # who logged it: a mentor sees only their own
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))   # vocabulary.Channel
    outcome: Mapped[str] = mapped_column(String(30))   # vocabulary.AttemptOutcome
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OptOut(db.Model):
    """A mentee's opt-out from round ``round_number`` on: this round only, or until withdrawn."""

    __tablename__ = "oneonone_opt_outs"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(20))  # vocabulary.OptOutScope
    round_number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MenteeLink(db.Model):
    """A mentee's capability link of one round: only its SHA-256 is stored; revocable."""

    __tablename__ = "oneonone_mentee_links"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("oneonone_rounds.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()


class RoundSummary(db.Model):
    """What stays of a round once its person-level rows are purged: counts, nobody in them.

    ``tally`` maps a mentee's flags and day of first reach to how many mentees had them
    (``[[flags, day or null, count], ...]``), enough for the coordinator's report without
    mentor rows and for the viewers' release.
    """

    __tablename__ = "oneonone_round_summaries"

    round_id: Mapped[int] = mapped_column(ForeignKey("oneonone_rounds.id", ondelete="CASCADE"), primary_key=True)
    tally: Mapped[list] = mapped_column(JSON)
    mentors: Mapped[int] = mapped_column(Integer)
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
