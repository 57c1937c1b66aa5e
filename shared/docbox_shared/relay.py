"""The outbox relay: delivers every event to every subscriber, until acknowledged.

Each delivery row of an :class:`~.outbox.Outbox` is one event for one
subscriber URL. The relay claims one due row at a time (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so any number of relays can run side by side; SQLite
serialises writers, so run one relay there), POSTs the event's body signed
with HMAC-SHA256 over timestamp and body (:mod:`.signing`), and marks it
delivered on a 2xx answer. Anything else is retried with exponential backoff
and jitter (capped at ``DOCBOX_RELAY_MAX_BACKOFF``), forever: the failing
subscriber shows in the service's outbox status with its last error. An event
the subscriber refuses as invalid (400, 413, 415 or 422: retrying cannot
change the answer) is *parked* instead: kept, not retried, counted in the
status and the ``docbox_outbox_parked`` metric with the subscriber's reason,
until an admin runs ``flask outbox retry-parked`` after fixing the cause.
Later versions of the same entry are still delivered. A subscriber that
fails (unreachable, silent until the timeout, or answering an error) is left
alone for the rest of the pass, so one that does not answer costs each pass
one timeout, not one per event, and never holds up the others. A relay killed
mid-delivery leaves the row undelivered, so it is sent again; consumers
ignore the duplicate by its event id.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import requests
from flask import current_app
from sqlalchemy import select

from . import clock, loop, signing

log = logging.getLogger(__name__)
BASE_BACKOFF = 1.0
MAX_BACKOFF = 600.0
TIMEOUT = 10
REFUSED = {400, 413, 415, 422}  # the event itself is wrong for this subscriber: park it


def backoff_seconds(attempts: int, cap: float = MAX_BACKOFF) -> float:
    """Delay before the next try after ``attempts`` failures: 1 s, 2 s, 4 s ... capped, ±50 % jitter."""
    return min(cap, BASE_BACKOFF * 2 ** min(attempts - 1, 30)) * random.uniform(0.5, 1.5)


def _claim_one(outbox, skip: set[str]):
    D = outbox.Delivery
    query = (select(D)
             .where(D.delivered_at.is_(None), D.parked_at.is_(None), D.next_attempt_at <= clock.now(),
                    *([D.subscriber.not_in(sorted(skip))] if skip else []))
             .order_by(D.next_attempt_at, D.id)
             .limit(1))
    if outbox.db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return outbox.db.session.scalars(query).first()


def _send(event, subscriber: str, http: requests.Session) -> tuple[str | None, bool]:
    """POST one event: ``(None, False)`` on success, else a short error and whether it was refused as invalid."""
    body = event.body.encode()
    headers = {"Content-Type": "application/json", **signing.sign(body, current_app.config["EVENT_SECRETS"][0])}
    if event.request_id:
        headers["X-Request-Id"] = event.request_id
    try:
        response = http.post(subscriber, data=body, headers=headers, timeout=TIMEOUT)
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


def deliver_due(outbox, limit: int | None = None, http: requests.Session | None = None) -> int:
    """Deliver due rows one transaction at a time; returns how many were attempted."""
    http = http or requests.Session()
    session = outbox.db.session
    attempted = 0
    failing: set[str] = set()   # subscribers that failed in this pass: their other rows wait for the next
    while limit is None or attempted < limit:
        delivery = _claim_one(outbox, failing)
        if delivery is None:
            session.rollback()
            break
        event = session.get(outbox.Event, delivery.outbox_event_id)
        error, refused = _send(event, delivery.subscriber, http)
        attempted += 1
        if error is None:
            delivery.delivered_at = clock.now()
            delivery.last_error = None
        elif refused:
            delivery.attempts += 1
            delivery.last_error, delivery.parked_at = error, clock.now()
            log.error("event refused by the subscriber; parked", extra={
                "event_id": event.event_id, "subscriber": delivery.subscriber, "error": error[:120]})
        else:
            failing.add(delivery.subscriber)
            delivery.attempts += 1
            delivery.last_error = error
            delay = backoff_seconds(delivery.attempts, current_app.config.get("RELAY_MAX_BACKOFF", MAX_BACKOFF))
            delivery.next_attempt_at = clock.now() + timedelta(seconds=delay)
            log.warning("delivery failed", extra={"event_id": event.event_id, "attempts": delivery.attempts,
                                                  "error": error, "subscriber": delivery.subscriber})
        session.commit()
    return attempted


def run(outbox, poll_interval: float = 0.5, stop=lambda: False) -> None:
    """Deliver forever (until ``stop()``), sleeping briefly when nothing is due; any error only delays it."""
    http = requests.Session()

    def one_pass(stopped) -> bool:
        busy = deliver_due(outbox, limit=100, http=http) > 0
        for work in outbox.also:  # e.g. the service's mail queue
            busy = work(stopped) or busy
        return busy

    loop.run(one_pass, outbox.db, poll_interval, log, "relay", stop=stop)
