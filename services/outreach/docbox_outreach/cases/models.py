"""Tables of the case-based program (all named ``case_*``).

Words: a *referral* is one submission of a referrer (physician, trigger type,
date); a *pairing* is the support offered to one physician, which every
referral of that physician joins while it is open. A pairing *waits* in the
coordinator's queue, is *assigned* to a supporter (the match: the
first-contact due time starts), becomes *active* once the supporter attests
to having no conflict, and is *closed* with a reason code. A supporter who
refuses sends it back to waiting, and is not asked again for it.

What no table has: a column for a patient, a record, a case or claim number,
a narrative, an allegation, a note or a reason in words. Every character
column here is either a member of a fixed list (a CHECK constraint names the
values), a token's hash, a quarter label, or the program's own guidelines
text (written by the coordinator, about no one). ``tests/outreach`` checks
this against the migrated database.

*Summaries* are the de-identified rows kept after a closed pairing's
identifiable rows are deleted (:mod:`docbox_outreach.domain.cases`). Survey
*answers* have no link to a person, a pairing, the link that carried them or
the time they came: a random id, the round, the answers.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Enum, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from docbox_shared.clock import UTCDateTime, now

from ..domain.vocabulary import Channel, ClosingReason, ContactOutcome, DivisionPreference, Trigger
from .host import NEVER_REUSE_IDS, Member, db


class Status(StrEnum):
    WAITING = "waiting"      # in the coordinator's queue
    ASSIGNED = "assigned"    # a supporter was asked; they have not attested yet
    ACTIVE = "active"        # the supporter attested: no conflict
    CLOSED = "closed"


class TrainingKind(StrEnum):
    TRAINING = "training"
    REFRESHER = "refresher"


def choice(enum: type[StrEnum], name: str) -> Enum:
    """A column holding one member of ``enum`` (its values), with a CHECK constraint listing them."""
    return Enum(enum, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Supporter(db.Model):
    """A trained peer supporter: a member of the roster with a capacity."""

    __tablename__ = "case_supporters"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    capacity: Mapped[int] = mapped_column(Integer, default=2)
    resting: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    member: Mapped[Member] = relationship(lazy="joined")
    trainings: Mapped[list[Training]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                     order_by="Training.trained_on")
    __table_args__ = (CheckConstraint("capacity >= 0 AND capacity <= 50", name="capacity_range"), NEVER_REUSE_IDS)


class Training(db.Model):
    """A training or refresher a supporter completed, on a date."""

    __tablename__ = "case_trainings"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    supporter_id: Mapped[int] = mapped_column(ForeignKey("case_supporters.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TrainingKind] = mapped_column(choice(TrainingKind, "training_kind"))
    trained_on: Mapped[date] = mapped_column(Date)


class Guideline(db.Model):
    """One version of the program's written guidelines (the coordinator's text, about no one)."""

    __tablename__ = "case_guidelines"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Acknowledgement(db.Model):
    """A supporter read and accepted a version of the guidelines."""

    __tablename__ = "case_acknowledgements"
    supporter_id: Mapped[int] = mapped_column(ForeignKey("case_supporters.id", ondelete="CASCADE"),
                                              primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("case_guidelines.version"), primary_key=True)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Pairing(db.Model):
    """The support offered to one physician, from the first referral to the closing."""

    __tablename__ = "case_pairings"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    trigger: Mapped[Trigger] = mapped_column(choice(Trigger, "trigger"))         # of the first referral
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)                   # the first referral came
    status: Mapped[Status] = mapped_column(choice(Status, "pairing_status"), default=Status.WAITING, index=True)
    division_preference: Mapped[DivisionPreference | None] = mapped_column(
        choice(DivisionPreference, "division_preference"))
    supporter_id: Mapped[int | None] = mapped_column(ForeignKey("case_supporters.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)            # the match
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)                 # first contact due
    attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reoffer_on: Mapped[date | None] = mapped_column(Date)
    reoffer_mailed_on: Mapped[date | None] = mapped_column(Date)                 # the supporter was told of it
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closing_reason: Mapped[ClosingReason | None] = mapped_column(choice(ClosingReason, "closing_reason"))

    physician: Mapped[Member] = relationship(lazy="joined", foreign_keys=[physician_id])
    supporter: Mapped[Supporter | None] = relationship(lazy="joined")
    referrals: Mapped[list[Referral]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                     order_by="Referral.id")
    contacts: Mapped[list[Contact]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                   order_by="Contact.contacted_at")


class Referral(db.Model):
    """One referral: which pairing it joined, the trigger type and the date the referrer gave. Nothing else."""

    __tablename__ = "case_referrals"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("case_pairings.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[Trigger] = mapped_column(choice(Trigger, "trigger"))
    referred_on: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Refusal(db.Model):
    """A supporter declined to take a pairing (no reason is asked or kept)."""

    __tablename__ = "case_refusals"
    pairing_id: Mapped[int] = mapped_column(ForeignKey("case_pairings.id", ondelete="CASCADE"), primary_key=True)
    supporter_id: Mapped[int] = mapped_column(ForeignKey("case_supporters.id", ondelete="CASCADE"),
                                              primary_key=True)


class Contact(db.Model):
    """One contact a supporter logged: when, how, and a fixed outcome."""

    __tablename__ = "case_contacts"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("case_pairings.id", ondelete="CASCADE"), index=True)
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[Channel] = mapped_column(choice(Channel, "channel"))
    outcome: Mapped[ContactOutcome] = mapped_column(choice(ContactOutcome, "contact_outcome"))


class Summary(db.Model):
    """What is kept of a closed pairing after its identifiable rows are deleted."""

    __tablename__ = "case_summaries"
    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[Trigger] = mapped_column(choice(Trigger, "trigger"))
    quarter: Mapped[str] = mapped_column(String(7))   # "2026-Q3"
    hours_to_first_contact: Mapped[int | None] = mapped_column(Integer)
    contacts: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[ContactOutcome | None] = mapped_column(choice(ContactOutcome, "contact_outcome"))
    closing_reason: Mapped[ClosingReason] = mapped_column(choice(ClosingReason, "closing_reason"))
    __table_args__ = (CheckConstraint("quarter LIKE '____-Q_'", name="quarter_label"), NEVER_REUSE_IDS)


class ReleasedQuarter(db.Model):
    """A quarter's pairings as the viewers' report reads them, frozen when the quarter is released.

    ``rows`` holds one ``[trigger, contacts, hours to first contact or null, outcome or null]`` per
    pairing, sorted (no order of arrival), the fields of a de-identified summary less the closing
    reason. Frozen because a release that changes tells what changed: two reads of a quarter a
    month apart would show one physician's news.
    """

    __tablename__ = "case_released_quarters"
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)   # "2026-Q3"
    rows: Mapped[list] = mapped_column(JSON)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (CheckConstraint("quarter LIKE '____-Q_'", name="quarter_label"),)


class SurveyRound(db.Model):
    """A round of the one-year survey: the period whose accepted pairings were asked."""

    __tablename__ = "case_survey_rounds"
    __table_args__ = NEVER_REUSE_IDS
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    links_sent: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyLink(db.Model):
    """A single-use survey link: the token's hash and its round. Deleted when used or when the round closes."""

    __tablename__ = "case_survey_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("case_survey_rounds.id", ondelete="CASCADE"), index=True)


SURVEY_ITEMS = {
    "timely": "The first contact came at a good time.",
    "understood": "My supporter understood what I was going through.",
    "safe": "I could speak freely.",
}


class SurveyAnswer(db.Model):
    """One answer: a random id, the round, the answers. No person, pairing, link or time."""

    __tablename__ = "case_survey_answers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)   # random: no order of arrival
    round_id: Mapped[int] = mapped_column(ForeignKey("case_survey_rounds.id", ondelete="CASCADE"), index=True)
    valuable: Mapped[bool] = mapped_column(Boolean)
    recommend: Mapped[bool] = mapped_column(Boolean)
    timely: Mapped[int | None] = mapped_column(SmallInteger)
    understood: Mapped[int | None] = mapped_column(SmallInteger)
    safe: Mapped[int | None] = mapped_column(SmallInteger)
    __table_args__ = tuple(CheckConstraint(f"{item} BETWEEN 1 AND 5", name=f"{item}_scale") for item in SURVEY_ITEMS)
