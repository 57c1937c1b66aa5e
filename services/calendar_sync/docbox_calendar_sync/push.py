"""The CalDAV push worker: bring every target up to Doc Box's calendar.

Vocabulary (see :mod:`.models`): a *push item* is due when its ``wanted_seq``
is ahead of its ``pushed_seq`` and its backoff has passed. One pass claims
due items (a short lease, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers can run), and for each writes one calendar object resource named
``<UID>.ics``: created with ``If-None-Match: *``, replaced or deleted with
``If-Match``. A change therefore costs one request when nothing else touched
the remote copy. A batch's bodies are rendered and its outcomes recorded in
the worker's thread while a small pool sends up to ``CONCURRENT_REQUESTS``
writes at once (one at a time, from then on, to a target whose server answered
423 Locked: Xandikos does to concurrent replacements).

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
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from docbox_shared import keys
from docbox_shared.clock import now

from . import ical
from .caldav import Client, Refused, Unreachable
from .models import CaldavTarget, Entry, PushConflict, PushItem, db

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # default of DOCBOX_CALDAV_LEASE_SECONDS
BATCH = 50
# Writes in flight at once per target. The server's work per PUT (parsing, storing,
# fsync) is most of a push; a few at once keep it busy while we render and record
# (bench/caldav_push.py). Few enough for small servers and rate limits.
CONCURRENT_REQUESTS = 4
MAX_BACKOFF = 3600
COMMIT_SECONDS = 1.0  # outcomes of writes are committed together at most this often (see _push_batch)
# Targets whose server answered 423 Locked to our concurrent writes (a server that commits one
# write at a time): learnt once in this worker process, they get one write at a time from then on.
_ONE_AT_A_TIME: set[str] = set()


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
    """Push what is due on every target neither paused nor in backoff (a paused one keeps its queue)."""
    report = PassReport()
    targets = db.session.scalars(select(CaldavTarget).order_by(CaldavTarget.created_at)).all()
    db.session.commit()
    for target in targets:
        if target.paused_at is not None or (target.retry_at is not None and target.retry_at > now()):
            continue
        _push_target(target, report)
    return report


def _client(target: CaldavTarget) -> Client:
    config = current_app.config
    return Client(target.calendar_url, target.username, keys.decrypt(target.password_encrypted),
                  timeout=config["CALDAV_TIMEOUT"], verify=config["CALDAV_VERIFY_TLS"],
                  concurrency=1 if target.id in _ONE_AT_A_TIME else CONCURRENT_REQUESTS)


def _push_target(target: CaldavTarget, report: PassReport) -> None:
    try:
        client = _client(target)
    except keys.SecretError as exc:
        _target_failed(target, str(exc))
        report.failed += 1
        return
    try:
        _reconcile_if_due(target, client, report)
        with ThreadPoolExecutor(CONCURRENT_REQUESTS, thread_name_prefix="caldav-push") as pool:
            for _ in range(1000):  # bounded: items changing during the pass wait for the next one
                batch = _claim(target)
                if not batch:
                    break
                _push_batch(target, client, pool, batch, report)
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
        if client.locked:
            _ONE_AT_A_TIME.add(target.id)
        client.close()


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


@dataclass
class _Job:
    """One claimed item's write. Read before the claim's commit (which expires the rows),
    so neither rendering nor the pool's threads ever go back to the database for it."""

    target_id: str
    entry_kind: str
    entry_id: str
    seq: int  # the wanted_seq claimed; pushed_seq becomes it on success
    remote_etag: str | None
    attempts: int
    written: bool  # whether we may ever have written it (else a delete needs no request)
    url: str = ""
    body: bytes | None = None  # None: the entry must not be on the target (delete it)
    conflicts: list[str] = field(default_factory=list)  # what the thread found someone else did


class _Skipped(Exception):
    """The target failed while this job waited: it stays due for the next pass."""


def _claim(target: CaldavTarget) -> list[_Job]:
    at = now()
    items = db.session.scalars(
        select(PushItem).where(
            PushItem.target_id == target.id, PushItem.wanted_seq > PushItem.pushed_seq,
            or_(PushItem.next_attempt_at.is_(None), PushItem.next_attempt_at <= at),
            or_(PushItem.lease_until.is_(None), PushItem.lease_until <= at),
        ).order_by(PushItem.entry_kind, PushItem.entry_id).limit(BATCH).with_for_update(skip_locked=True)
    ).all()
    jobs = [_Job(target_id=item.target_id, entry_kind=item.entry_kind, entry_id=item.entry_id, seq=item.wanted_seq,
                 remote_etag=item.remote_etag, attempts=item.attempts,
                 written=not (item.pushed_seq == 0 and item.wanted_seq == 1)) for item in items]
    for item in items:
        item.lease_until = at + timedelta(seconds=current_app.config.get("CALDAV_LEASE_SECONDS", LEASE.total_seconds()))
    db.session.commit()
    return jobs


# --- one batch: rendered here, sent by the pool, recorded here ---------------------

def _render(target: CaldavTarget, client: Client, jobs: list[_Job]):
    """Fill in each job's URL and body, reading the batch's entries in one query per kind."""
    entries, program_ids = {}, set(target.program_ids)
    for kind in {job.entry_kind for job in jobs}:
        ids = [job.entry_id for job in jobs if job.entry_kind == kind]
        entries.update(((e.kind, e.entry_id), e) for e in db.session.scalars(
            select(Entry).where(Entry.kind == kind, Entry.entry_id.in_(ids))))
    for job in jobs:
        job.url = client.href(resource_name(job.entry_kind, job.entry_id))
        entry = entries.get((job.entry_kind, job.entry_id))
        # A deleted entry is deleted from the target (a feed keeps it as cancelled: see ical).
        if entry is not None and entry.program_id in program_ids and not entry.data.get("deleted"):
            program = db.session.get(Entry, ("program", entry.program_id))
            job.body = ical.calendar([(entry.kind, entry.state, entry.version,
                                       program.data.get("name") if program else None)])
        yield job


