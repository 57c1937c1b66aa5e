"""Planning: which message is due when, kept in step with the calendar.

Vocabulary:

- *horizon*: reminders are planned for occurrences starting before
  ``planned_until`` (about ``HORIZON_DAYS`` ahead); each worker pass moves it
  forward and plans what came into reach. Occurrence records cover the whole
  future, so a move beyond the horizon is a move, not a disappearance.
- *change* of an occurrence, found by comparing its *fingerprint* (time,
  place, status, title, program) with the stored one: ``new``, ``moved``
  (time or place changed), ``restored`` (a cancelled occurrence takes place
  after all), ``cancelled`` (cancelled, gone from the series, or its entry
  deleted), ``updated`` (title). Any change raises the iTIP ``sequence``.
- *told*: the subscribers a reminder, a notice or a weekly digest that listed
  an occurrence was sent to. A restore is noticed to those told of the cancellation; a deletion is
  noticed (as a cancellation) to those told of the occurrence at all, while
  the others' pending reminders are dropped without a word: they never heard
  of it, so there is nothing to take back.

Rules:

- A reminder is planned only while its due time is still ahead: a late
  subscriber or a last-minute session gets the reminders that still make
  sense, and a moved occurrence does not repeat a reminder already sent for
  the old time unless the new due time is ahead again.
- A change drops the pending messages of older sequences for that occurrence
  and plans afresh; nothing is sent once the occurrence has started
  (``expires_at``).
- Planning is idempotent: every delivery has a unique key, existing keys are
  left alone, except a row dropped by a pause or a change of preferences,
  which comes back when it is wanted again and still ahead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update

from docbox_shared import recurrence
from docbox_shared.clock import UTC, aware
from docbox_shared.clock import now as clock_now

from . import splits
from .models import Delivery, DigestLine, Entry, Following, OccurrenceRecord, Subscriber, WorkerState, db

FAR = timedelta(days=366 * 11)
DIGEST_WEEKDAY, DIGEST_TIME = 0, time(7, 0)   # Monday 07:00 in the subscriber's zone


# --- keys --------------------------------------------------------------------

def delivery_key(subscriber_id: str, subject: str, kind: str, sequence: int, offset: int | None = None) -> str:
    """The idempotency key: (subscriber, occurrence or topic, kind, sequence)."""
    label = kind if offset is None else f"{kind}-{offset}"
    return f"{subscriber_id}:{subject}:{label}:{sequence}"


def message_id_for(key: str) -> str:
    """A Message-ID that depends only on the key, so a resend keeps it."""
    host = urlsplit(current_app.config["PUBLIC_URL"]).hostname or "docbox.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{host}>"


def add_delivery(known_keys: set[str], *, subscriber_id: str, subject: str, kind: str, sequence: int,
                 due: datetime, expires: datetime | None = None, occurrence_id: str | None = None,
                 offset: int | None = None) -> Delivery | None:
    key = delivery_key(subscriber_id, subject, kind, sequence, offset)
    if key in known_keys:
        return None
    known_keys.add(key)
    row = Delivery(key=key, message_id=message_id_for(key), subscriber_id=subscriber_id, kind=kind,
                   occurrence_id=occurrence_id, offset_minutes=offset, sequence=sequence, due_at=due,
                   expires_at=expires, status="pending", attempts=0, created_at=clock_now())
    db.session.add(row)
    return row


def _keys(*conditions) -> set[str]:
    return set(db.session.scalars(select(Delivery.key).where(*conditions)))


def _dropped(subscriber_id: str, kinds: tuple[str, ...]) -> dict[str, Delivery]:
    return {row.key: row for row in db.session.scalars(select(Delivery).where(
        Delivery.subscriber_id == subscriber_id, Delivery.status == "dropped", Delivery.kind.in_(kinds)))}


def _plan(known_keys: set[str], dropped: dict[str, Delivery], now: datetime, **planned) -> None:
    """``add_delivery``, except that a row dropped earlier under the same key comes back.

    A pause, or unticking a reminder time, drops planned rows; their keys stay,
    so without this a resume or a re-tick would never plan them again. Only
    rows still ahead come back: a dropped overdue row stays dropped.
    """
    key = delivery_key(planned["subscriber_id"], planned["subject"], planned["kind"], planned["sequence"],
                       planned.get("offset"))
    row = dropped.pop(key, None)
    if row is not None:
        if planned["due"] > now:
            row.status, row.due_at, row.expires_at = "pending", planned["due"], planned.get("expires")
            row.attempts, row.lease_until, row.first_failure_at, row.last_error = 0, None, None, None
        return
    add_delivery(known_keys, **planned)


# --- horizon -----------------------------------------------------------------

def planned_until(now: datetime) -> datetime:
    row = db.session.get(WorkerState, "planned_until")
    if row is None or row.value_at is None:
        return now + timedelta(days=current_app.config["HORIZON_DAYS"])
    return aware(row.value_at)


def extend_horizon(now: datetime) -> int:
    """Plan reminders for occurrences that came within reach; returns rows added. Commits."""
    row = db.session.get(WorkerState, "planned_until")
    target = now + timedelta(days=current_app.config["HORIZON_DAYS"])
    if row is None:
        # First pass: everything up to the target was planned as events arrived.
        db.session.add(WorkerState(name="planned_until", value_at=target))
        db.session.commit()
        return 0
    start = aware(row.value_at)
    if target - start < timedelta(minutes=30):
        return 0
    records = db.session.scalars(select(OccurrenceRecord).where(
        OccurrenceRecord.status == "scheduled", OccurrenceRecord.start_at > start,
        OccurrenceRecord.start_at <= target)).all()
    added = 0
    for record in records:
        added += _plan_reminders(record, now, target, _followers(record.program_id))
    row.value_at = target
    db.session.commit()
    return added


# --- subscribers ---------------------------------------------------------------

def _followers(program_id: str) -> list[Subscriber]:
    return list(db.session.scalars(
        select(Subscriber).join(Following).where(Following.program_id == program_id,
                                                  Subscriber.status == "active")))


def _plan_reminders(record: OccurrenceRecord, now: datetime, until: datetime,
                    followers: Iterable[Subscriber]) -> int:
    start = aware(record.start_at)
    if record.status != "scheduled" or start <= now or start > until:
        return 0
    known = _keys(Delivery.occurrence_id == record.occurrence_id)
    added = 0
    for sub in followers:
        if sub.digest:
            continue
        for offset in sub.offsets:
            due = start - timedelta(minutes=offset)
            if due > now and add_delivery(known, subscriber_id=sub.id, subject=record.occurrence_id,
                                          kind="reminder", sequence=record.sequence, due=due, expires=start,
                                          occurrence_id=record.occurrence_id, offset=offset):
                added += 1
    return added


def plan_subscriber(sub: Subscriber, now: datetime) -> None:
    """After a confirmation or a change of preferences: drop what no longer fits, plan the rest."""
    followed = set(sub.program_ids)
    pending = db.session.scalars(select(Delivery).where(
        Delivery.subscriber_id == sub.id, Delivery.status == "pending",
        Delivery.kind.in_(("reminder", "digest")))).all()
    for row in pending:
        keep = sub.status == "active"
        if row.kind == "digest":
            keep = keep and sub.digest
        else:
            record = db.session.get(OccurrenceRecord, row.occurrence_id)
            keep = (keep and not sub.digest and record is not None and record.program_id in followed
                    and row.offset_minutes in sub.offsets)
        if not keep:
            row.status = "dropped"
    if sub.status != "active":
        return
    if sub.digest:
        plan_digest(sub, now)
        return
    until = planned_until(now)
    records = db.session.scalars(select(OccurrenceRecord).where(
        OccurrenceRecord.program_id.in_(followed), OccurrenceRecord.status == "scheduled",
        OccurrenceRecord.start_at > now, OccurrenceRecord.start_at <= until)).all()
    known = _keys(Delivery.subscriber_id == sub.id)
    dropped = _dropped(sub.id, ("reminder",))
    for record in records:
        start = aware(record.start_at)
        for offset in sub.offsets:
            due = start - timedelta(minutes=offset)
            if due > now:
                _plan(known, dropped, now, subscriber_id=sub.id, subject=record.occurrence_id, kind="reminder",
                      sequence=record.sequence, due=due, expires=start, occurrence_id=record.occurrence_id,
                      offset=offset)


def digest_zone(sub: Subscriber) -> ZoneInfo:
    if sub.timezone:
        return ZoneInfo(sub.timezone)
    for program_id in sub.program_ids:
        program = db.session.get(Entry, ("program", program_id))
        if program is not None:
            try:
                return recurrence.zone(program.data.get("timezone", ""))
            except recurrence.RuleError:
                pass
    return ZoneInfo("UTC")


def next_digest_at(sub: Subscriber, now: datetime) -> datetime:
    tz = digest_zone(sub)
    local = now.astimezone(tz)
    day = local.date() + timedelta(days=(DIGEST_WEEKDAY - local.weekday()) % 7)
    at = recurrence.localize(datetime.combine(day, DIGEST_TIME), tz)
    if at <= now:
        at = recurrence.localize(datetime.combine(day + timedelta(days=7), DIGEST_TIME), tz)
    return at.astimezone(UTC)


def plan_digest(sub: Subscriber, now: datetime) -> None:
    """Make sure the next weekly digest of ``sub`` has its row."""
    if sub.status != "active" or not sub.digest:
        return
    at = next_digest_at(sub, now)
    week = at.astimezone(digest_zone(sub)).isocalendar()
    known = _keys(Delivery.subscriber_id == sub.id, Delivery.kind == "digest")
    _plan(known, _dropped(sub.id, ("digest",)), now, subscriber_id=sub.id,
          subject=f"digest-{week.year}W{week.week:02d}", kind="digest", sequence=0, due=at,
          expires=at + timedelta(days=1))


def plan_digests(now: datetime) -> None:
    """Worker pass: every digest subscriber has its next digest planned. Commits."""
    for sub in db.session.scalars(select(Subscriber).where(Subscriber.digest.is_(True),
                                                           Subscriber.status == "active")):
        plan_digest(sub, now)
    db.session.commit()


# --- calendar changes -----------------------------------------------------------

def fingerprint(occ: recurrence.Occurrence) -> str:
    """``<when and where>:<the rest>``, two short hashes: a change of the first is worth a notice."""
    where = [occ.start.astimezone(UTC).isoformat(), occ.end.astimezone(UTC).isoformat(),
             occ.location, occ.video_url, occ.format]
    rest = [occ.status, occ.title, occ.program_id]
    return ":".join(hashlib.sha256(json.dumps(part).encode()).hexdigest()[:32] for part in (where, rest))


def announced(occ: recurrence.Occurrence) -> dict:
    """What a message says of an occurrence's time and place (kept on its record)."""
    return {"start": occ.start.astimezone(UTC).isoformat(), "end": occ.end.astimezone(UTC).isoformat(),
            "location": occ.location, "video_url": occ.video_url, "format": occ.format}


