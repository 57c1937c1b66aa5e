"""The CalDAV push worker: bring every target up to Doc Box's calendar.

Vocabulary (see :mod:`.models`): a *push item* is due when its ``wanted_seq``
is ahead of its ``pushed_seq`` and its backoff has passed. One pass claims
due items (a short lease, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers can run), and for each writes one calendar object resource named
``<UID>.ics``: created with ``If-None-Match: *``, replaced or deleted with
``If-Match``. A change therefore costs one request when nothing else touched
the remote copy.

Doc Box is the source of truth. When a precondition fails (412) someone else
edited or deleted the resource: we read the remote copy, put our version back
with its ETag, and record a *conflict*. Every ``CALDAV_RECONCILE_MINUTES`` one
PROPFIND compares the target's ETags with ours, so remote edits and deletions
are repaired even when Doc Box has no change to push.

Network errors, 5xx and 429 leave the item due and put the whole target in
exponential backoff with jitter; nothing is dropped.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from docbox_shared import keys
from docbox_shared.clock import now

from . import ical
from .caldav import Client, Refused, Unreachable
from .models import CaldavTarget, Entry, PushConflict, PushItem, db

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # default of DOCBOX_CALDAV_LEASE_SECONDS
BATCH = 50
MAX_BACKOFF = 3600


@dataclass
class PassReport:
    pushed: int = 0
    requests: int = 0
    failed: int = 0
    conflicts: int = 0


def backoff(attempts: int) -> timedelta:
    """Exponential from 5 s up to an hour, with jitter so retries of many workers spread out."""
    seconds = min(MAX_BACKOFF, 5 * 2 ** min(max(attempts, 1) - 1, 12))
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))


def resource_name(kind: str, entry_id: str) -> str:
    return ical.uid_for(kind, entry_id) + ".ics"


def run_pass() -> PassReport:
    """Push what is due on every target not in backoff."""
    report = PassReport()
    targets = db.session.scalars(select(CaldavTarget).order_by(CaldavTarget.created_at)).all()
    db.session.commit()
    for target in targets:
        if target.retry_at is not None and target.retry_at > now():
            continue
        _push_target(target, report)
    return report


def _client(target: CaldavTarget) -> Client:
    config = current_app.config
    return Client(target.calendar_url, target.username, keys.decrypt(target.password_encrypted),
                  timeout=config["CALDAV_TIMEOUT"], verify=config["CALDAV_VERIFY_TLS"])


def _push_target(target: CaldavTarget, report: PassReport) -> None:
    try:
        client = _client(target)
    except keys.SecretError as exc:
        _target_failed(target, str(exc))
        report.failed += 1
        return
    try:
        _reconcile_if_due(target, client, report)
        for _ in range(1000):  # bounded: items changing during the pass wait for the next one
            batch = _claim(target)
            if not batch:
                break
            for item in batch:
                _push_item(target, client, item, report)
    except Unreachable as exc:
        report.failed += 1
        _target_failed(target, str(exc))
    except Refused as exc:
        report.failed += 1
        _target_failed(target, str(exc))
    else:
        if target.failures or target.retry_at is not None:
            target.failures, target.retry_at = 0, None
            db.session.commit()
    finally:
        report.requests += client.requests


def _target_failed(target: CaldavTarget, message: str) -> None:
    db.session.rollback()
    target.failures = (target.failures or 0) + 1
    target.retry_at = now() + backoff(target.failures)
    target.last_error, target.last_error_at = message, now()
    # Release our leases so another worker may take the items once the backoff is over.
    for item in db.session.scalars(select(PushItem).where(PushItem.target_id == target.id,
                                                          PushItem.lease_until.is_not(None))):
        item.lease_until = None
    db.session.commit()
    log.warning("caldav target failed", extra={"target_id": target.id, "error": message})


def _claim(target: CaldavTarget) -> list[PushItem]:
    at = now()
    items = db.session.scalars(
        select(PushItem).where(
            PushItem.target_id == target.id, PushItem.wanted_seq > PushItem.pushed_seq,
            or_(PushItem.next_attempt_at.is_(None), PushItem.next_attempt_at <= at),
            or_(PushItem.lease_until.is_(None), PushItem.lease_until <= at),
        ).order_by(PushItem.entry_kind, PushItem.entry_id).limit(BATCH).with_for_update(skip_locked=True)
    ).all()
    for item in items:
        item.lease_until = at + timedelta(seconds=current_app.config.get("CALDAV_LEASE_SECONDS", LEASE.total_seconds()))
    db.session.commit()
    return items


def _conflict(target: CaldavTarget, item: PushItem, kind: str, report: PassReport) -> None:
    db.session.add(PushConflict(target_id=target.id, entry_kind=item.entry_kind, entry_id=item.entry_id,
                                kind=kind, detected_at=now()))
    report.conflicts += 1
    log.info("caldav conflict", extra={"target_id": target.id, "entry_id": item.entry_id, "conflict": kind})


def _push_item(target: CaldavTarget, client: Client, item: PushItem, report: PassReport) -> None:
    seq = item.wanted_seq
    entry = db.session.get(Entry, (item.entry_kind, item.entry_id))
    url = client.href(resource_name(item.entry_kind, item.entry_id))
    try:
        if entry is not None and entry.program_id in target.program_ids:
            program = db.session.get(Entry, ("program", entry.program_id))
            body = ical.calendar([(entry.kind, entry.state, entry.version,
                                   program.data.get("name") if program else None)])
            item.remote_etag = _put(target, client, item, url, body, report)
        else:
            _delete(target, client, item, url, report)
            item.remote_etag = None
    except Refused as exc:
        item.attempts += 1
        item.next_attempt_at = now() + backoff(item.attempts)
        item.last_error, item.lease_until = str(exc), None
        target.last_error, target.last_error_at = f"{item.entry_id}: {exc}", now()
        report.failed += 1
        db.session.commit()
        return
    item.pushed_seq = seq
    item.attempts, item.next_attempt_at, item.last_error, item.lease_until = 0, None, None, None
    target.last_success_at = now()
    report.pushed += 1
    db.session.commit()


def _stored_etag(client: Client, url: str, answer) -> str | None:
    # A server that changed what we sent must not return an ETag (RFC 4791 5.3.4): read it back.
    if answer.etag:
        return answer.etag
    remote = client.get(url)
    return remote.etag if remote.status == 200 else None


def _put(target, client: Client, item: PushItem, url: str, body: bytes, report) -> str | None:
    answer = client.put(url, body, if_match=item.remote_etag)
    if answer.status in (200, 201, 204):
        return _stored_etag(client, url, answer)
    if answer.status not in (404, 412):
        raise Refused(f"PUT answered {answer.status}")
    # Someone else changed or deleted it (or created it first): Doc Box's version wins.
    remote = client.get(url)
    if remote.status == 404:
        _conflict(target, item, "deleted", report)
        answer = client.put(url, body)
    elif remote.status == 200 and remote.etag:
        _conflict(target, item, "modified" if item.remote_etag else "existed", report)
        answer = client.put(url, body, if_match=remote.etag)
    else:
        raise Refused(f"GET answered {remote.status}")
    if answer.status in (200, 201, 204):
        return _stored_etag(client, url, answer)
    raise Refused(f"PUT answered {answer.status} again; the resource keeps changing")


def _delete(target, client: Client, item: PushItem, url: str, report) -> None:
    etag = item.remote_etag
    if etag is None:
        if item.pushed_seq == 0 and item.wanted_seq == 1:
            return  # queued and dropped before the first push: never written
        remote = client.get(url)
        if remote.status == 404:
            return
        etag = remote.etag
    answer = client.delete(url, if_match=etag or "*")
    if answer.status in (200, 204, 404):
        return
    if answer.status == 412:
        remote = client.get(url)
        if remote.status == 404:
            return
        _conflict(target, item, "modified", report)
        answer = client.delete(url, if_match=remote.etag or "*")
        if answer.status in (200, 204, 404):
            return
    raise Refused(f"DELETE answered {answer.status}")


def _reconcile_if_due(target: CaldavTarget, client: Client, report: PassReport) -> None:
    """Compare the target's ETags with ours; queue a repair of what someone else touched."""
    interval = timedelta(minutes=current_app.config["CALDAV_RECONCILE_MINUTES"])
    last = target.reconciled_at
    if last is not None and now() - last < interval:
        return
    remote = client.etags()
    for item in db.session.scalars(select(PushItem).where(
            PushItem.target_id == target.id, PushItem.pushed_seq == PushItem.wanted_seq,
            PushItem.remote_etag.is_not(None))):
        etag = remote.get(resource_name(item.entry_kind, item.entry_id))
        if etag == item.remote_etag:
            continue
        _conflict(target, item, "deleted" if etag is None else "modified", report)
        # The next push overwrites exactly the copy we just saw (or recreates it).
        item.remote_etag = etag
        item.wanted_seq += 1
    target.reconciled_at = now()
    db.session.commit()
