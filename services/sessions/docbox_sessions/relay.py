"""The outbox relay: delivers every event to every subscriber, until acknowledged.

Each ``OutboxDelivery`` row is one event for one subscriber URL. The relay
claims one due row at a time (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any
number of relays can run side by side; SQLite serialises writers, so run one
relay there), POSTs the event's body signed with HMAC-SHA256 over timestamp and
body, and marks it delivered on a 2xx answer. Anything else is retried with
exponential backoff and jitter (capped at ``DOCBOX_RELAY_MAX_BACKOFF``), forever: the
failing subscriber shows in ``/api/v1/outbox`` with its last error. An event
the subscriber refuses as invalid (400, 413, 415 or 422: retrying cannot change
the answer) is *parked* instead: kept, not retried, counted in ``/api/v1/outbox``
and the ``docbox_outbox_parked`` metric with the subscriber's reason, until an
admin runs ``flask --app docbox_sessions outbox retry-parked`` after fixing the
cause. Later versions of the same entry are still delivered. A relay
killed mid-delivery leaves the row undelivered, so it is sent again; consumers
ignore the duplicate by its event id.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import case, func, select

from docbox_shared import loop, signing
from docbox_shared.clock import now

from .models import OutboxDelivery, db

log = logging.getLogger(__name__)
BASE_BACKOFF = 1.0
MAX_BACKOFF = 600.0
TIMEOUT = 10
REFUSED = {400, 413, 415, 422}  # the event itself is wrong for this subscriber: park it


def backoff_seconds(attempts: int, cap: float = MAX_BACKOFF) -> float:
    """Delay before the next try after ``attempts`` failures: 1 s, 2 s, 4 s ... capped, ±50 % jitter."""
    return min(cap, BASE_BACKOFF * 2 ** min(attempts - 1, 30)) * random.uniform(0.5, 1.5)


def _claim_one() -> OutboxDelivery | None:
    query = (select(OutboxDelivery)
             .where(OutboxDelivery.delivered_dt.is_(None), OutboxDelivery.parked_dt.is_(None),
                    OutboxDelivery.next_attempt_dt <= now())
             .order_by(OutboxDelivery.next_attempt_dt, OutboxDelivery.id)
             .limit(1))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalars(query).first()


def _send(delivery: OutboxDelivery, http: requests.Session) -> tuple[str | None, bool]:
    """POST one event: ``(None, False)`` on success, else a short error and whether it was refused as invalid."""
    event = delivery.event
    body = event.body.encode()
    headers = {"Content-Type": "application/json", **signing.sign(body, current_app.config["EVENT_SECRETS"][0])}
    if event.request_id:
        headers["X-Request-Id"] = event.request_id
    try:
        response = http.post(delivery.subscriber, data=body, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: could not reach the subscriber", False
    if 200 <= response.status_code < 300:
        return None, False
    error = f"HTTP {response.status_code}"
    if response.status_code in REFUSED:
        try:
            problem = response.json()
            error += f": {problem.get('detail') or problem.get('title')} {problem.get('errors') or ''}".rstrip()
        except ValueError:
            pass
    return error[:500], response.status_code in REFUSED


def deliver_due(limit: int | None = None, http: requests.Session | None = None) -> int:
    """Deliver due rows one transaction at a time; returns how many were attempted."""
    http = http or requests.Session()
    attempted = 0
    while limit is None or attempted < limit:
        delivery = _claim_one()
        if delivery is None:
            db.session.rollback()
            break
        error, refused = _send(delivery, http)
        attempted += 1
        if error is None:
            delivery.delivered_dt = now()
            delivery.last_error = None
        elif refused:
            delivery.attempts += 1
            delivery.last_error, delivery.parked_dt = error, now()
            log.error("event refused by the subscriber; parked", extra={
                "event_id": delivery.event.event_id, "subscriber": delivery.subscriber, "error": error[:120]})
        else:
            delivery.attempts += 1
            delivery.last_error = error
            delay = backoff_seconds(delivery.attempts, current_app.config.get("RELAY_MAX_BACKOFF", MAX_BACKOFF))
            delivery.next_attempt_dt = now() + timedelta(seconds=delay)
            log.warning("delivery failed", extra={"event_id": delivery.event.event_id, "attempts": delivery.attempts,
                                                  "error": error, "subscriber": delivery.subscriber})
        db.session.commit()
    return attempted


def run(poll_interval: float = 0.5, stop=lambda: False) -> None:
    """Deliver forever (until ``stop()``), sleeping briefly when nothing is due; any error only delays it."""
    http = requests.Session()
    loop.run(lambda _stopped: deliver_due(limit=100, http=http) > 0, db, poll_interval, log, "relay", stop=stop)


def retry_parked(subscriber: str | None = None) -> int:
    """Make parked deliveries due again (after the subscriber was fixed); returns how many."""
    rows = db.session.scalars(select(OutboxDelivery).where(
        OutboxDelivery.delivered_dt.is_(None), OutboxDelivery.parked_dt.is_not(None),
        *([OutboxDelivery.subscriber == subscriber] if subscriber else []))).all()
    for row in rows:
        row.parked_dt, row.attempts, row.next_attempt_dt = None, 0, now()
    return len(rows)


def status() -> dict:
    """Pending and parked deliveries, the oldest pending one's age, and each subscriber's state."""
    moment = now()
    undelivered = OutboxDelivery.delivered_dt.is_(None)
    is_parked = OutboxDelivery.parked_dt.is_not(None)
    rows = db.session.execute(
        select(OutboxDelivery.subscriber, func.count(), func.sum(case((is_parked, 1), else_=0)),
               func.min(case((is_parked, None), else_=OutboxDelivery.created_dt)),
               func.max(OutboxDelivery.attempts))
        .where(undelivered).group_by(OutboxDelivery.subscriber)).all()
    subscribers = []
    for subscriber, count, parked, oldest, max_attempts in rows:
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=moment.tzinfo)
        last_error = db.session.scalar(select(OutboxDelivery.last_error).where(
            undelivered, OutboxDelivery.subscriber == subscriber, OutboxDelivery.last_error.is_not(None))
            .order_by(OutboxDelivery.id.desc()).limit(1))
        subscribers.append(dict(subscriber=subscriber, pending=count - parked, parked=parked, failing=max_attempts > 0,
                                oldest_pending_age_seconds=(moment - oldest).total_seconds() if oldest else None,
                                max_attempts=max_attempts, last_error=last_error))
    ages = [s["oldest_pending_age_seconds"] for s in subscribers if s["oldest_pending_age_seconds"] is not None]
    return dict(pending=sum(s["pending"] for s in subscribers), parked=sum(s["parked"] for s in subscribers),
                oldest_pending_age_seconds=max(ages) if ages else None, subscribers=subscribers)