def on_entry_changed(entry: Entry, previous: dict | None) -> None:
    """The events inbox hook: runs inside the transaction that stores the new state."""
    now = clock_now()
    if entry.kind == "session":
        seen = _refresh(entry.kind, entry.entry_id, entry.state, [], now)
        _gone(entry.kind, entry.entry_id, seen, now, continued=False)
    elif entry.kind == "series":
        refresh_series(entry, now)


def refresh_series(entry: Entry, now: datetime) -> None:
    """Plan what changed in the split chain ``entry`` belongs to (see :mod:`.splits`).

    Each series of the chain, first to last, takes over what it continues of
    the one before; then what no series holds any more is cancelled, or
    waits when the last series was split and its continuation is not known yet.
    """
    splits.lock_program(entry.program_id)
    chain = splits.chain(entry)
    if chain is None:
        return   # a continuation whose predecessor has not arrived: planned when it does
    seen: dict[str, set[str]] = {}
    for index, (link, state) in enumerate(chain):
        handed = splits.handed_down(seen, now)
        # A state from before the split still lists what its continuation holds now: the
        # occurrences whose rule start was still ahead when the continuation was created.
        following = chain[index + 1][1] if index + 1 < len(chain) else None
        split_at = following["created_at"] if following and not state.get("continued_by_series_id") else None
        seen[link.entry_id] = _refresh("series", link.entry_id, state, handed, now, split_at)
    for index, (link, state) in enumerate(chain):
        continued = index == len(chain) - 1 and bool(state.get("continued_by_series_id"))
        _gone("series", link.entry_id, seen[link.entry_id], now, continued)


