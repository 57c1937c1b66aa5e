"""Serving feeds cheaply: validators from program revisions, bodies from a cache.

A feed's *key* is the render format version, its options and the revision of
each of its programs. Rendering is deterministic (:mod:`.ical`), so the key
fixes the bytes: the strong ETag is a hash of the key, and a conditional
request is answered ``304`` after two small queries, without reading entries.
The rendered body is kept in a per-process cache under its key, so it is built
again only when one of the feed's programs changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from . import ical
from .models import Entry, Feed, ProgramRevision, aware, db

CACHE_SIZE = 256


@dataclass(frozen=True)
class Validators:
    key: str
    etag: str            # quoted, strong
    last_modified: datetime


class BodyCache:
    """A small LRU of rendered feed bodies, shared by the threads of one process."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def validators(feed: Feed) -> Validators:
    revisions = {row.program_id: row for row in db.session.scalars(
        select(ProgramRevision).where(ProgramRevision.program_id.in_(feed.program_ids)))}
    parts = [ical.RENDER_VERSION, str(current_app.config["FEED_REFRESH_MINUTES"]),
             f"hide={int(feed.hide_cancelled)}", f"alarm={feed.alarm_minutes_before}",
             f"staff={int(feed.staff_created)}"]  # the cached body differs: closed programs shown or not
    parts += [f"{pid}:{revisions[pid].revision if pid in revisions else 0}" for pid in feed.program_ids]
    key = "|".join(parts)
    last = max([aware(feed.created_at)] + [aware(r.changed_at) for r in revisions.values()])
    return Validators(key=key, etag='"' + hashlib.sha256(key.encode()).hexdigest()[:40] + '"', last_modified=last)


def body(feed: Feed, found: Validators) -> tuple[bytes, Validators]:
    """The rendered feed and the validators that describe exactly those bytes."""
    cache: BodyCache = current_app.extensions["docbox_feed_cache"]
    for _ in range(3):
        cached = cache.get(found.key)
        if cached is not None:
            return cached, found
        rendered = render(feed)
        # An event may have landed while rendering: cache only under a key that still holds.
        again = validators(feed)
        if again.key == found.key:
            cache.put(found.key, rendered)
            return rendered, found
        found = again
    return rendered, validators(feed)  # pragma: no cover - a storm of changes; serve, don't cache


def render(feed: Feed) -> bytes:
    rows = list(db.session.scalars(select(Entry).where(Entry.program_id.in_(feed.program_ids))))
    programs = {row.entry_id: row.data for row in rows if row.kind == "program"}
    # A closed program is left out of feeds made without an account (README: what "closed" means).
    programs = {pid: data for pid, data in programs.items() if feed.staff_created or data.get("open")}
    names = [programs[pid]["name"] for pid in feed.program_ids if pid in programs]
    items = [(row.kind, row.state, row.version, programs[row.program_id].get("name"))
             for row in rows if row.kind in ("session", "series") and row.program_id in programs]
    return ical.calendar(items, name="Doc Box: " + ", ".join(names), options=ical.Options(
        hide_cancelled=feed.hide_cancelled, alarm_minutes_before=feed.alarm_minutes_before),
        refresh_minutes=current_app.config["FEED_REFRESH_MINUTES"])