def _push_batch(target: CaldavTarget, client: Client, pool: ThreadPoolExecutor, jobs: list[_Job],
                report: PassReport) -> None:
    """Write a claimed batch, a few requests at a time; record the outcomes as they come.

    The database stays in this thread (a session is not thread-safe); the pool
    only talks HTTP, so our rendering and bookkeeping overlap the server's work.
    Each item is its own resource, so concurrent writes never race each other.

    Commit policy: outcomes are committed together, at most every
    ``COMMIT_SECONDS`` and at the end of the batch (one statement by primary
    key for all). A commit per write was half of the worker's CPU in a first
    push (bench/caldav_push.py), CPU the server then lacks on a busy machine.
    On an outage the jobs not yet started are skipped and those done are still
    committed before the whole target backs off, so the next pass sends only
    what is missing. Only a worker killed mid-batch forgets the outcomes of its
    last ``COMMIT_SECONDS``: once the lease expires those items are written
    again (their precondition fails and the worker finds its own copy: two
    requests each, nothing lost, no conflict).
    """
    stop = threading.Event()
    futures = {pool.submit(_write, client, job, stop): job for job in _render(target, client, jobs)}
    failure, pushed, refused, flushed = None, [], [], time.monotonic()
    for future in as_completed(futures):
        job = futures[future]
        try:
            etag = future.result()
        except _Skipped:
            continue
        except Unreachable as exc:
            failure = failure or exc  # its conflicts are seen again on the next pass
            continue
        except Refused as exc:
            refused.append(_refused(target, job, exc))
        else:
            pushed.append({"target_id": job.target_id, "entry_kind": job.entry_kind, "entry_id": job.entry_id,
                           "remote_etag": etag, "pushed_seq": job.seq, "attempts": 0,
                           "next_attempt_at": None, "last_error": None, "lease_until": None})
        for kind in job.conflicts:
            _conflict(target, job, kind, report)
        if time.monotonic() - flushed >= COMMIT_SECONDS:
            _record(target, pushed, refused, report)
            pushed, refused, flushed = [], [], time.monotonic()
    _record(target, pushed, refused, report)
    if failure is not None:
        raise failure


def _record(target: CaldavTarget, pushed: list[dict], refused: list[dict], report: PassReport) -> None:
    for rows in (pushed, refused):
        if rows:  # by primary key, one statement for all
            db.session.execute(update(PushItem), rows)
    if pushed:
        target.last_success_at = now()
    report.pushed, report.failed = report.pushed + len(pushed), report.failed + len(refused)
    db.session.commit()


def _refused(target: CaldavTarget, job: _Job, exc: Refused) -> dict:
    """The item's new row: it retries on its own backoff (an admin may fix the cause)."""
    target.last_error, target.last_error_at = f"{job.entry_id}: {exc}", now()
    return {"target_id": job.target_id, "entry_kind": job.entry_kind, "entry_id": job.entry_id,
            "attempts": job.attempts + 1, "next_attempt_at": now() + backoff(job.attempts + 1),
            "last_error": str(exc), "lease_until": None}


def _conflict(target: CaldavTarget, item: PushItem | _Job, kind: str, report: PassReport) -> None:
    db.session.add(PushConflict(target_id=target.id, entry_kind=item.entry_kind, entry_id=item.entry_id,
                                kind=kind, detected_at=now()))
    report.conflicts += 1
    log.info("caldav conflict", extra={"target_id": target.id, "entry_id": item.entry_id, "conflict": kind})


# --- the requests of one job (in the pool's threads: no database here) ---------------

def _write(client: Client, job: _Job, stop: threading.Event) -> str | None:
    """Bring one resource to ``job.body`` (or delete it); the ETag it now has."""
    if stop.is_set():
        raise _Skipped()
    try:
        if job.body is None:
            _delete(client, job)
            return None
        return _put(client, job)
    except Unreachable:
        stop.set()
        raise


def _stored_etag(client: Client, url: str, answer) -> str | None:
    # A server that changed what we sent must not return an ETag (RFC 4791 5.3.4): read it back.
    if answer.etag:
        return answer.etag
    remote = client.get(url)
    return remote.etag if remote.status == 200 else None


def _put(client: Client, job: _Job) -> str | None:
    url, body = job.url, job.body
    answer = client.put(url, body, if_match=job.remote_etag)
    if answer.status in (200, 201, 204):
        return _stored_etag(client, url, answer)
    if answer.status not in (404, 412):
        raise Refused(f"PUT answered {answer.status}")
    # Someone else changed or deleted it (or created it first): Doc Box's version wins.
    remote = client.get(url)
    if remote.status == 404:
        job.conflicts.append("deleted")
        answer = client.put(url, body)
    elif remote.status == 200 and remote.etag and ical.same_events(body, remote.body):
        return remote.etag   # our own earlier write, whose answer the network lost: nobody else was there
    elif remote.status == 200 and remote.etag:
        job.conflicts.append("modified" if job.remote_etag else "existed")
        answer = client.put(url, body, if_match=remote.etag)
    else:
        raise Refused(f"GET answered {remote.status}")
    if answer.status in (200, 201, 204):
        return _stored_etag(client, url, answer)
    raise Refused(f"PUT answered {answer.status} again; the resource keeps changing")


def _delete(client: Client, job: _Job) -> None:
    url, etag = job.url, job.remote_etag
    if etag is None:
        if not job.written:
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
        job.conflicts.append("modified")
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
