"""Serving feeds cheaply: one stored body per feed variant, kept fresh by the events.

A feed's *variant* is its set of programs and its options; feeds sharing one
share a row of ``feed_bodies`` holding the strong ETag, the time of the last
change and the rendered body. Rendering is deterministic (:mod:`.ical`), so the
ETag is a hash of the render version, the refresh setting, the options and
the revision of each program: the same ETag always means the same bytes.

- Each applied event (:func:`programs_changed`, in the event's transaction)
  gives the variants it touches their new ETag, moves their *generation* and
  clears their body, so no worker or replica can serve the old one.
- The first request that finds no body claims it with a lease (an UPDATE that
  one process wins), renders it and stores it for its generation only; the
  others wait for it, so a change renders each affected variant once for all
  workers and replicas. A store whose generation moved meanwhile is dropped.
- The request path itself (:mod:`.web.feed`) is then one query: token hash to
  ETag, Last-Modified and, unless the client's ETag matches, the body.

Nothing is kept per process: a revoked token, a change or a new setting is
seen by the next request in every worker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import ical
from .models import Entry, Feed, FeedBody, FeedBodyProgram, ProgramRevision, db

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=10)  # a renderer's claim (2,000 entries take ~1 s); waiters stay under gunicorn's 30 s timeout
POLL = 0.05                    # seconds between looks while another process renders


@dataclass(frozen=True)
class Served:
    etag: str | None            # quoted, strong; None only for a body that could not be stored
    changed_at: datetime | None
    body: bytes


def render_key() -> str:
    """What besides the data fixes the bytes: the renderer's version and the refresh setting."""
    return f"{ical.RENDER_VERSION}|{current_app.config['FEED_REFRESH_MINUTES']}"


def variant_of(feed: Feed) -> str:
    options = [sorted(feed.program_ids), bool(feed.hide_cancelled), feed.alarm_minutes_before]
    if feed.staff_created:  # closed programs shown: another body (kept apart from older variants' ids)
        options.append("staff")
    return hashlib.sha256(json.dumps(options).encode()).hexdigest()


def _reset(row: FeedBody) -> None:
    """New validators from the programs' revisions (locked), a new generation, no body."""
    revisions = {r.program_id: r for r in db.session.scalars(
        select(ProgramRevision).where(ProgramRevision.program_id.in_(row.program_ids)).with_for_update())}
    key = render_key()
    parts = [key, f"hide={int(row.hide_cancelled)}", f"alarm={row.alarm_minutes_before}",
             f"staff={int(row.staff_created)}"]
    parts += [f"{pid}:{revisions[pid].revision if pid in revisions else 0}" for pid in row.program_ids]
    row.render_key = key
    row.etag = '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40] + '"'
    row.changed_at = max((r.changed_at for r in revisions.values()), default=None)
    row.generation = (row.generation or 0) + 1
    row.body, row.lease_until = None, None


def programs_changed(program_ids: set[str]) -> None:
    """Run in an applied event's transaction: every variant showing these programs is stale."""
    if not program_ids:
        return
    shown = select(FeedBodyProgram.variant).where(FeedBodyProgram.program_id.in_(sorted(program_ids)))
    for row in db.session.scalars(select(FeedBody).where(FeedBody.variant.in_(shown))
                                  .order_by(FeedBody.variant).with_for_update()):
        _reset(row)
    db.session.flush()


def _ensure_variant(feed: Feed) -> str:
    """The feed's variant, its row made (and committed) on the feed's first request."""
    if feed.variant and db.session.get(FeedBody, feed.variant) is not None:
        return feed.variant
    feed_id, variant = feed.id, variant_of(feed)
    options = dict(program_ids=sorted(feed.program_ids), hide_cancelled=bool(feed.hide_cancelled),
                   alarm_minutes_before=feed.alarm_minutes_before, staff_created=bool(feed.staff_created))
    for _ in range(2):
        try:
            if db.session.get(FeedBody, variant) is None:
                row = FeedBody(variant=variant, generation=0, **options)
                db.session.add(row)
                db.session.add_all(FeedBodyProgram(program_id=pid, variant=variant) for pid in options["program_ids"])
                db.session.flush()  # first the write (SQLite's lock), then the revisions, locked on PostgreSQL
                _reset(row)
            db.session.execute(update(Feed).where(Feed.id == feed_id).values(variant=variant))
            db.session.commit()
            return variant
        except IntegrityError:  # another worker made the same variant meanwhile
            db.session.rollback()
    raise RuntimeError("feed variant could not be made")  # pragma: no cover