def _refresh(kind: str, entry_id: str, state: dict, handed: list[OccurrenceRecord], now: datetime,
             split_at: datetime | None = None) -> set[str]:
    """Compare the entry's upcoming occurrences with the records and plan what changed; returns their ids.

    ``handed``: records of the series this one continues that it may take
    over: an occurrence without a record of its own takes one of them
    (:func:`.splits.pair`). ``split_at``: only occurrences whose rule start
    came before it count (the rest went to the continuation).
    """
    occurrences = [o for o in recurrence.expand(kind, state, now, now + FAR) if o.end > now
                   and (split_at is None or o.original_start is None or o.original_start <= split_at)]
    records = {r.live_id: r for r in db.session.scalars(select(OccurrenceRecord).where(
        OccurrenceRecord.entry_kind == kind, OccurrenceRecord.entry_id == entry_id))}
    until = planned_until(now)
    notice_until = now + timedelta(days=current_app.config["NOTICE_DAYS"])
    unmatched = [o for o in occurrences if o.id not in records]
    pairs = splits.pair(unmatched, handed)
    for occ in occurrences:
        fp = fingerprint(occ)
        record = records.get(occ.id)
        adopted = record is None and occ.id in pairs
        if adopted:
            record = pairs[occ.id]
            splits.adopt(record, entry_id, occ.id)
        if record is None:
            record = OccurrenceRecord(occurrence_id=occ.id, live_id=occ.id, entry_kind=kind, entry_id=entry_id,
                                      program_id=occ.program_id, start_at=occ.start.astimezone(UTC),
                                      end_at=occ.end.astimezone(UTC), status=occ.status, fingerprint=fp,
                                      announced=announced(occ), sequence=0, updated_at=now)
            db.session.add(record)
            db.session.flush()
            _plan_reminders(record, now, until, _followers(record.program_id))
            continue
        if record.fingerprint == fp:
            if adopted:   # what the horizon or a new follower missed while it waited
                _plan_reminders(record, now, until, _followers(record.program_id))
            continue
        old_start, old_where = aware(record.start_at), record.fingerprint.split(":")[0]
        old_status = "scheduled" if record.status == "continued" else record.status
        if not _notice_pending(record):
            record.previous = record.announced   # what the person was last told
        record.start_at, record.end_at = occ.start.astimezone(UTC), occ.end.astimezone(UTC)
        record.status, record.program_id, record.fingerprint = occ.status, occ.program_id, fp
        record.announced = announced(occ)
        record.sequence += 1
        record.updated_at = now
        if occ.status == "cancelled":
            change = "cancelled" if old_status == "scheduled" else "updated"
        elif old_status == "cancelled":
            change = "restored"
        elif old_where != fp.split(":")[0]:
            change = "moved"
        else:
            change = "updated"
        if change == "moved" and record.previous == record.announced:
            change = "updated"   # changed back before the notice went out: nothing to tell
        _replan(record, change, now, until, notice_until, old_start, deleted=occ.deleted)
    return {o.id for o in occurrences}


