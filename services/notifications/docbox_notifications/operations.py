"""Use cases of subscribers: request, confirm, manage, unsubscribe, delete.

A subscription request never says whether the address is known: the answer
is the same, and whatever the case the mailbox owner gets a confirmation link
(unless the per-address limit was reached). Only using that link changes
what is sent. Unsubscribing deletes the subscriber and everything stored
about it (address, programs, pending messages, links): nothing is kept "just
in case".
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from docbox_shared import recurrence
from docbox_shared.clock import aware
from docbox_shared.clock import now as clock_now
from docbox_shared.keys import keyed_hash, keyed_hashes
from docbox_shared.problems import NotFound, TooManyRequests, ValidationProblem
from docbox_shared.tokens import hash_token

from . import schedule
from .models import Delivery, DigestLine, Following, Link, RateHit, Subscriber, db, inbox

OFFSET_CHOICES = {10080: "1 week", 2880: "2 days", 1440: "24 hours", 180: "3 hours", 60: "1 hour", 15: "15 minutes"}


class LinkNotValid(NotFound):
    type = "urn:docbox:problem:link-not-valid"
    title = "This link is not valid any more"


def programs() -> dict[str, dict]:
    """Programs known from events, by id."""
    return {p.entry_id: p.data for p in inbox.programs()}


def check_programs(requested: list[str]) -> list[str]:
    """The requested programs, if each is one an organizer opened to faculty.

    A closed program is refused with the same words as an unknown one, so the
    answer does not tell that it exists (the form lists only open programs too).
    """
    known = programs()
    unknown = [p for p in requested if not known.get(p, {}).get("open")]
    if unknown:
        raise ValidationProblem("Some programs do not exist or are not open for subscription.",
                                errors={"programs": [f"unknown program: {p}" for p in unknown]})
    return sorted(set(requested))


def subscriptions_by_program() -> dict[str, int]:
    """How many active subscribers follow each program: numbers only."""
    rows = db.session.execute(select(Following.program_id, func.count()).join(Subscriber)
                              .where(Subscriber.status == "active").group_by(Following.program_id))
    return {program_id: number for program_id, number in rows}


def normalise_email(address: str) -> str:
    """One spelling per mailbox: surrounding space removed, lower case.

    Local parts are case-sensitive in theory only; treating them as one keeps
    duplicate detection and rate limits from being dodged by capitalisation.
    """
    return address.strip().lower()


def _allow(key: str, window: timedelta, limit: int, now: datetime) -> bool:
    """Count one hit under ``key`` unless ``limit`` hits happened within ``window``."""
    count = db.session.scalar(select(func.count()).select_from(RateHit).where(
        RateHit.key == key, RateHit.at > now - window))
    if count >= limit:
        return False
    db.session.add(RateHit(key=key, at=now))
    return True


def _seconds_until_allowed(key: str, window: timedelta, limit: int, now: datetime) -> int:
    """When the window has slid past enough hits for one more (the ``Retry-After`` of a 429)."""
    hits = db.session.scalars(select(RateHit.at).where(RateHit.key == key, RateHit.at > now - window)
                              .order_by(RateHit.at.desc()).limit(limit)).all()
    if len(hits) < limit:
        return 1
    freed_at = aware(hits[-1]) + window   # the oldest hit that still counts leaves the window then
    return max(1, math.ceil((freed_at - now).total_seconds()))


def request_subscription(email: str, program_ids: list[str], offsets: list[int] | None, digest: bool | None,
                         tz: str | None, client: str) -> None:
    """Record a request and queue its confirmation email. Commits."""
    now = clock_now()
    program_ids = check_programs(program_ids)
    client_key, limit = "client:" + keyed_hash(client or "unknown")[:40], current_app.config["RATE_PER_CLIENT"]
    if not _allow(client_key, timedelta(hours=1), limit, now):
        retry = _seconds_until_allowed(client_key, timedelta(hours=1), limit, now)
        db.session.rollback()
        raise TooManyRequests(f"Too many subscription requests from your network; try again in "
                              f"{_minutes(retry)}.", headers={"Retry-After": str(retry)})
    address = normalise_email(email)
    hashes = keyed_hashes(address)
    sub = db.session.scalar(select(Subscriber).where(Subscriber.email_hash.in_(hashes)))
    if sub is None:
        sub = Subscriber(id=str(uuid.uuid4()), email=address, status="pending",
                         offsets=list(current_app.config["DEFAULT_OFFSETS"]), digest=False,
                         requests=0, bounces=0, created_at=now)
        db.session.add(sub)
    sub.email_hash = hashes[0]   # rehashed under the newest key
    if _allow("email:" + hashes[0][:40], timedelta(days=1), current_app.config["RATE_PER_EMAIL"], now):
        sub.requested = {"programs": program_ids, "offsets": offsets, "digest": digest, "timezone": tz}
        sub.requests = (sub.requests or 0) + 1
        if sub.status == "pending":
            sub.created_at = now   # forgotten a week after the last request if never confirmed
        db.session.flush()
        schedule.add_delivery(set(), subscriber_id=sub.id, subject="confirm", kind="confirm",
                              sequence=sub.requests, due=now, expires=now + timedelta(days=7))
    db.session.commit()


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def subscriber_for(token: str, purpose: str) -> Subscriber:
    link = db.session.get(Link, hash_token(token))
    if link is None or link.purpose != purpose or (
            link.expires_at is not None and aware(link.expires_at) <= clock_now()):
        raise LinkNotValid("The link is unknown, expired, or its subscription was deleted.")
    return db.session.get(Subscriber, link.subscriber_id)


def confirm(token: str) -> str:
    """Apply the confirmed request; returns a fresh manage token. Commits."""
    now = clock_now()
    sub = subscriber_for(token, "confirm")
    requested = sub.requested or {}
    known = programs()
    followed = set(sub.program_ids) if sub.status != "pending" else set()
    followed |= {p for p in requested.get("programs", []) if p in known}
    if requested.get("offsets") is not None or sub.status == "pending":
        sub.offsets = requested.get("offsets") or sub.offsets
    if requested.get("digest") is not None:
        sub.digest = requested["digest"]
    if requested.get("timezone"):
        sub.timezone = requested["timezone"]
    _set_programs(sub, followed)
    sub.status, sub.bounces, sub.confirmed_at, sub.requested = "active", 0, now, None
    db.session.delete(db.session.get(Link, hash_token(token)))
    db.session.flush()
    schedule.plan_subscriber(sub, now)
    from .messages import new_link
    manage = new_link(sub, "manage", now)
    db.session.commit()
    return manage


def _set_programs(sub: Subscriber, program_ids) -> None:
    current = {f.program_id: f for f in sub.programs}
    for program_id in set(current) - set(program_ids):
        sub.programs.remove(current[program_id])
    for program_id in sorted(set(program_ids) - set(current)):
        sub.programs.append(Following(subscriber_id=sub.id, program_id=program_id))


KEEP = object()   # "leave this preference as it is"


def update_preferences(token: str, program_ids: list[str], offsets: list[int], digest: bool,
                       tz: str | None = KEEP) -> Subscriber:
    """From the manage page. An empty program list keeps the address but sends nothing. Commits.

    ``tz`` is the digest's IANA zone, ``None`` for "the first program's", or
    left out to keep the current one.
    """
    sub = subscriber_for(token, "manage")
    program_ids = check_programs(program_ids)
    errors = {}
    if not digest and not offsets:
        errors["offsets"] = ["Choose at least one reminder time, or the weekly digest."]
    if tz is not KEEP and tz is not None:
        try:
            recurrence.zone(tz)
        except recurrence.RuleError:
            errors["timezone"] = ["Choose a time zone from the list."]
    if errors:
        raise ValidationProblem(" ".join(m for ms in errors.values() for m in ms), errors=errors)
    _set_programs(sub, program_ids)
    sub.offsets, sub.digest = sorted(set(offsets), reverse=True) or sub.offsets, digest
    if tz is not KEEP:
        sub.timezone = tz
    db.session.flush()
    schedule.plan_subscriber(sub, clock_now())
    db.session.commit()
    return sub


def pause(token: str) -> Subscriber:
    """Stop every message (reminders, digest, change notices) but keep the choices. Commits.

    The same ``paused`` status as after repeated bounces; the manage page
    tells them apart by the bounce count (reset on resume, so below the limit
    when the person paused).
    """
    sub = subscriber_for(token, "manage")
    if sub.status == "active":
        sub.status = "paused"
        db.session.flush()
        schedule.plan_subscriber(sub, clock_now())   # drops what was planned
    db.session.commit()
    return sub


def resume(token: str) -> Subscriber:
    """A paused subscriber (by choice, or because mail bounced) receives mail again. Commits."""
    sub = subscriber_for(token, "manage")
    if sub.status == "paused":
        sub.status, sub.bounces = "active", 0
        db.session.flush()
        schedule.plan_subscriber(sub, clock_now())
    db.session.commit()
    return sub


def delete_subscriber(token: str) -> None:
    """Unsubscribe = delete everything stored about the subscriber. Commits."""
    sub = subscriber_for(token, "manage")
    # Explicit, so it holds on SQLite without foreign-key enforcement too.
    db.session.execute(delete(DigestLine).where(DigestLine.delivery_id.in_(
        select(Delivery.id).where(Delivery.subscriber_id == sub.id))))
    for model in (Delivery, Link, Following):
        db.session.execute(delete(model).where(model.subscriber_id == sub.id))
    db.session.execute(delete(Subscriber).where(Subscriber.id == sub.id))
    db.session.commit()