def _row(variant: str):
    """A fresh look at the variant (columns, not an ORM object: nothing cached in the session)."""
    table = FeedBody.__table__
    return db.session.execute(select(table).where(table.c.variant == variant)).first()


def current(feed: Feed) -> Served:
    """The feed's stored body and validators, rendering it first when an event cleared it."""
    variant = _ensure_variant(feed)
    for _ in range(5):
        row = _row(variant)
        if row.render_key != render_key() or row.etag is None:  # a new renderer or setting: new validators
            locked = db.session.scalars(select(FeedBody).where(FeedBody.variant == variant).with_for_update()).one()
            if locked.render_key != render_key() or locked.etag is None:
                _reset(locked)
            db.session.commit()
            continue
        if row.body is not None:
            db.session.commit()  # end the read transaction
            return Served(row.etag, row.changed_at, row.body)
        if _claim(row):
            body = _render_and_store(row)
            if body is not None:
                return Served(row.etag, row.changed_at, body)
            continue
        _wait(variant, row.generation)
    # Changes keep landing faster than a render: serve what we render, without validators or storing.
    row = _row(variant)
    body = render(row)
    db.session.commit()
    return Served(None, row.changed_at, body)  # pragma: no cover


def _claim(row) -> bool:
    """Win the right to render this generation's body (one process does; the lease covers its death)."""
    moment = datetime.now(timezone.utc)
    won = db.session.execute(update(FeedBody).where(
        FeedBody.variant == row.variant, FeedBody.generation == row.generation, FeedBody.body.is_(None),
        (FeedBody.lease_until.is_(None)) | (FeedBody.lease_until < moment),
    ).values(lease_until=moment + LEASE)).rowcount == 1
    db.session.commit()
    return won


def _render_and_store(row) -> bytes | None:
    """Render and store for the claimed generation; None when an event moved it meanwhile."""
    try:
        body = render(row)
    except BaseException:
        db.session.rollback()
        db.session.execute(update(FeedBody).where(FeedBody.variant == row.variant,
                                                  FeedBody.generation == row.generation).values(lease_until=None))
        db.session.commit()
        raise
    stored = db.session.execute(update(FeedBody).where(
        FeedBody.variant == row.variant, FeedBody.generation == row.generation,
    ).values(body=body, lease_until=None)).rowcount == 1
    db.session.commit()
    return body if stored else None


def _wait(variant: str, generation: int) -> None:
    """Another process renders: wait until its body is stored, the generation moves or its lease ends."""
    deadline = time.monotonic() + LEASE.total_seconds() + 1
    while time.monotonic() < deadline:
        db.session.commit()
        row = _row(variant)
        if row.generation != generation or row.body is not None or row.lease_until is None \
                or row.lease_until < datetime.now(timezone.utc):
            return
        time.sleep(POLL)


def render(row) -> bytes:
    """The calendar of a variant, from the replica as it is now (logged: renders per change are a cost to watch)."""
    started = time.perf_counter()
    rows = list(db.session.scalars(select(Entry).where(Entry.program_id.in_(row.program_ids))))
    programs = {entry.entry_id: entry.data for entry in rows if entry.kind == "program"}
    # A closed program is left out of feeds made without an account (README: what "closed" means).
    programs = {pid: data for pid, data in programs.items() if row.staff_created or data.get("open")}
    names = [programs[pid]["name"] for pid in row.program_ids if pid in programs]
    items = [(entry.kind, entry.state, entry.version, programs[entry.program_id].get("name"))
             for entry in rows if entry.kind in ("session", "series") and entry.program_id in programs]
    body = ical.calendar(items, name="Doc Box: " + ", ".join(names), options=ical.Options(
        hide_cancelled=row.hide_cancelled, alarm_minutes_before=row.alarm_minutes_before),
        refresh_minutes=current_app.config["FEED_REFRESH_MINUTES"])
    log.info("feed rendered", extra={"variant": row.variant[:12], "generation": row.generation, "entries": len(items),
                                     "bytes": len(body), "ms": round((time.perf_counter() - started) * 1000, 1)})
    return body