def _gone(kind: str, entry_id: str, seen: set[str], now: datetime, continued: bool) -> None:
    """Records the entry holds whose occurrence it no longer has: cancelled, or held while ``continued``."""
    until = planned_until(now)
    notice_until = now + timedelta(days=current_app.config["NOTICE_DAYS"])
    for record in db.session.scalars(select(OccurrenceRecord).where(
            OccurrenceRecord.entry_kind == kind, OccurrenceRecord.entry_id == entry_id,
            OccurrenceRecord.start_at > now, OccurrenceRecord.status != "cancelled")).all():
        if record.live_id in seen:
            continue
        start = aware(record.start_at)
        if continued:
            splits.hold(record, now)
        elif record.status in ("scheduled", "continued"):
            # Gone from the series (ended, or not carried on by its continuation): a cancellation.
            splits.release(record)
            record.previous = record.announced
            record.status, record.sequence, record.updated_at = "cancelled", record.sequence + 1, now
            record.fingerprint = "gone"
            _replan(record, "cancelled", now, until, notice_until, start)


def _notice_pending(record: OccurrenceRecord) -> bool:
    return db.session.scalar(select(Delivery.id).where(
        Delivery.occurrence_id == record.occurrence_id, Delivery.kind.in_(("moved", "cancelled")),
        Delivery.status == "pending").limit(1)) is not None


