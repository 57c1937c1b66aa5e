"""The roster of supporters: training and refresher dates, capacity, resting, the guidelines acknowledged.

A supporter is a member of the roster. Their training is *current* from
their latest training or refresher until ``TRAINING_VALID_DAYS`` later
(:mod:`docbox_outreach.domain.matching`). The guidelines are versioned texts
the coordinator publishes; a supporter acknowledges the latest one on their
page, and is not ranked for new pairings until they have (statutes that
protect peer supporters protect those acting within written guidelines).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from docbox_shared import clock
from docbox_shared.inputs import text_errors
from docbox_shared.problems import Conflict, NotFound, ValidationProblem

from ..domain import matching
from .host import Member, db
from .models import Acknowledgement, Guideline, Pairing, Status, Supporter, Training, TrainingKind

MAX_GUIDELINES = 20_000


def training_valid_for() -> timedelta:
    return timedelta(days=current_app.config.get("TRAINING_VALID_DAYS", 365))


def get(supporter_id: int) -> Supporter:
    supporter = db.session.get(Supporter, supporter_id) if 0 < supporter_id < 2 ** 31 else None
    if supporter is None:
        raise NotFound("No such supporter.")
    return supporter


def of_email(email: str) -> Supporter | None:
    return db.session.scalar(select(Supporter).join(Member, Supporter.member_id == Member.id)
                             .where(func.lower(Member.email) == email.lower()))


def add(member_id: int, capacity: int, trained_on: date | None = None) -> Supporter:
    member = db.session.get(Member, member_id) if 0 < member_id < 2 ** 31 else None
    errors = {}
    if member is None or not member.active:
        errors["member_id"] = ["Choose a person from the roster."]
    if not 0 <= capacity <= 50:
        errors["capacity"] = ["Give a capacity from 0 to 50 open pairings."]
    if errors:
        raise ValidationProblem("Some fields are missing or not valid.", errors=errors)
    if db.session.scalar(select(Supporter.id).where(Supporter.member_id == member_id)) is not None:
        raise Conflict("This person is already a supporter.")
    supporter = Supporter(member_id=member_id, capacity=capacity, resting=False, created_at=clock.now())
    if trained_on is not None:
        supporter.trainings.append(Training(kind=TrainingKind.TRAINING, trained_on=trained_on))
    db.session.add(supporter)
    return supporter


def change(supporter: Supporter, capacity: int | None = None, resting: bool | None = None) -> None:
    if capacity is not None:
        if not 0 <= capacity <= 50:
            raise ValidationProblem("Some fields are missing or not valid.",
                                    errors={"capacity": ["Give a capacity from 0 to 50 open pairings."]})
        supporter.capacity = capacity
    if resting is not None:
        supporter.resting = resting


def record_training(supporter: Supporter, kind: str, trained_on: date, today: date) -> None:
    try:
        kind = TrainingKind(kind)
    except ValueError:
        raise ValidationProblem("Some fields are missing or not valid.",
                                errors={"kind": ["Choose training or refresher."]}) from None
    if not today - timedelta(days=3660) <= trained_on <= today:
        raise ValidationProblem("Some fields are missing or not valid.",
                                errors={"trained_on": ["Give a date of the last ten years, not in the future."]})
    supporter.trainings.append(Training(kind=kind, trained_on=trained_on))


def latest_guideline() -> Guideline | None:
    return db.session.scalar(select(Guideline).order_by(Guideline.version.desc()).limit(1))


def publish_guidelines(body: str) -> Guideline:
    body = body.strip()
    errors = text_errors(body, MAX_GUIDELINES) or ([] if body else ["Write the guidelines."])
    if errors:
        raise ValidationProblem("Some fields are missing or not valid.", errors={"body": errors})
    latest = latest_guideline()
    guideline = Guideline(version=(latest.version + 1) if latest else 1, body=body, published_at=clock.now())
    db.session.add(guideline)
    return guideline


def acknowledge(supporter: Supporter, version: int) -> None:
    latest = latest_guideline()
    if latest is None or latest.version != version:
        raise Conflict("These are not the latest guidelines: reload the page and read the latest version.")
    if db.session.get(Acknowledgement, (supporter.id, version)) is None:
        db.session.add(Acknowledgement(supporter_id=supporter.id, version=version, acknowledged_at=clock.now()))


def acknowledged_latest(supporter_ids) -> set[int]:
    latest = latest_guideline()
    if latest is None:
        return set(supporter_ids)  # no guidelines published: nothing to acknowledge
    return set(db.session.scalars(select(Acknowledgement.supporter_id).where(
        Acknowledgement.version == latest.version, Acknowledgement.supporter_id.in_(list(supporter_ids)))))


def open_loads() -> dict[int, int]:
    rows = db.session.execute(select(Pairing.supporter_id, func.count()).where(
        Pairing.supporter_id.is_not(None), Pairing.status.in_((Status.ASSIGNED, Status.ACTIVE)))
        .group_by(Pairing.supporter_id))
    return dict(rows.all())


def roster() -> list[Supporter]:
    return list(db.session.scalars(select(Supporter).join(Member, Supporter.member_id == Member.id)
                                   .order_by(Member.name, Supporter.id)))


def as_domain(supporter: Supporter, load: int) -> matching.Supporter:
    return matching.Supporter(id=supporter.member_id, division=supporter.member.division,
                              trained_on=tuple(t.trained_on for t in supporter.trainings),
                              capacity=supporter.capacity, open_load=load,
                              resting=supporter.resting or not supporter.member.active)