def told(record: OccurrenceRecord, kinds: tuple[str, ...]) -> set[str]:
    """Subscribers sent a message of these kinds about the occurrence (one being sent counts: it may be out);
    ``"digest"`` among the kinds: also a weekly digest that listed it."""
    sent = ("sent", "sending")
    who = set(db.session.scalars(select(Delivery.subscriber_id).where(
        Delivery.occurrence_id == record.occurrence_id, Delivery.kind.in_(kinds), Delivery.status.in_(sent))))
    if "digest" in kinds:
        who |= set(db.session.scalars(select(Delivery.subscriber_id).join(
            DigestLine, DigestLine.delivery_id == Delivery.id).where(
            DigestLine.occurrence_id == record.occurrence_id, Delivery.status.in_(sent))))
    return who


def _replan(record: OccurrenceRecord, change: str, now: datetime, until: datetime,
            notice_until: datetime, old_start: datetime, deleted: bool = False) -> None:
    db.session.execute(update(Delivery).where(
        Delivery.occurrence_id == record.occurrence_id, Delivery.status.in_(("pending", "held")),
        Delivery.sequence < record.sequence).values(status="dropped"))
    db.session.flush()
    followers = _followers(record.program_id)
    start = aware(record.start_at)
    if change in ("moved", "updated", "restored"):
        _plan_reminders(record, now, until, followers)
    notice = None
    if change == "moved" and now < start <= notice_until:
        notice = ("moved", start)
    elif change == "restored" and now < start:
        notice = ("restored", start)
        followers = [sub for sub in followers if sub.id in told(record, ("cancelled",))]
    elif change == "cancelled" and deleted and now < old_start:
        followers = [sub for sub in followers if sub.id in told(record, ("reminder", "digest", "moved", "restored"))]
        notice = ("cancelled", old_start)
    elif change == "cancelled" and now < old_start <= until:
        notice = ("cancelled", old_start)
    if notice is None:
        return
    known = _keys(Delivery.occurrence_id == record.occurrence_id)
    for sub in followers:
        add_delivery(known, subscriber_id=sub.id, subject=record.occurrence_id, kind=notice[0],
                     sequence=record.sequence, due=now, expires=notice[1], occurrence_id=record.occurrence_id)
