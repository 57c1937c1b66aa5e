"""Use cases of calendar_sync: apply changes, manage feeds and CalDAV targets.

No Flask request objects here: the API and the CLI call these functions, and
each one that changes something commits once, or raises a
:class:`docbox_shared.problems.Problem` before touching anything.

Vocabulary (see :mod:`.models`): program revision, feed, target, push item.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from docbox_shared import keys, recurrence
from docbox_shared.clock import now
from docbox_shared.inbox import expand_entries
from docbox_shared.problems import NotFound, ValidationProblem
from docbox_shared.tokens import hash_token, new_token

from . import feeds, ical
from .models import CaldavTarget, Entry, Feed, ProgramRevision, PushConflict, PushItem, db, inbox

CALENDARED = ("session", "series")


# --- changes from events -------------------------------------------------------

def bump_program(program_id: str | None) -> None:
    """Move a program's revision and Last-Modified time forward.

    Last-Modified has one-second resolution, so two changes within one second
    would share it and an ``If-Modified-Since`` client would miss the second.
    Each change therefore moves it at least one second past the previous one.
    """
    if not program_id:
        return
    at = now().replace(microsecond=0)
    row = db.session.get(ProgramRevision, program_id, with_for_update=True)
    if row is None:
        db.session.add(ProgramRevision(program_id=program_id, revision=1, changed_at=at))
    else:
        row.revision += 1
        row.changed_at = max(at, row.changed_at + timedelta(seconds=1))
    db.session.flush()


def on_change(entry: Entry, previous: dict | None) -> None:
    """Hook of the events inbox, run in the event's transaction.

    Moves the revision of every program the entry is or was shown in, and
    queues a push of the entry to every target that shows or showed it.
    """
    if entry.kind in CALENDARED:
        _check_renders(entry)
    old_program = (previous or {}).get("program_id") if entry.kind != "program" else entry.entry_id
    programs = {entry.program_id, old_program} - {None}
    for program_id in sorted(programs):
        bump_program(program_id)
    feeds.programs_changed(programs)  # their feeds' new ETags, and their stored bodies cleared
    if entry.kind in CALENDARED:
        queue_push(entry.kind, entry.entry_id, programs)
    elif previous is not None and previous.get("name") != entry.data.get("name"):
        # The program's name is in every event's CATEGORIES.
        for kind, entry_id in db.session.execute(
                select(Entry.kind, Entry.entry_id).where(Entry.program_id == entry.entry_id,
                                                         Entry.kind.in_(CALENDARED))):
            queue_push(kind, entry_id, {entry.entry_id})


def _check_renders(entry: Entry) -> None:
    """Refuse (422, nothing written) an entry no calendar client could be given.

    The sessions service validates rules and zones, so this only fires on a
    bug or a newer producer; the relay then keeps the event visible as failing
    instead of every feed of the program breaking.
    """
    try:
        ical.entry_events(entry.kind, entry.state, entry.version, None)
    except (recurrence.RuleError, ValueError, KeyError, TypeError) as exc:
        raise ValidationProblem(f"this {entry.kind} cannot be put in a calendar: {exc}",
                                errors={"data": [str(exc)]})


def queue_push(kind: str, entry_id: str, program_ids: set[str]) -> None:
    """Ask the worker to bring this entry up to date on each target showing these programs."""
    for target in db.session.scalars(select(CaldavTarget)):
        if not program_ids & set(target.program_ids):
            continue
        item = db.session.get(PushItem, (target.id, kind, entry_id))
        if item is None:
            db.session.add(PushItem(target_id=target.id, entry_kind=kind, entry_id=entry_id,
                                    wanted_seq=1, pushed_seq=0, attempts=0))
        else:
            # An SQL increment, so a worker writing pushed_seq meanwhile cannot undo it.
            db.session.execute(update(PushItem).where(
                PushItem.target_id == target.id, PushItem.entry_kind == kind, PushItem.entry_id == entry_id,
            ).values(wanted_seq=PushItem.wanted_seq + 1, next_attempt_at=None, attempts=0))
    db.session.flush()


# --- programs ------------------------------------------------------------------

def resolve_programs(references: list[str], open_only: bool = False) -> list[Entry]:
    """Program entries named by id or slug; 422 naming the unknown ones (closed ones too with ``open_only``)."""
    by_ref = {}
    for program in inbox.programs(open_only):
        by_ref[program.entry_id] = program
        by_ref.setdefault(program.data.get("slug"), program)
    unknown = [ref for ref in references if ref not in by_ref]
    if unknown:
        raise ValidationProblem("Some programs are unknown.",
                                errors={"programs": [f"unknown program: {ref}" for ref in unknown]})
    found = {by_ref[ref].entry_id: by_ref[ref] for ref in references}
    return [found[key] for key in sorted(found)]


def all_programs() -> list[Entry]:
    """Every program, open or not, by name (admins choose among them)."""
    return inbox.programs(open_only=False)


def open_programs() -> list[Entry]:
    """Programs whose organizer marked them open (anyone may see and subscribe), by name."""
    return inbox.programs(open_only=True)


def open_program(reference: str) -> Entry:
    """An open program by slug or id; 404 for an unknown or closed one (a closed one is not public)."""
    for program in open_programs():
        if reference in (program.data.get("slug"), program.entry_id):
            return program
    raise NotFound("No open program has this address.")


def upcoming(program_id: str, days: int = 120, limit: int = 100) -> list[recurrence.Occurrence]:
    """The program's occurrences from now on (cancelled and moved ones included), soonest first.

    An occurrence that has started but not ended is still upcoming: someone
    may be looking for the room.
    """
    start = now()
    return inbox.occurrences([program_id], start, start + timedelta(days=days))[:limit]


def upcoming_occurrence(program_id: str, occurrence_id: str, days: int = 120) -> recurrence.Occurrence:
    """One of the program's upcoming occurrences (what :func:`upcoming` lists); 404 for any other.

    Reads only the entry the id names (a series' id ends in its rule date) and expands only it, over
    the same window as :func:`upcoming`: not the whole program.
    """
    start = now()
    entry_id, day = recurrence.split_occurrence_id(occurrence_id)
    named = [("series", entry_id)] if day is not None else []
    entries = [entry for kind, key in [*named, ("session", occurrence_id)]
               if (entry := inbox.entry(kind, key)) is not None and entry.program_id == program_id]
    for occ in expand_entries(entries, start, start + timedelta(days=days)):
        if occ.id == occurrence_id:
            return occ
    raise NotFound("This session is over or no longer planned.")


# --- feeds ---------------------------------------------------------------------

def feed_urls(token: str) -> tuple[str, str]:
    """The feed's https (http in development) URL and the same as ``webcal://``."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    url = f"{base}/feeds/{token}.ics"
    return url, "webcal://" + url.split("://", 1)[1]


def token_from_address(text: str) -> str:
    """The token in a pasted feed URL (https, http or webcal), or the text itself."""
    text = (text or "").strip()
    tail = text.rsplit("/", 1)[-1]
    return tail[:-len(".ics")] if tail.endswith(".ics") else tail


def create_feed(program_ids: list[str], hide_cancelled: bool, alarm_minutes_before: int | None,
                staff_created: bool = False) -> tuple[Feed, str]:
    token = new_token()
    feed = Feed(id=uuid.uuid4().hex, token_hash=hash_token(token), program_ids=sorted(set(program_ids)),
                hide_cancelled=hide_cancelled, alarm_minutes_before=alarm_minutes_before, staff_created=staff_created,
                created_at=now().replace(microsecond=0))
    db.session.add(feed)
    db.session.commit()
    return feed, token


def feeds_by_program() -> dict[str, int]:
    """How many live (not revoked) feeds show each program: numbers only (a feed of two programs counts in both)."""
    counts: dict[str, int] = {}
    for program_ids in db.session.scalars(select(Feed.program_ids).where(Feed.revoked_at.is_(None))):
        for program_id in set(program_ids or ()):
            counts[program_id] = counts.get(program_id, 0) + 1
    return counts


def live_feed(token: str) -> Feed | None:
    """The feed a token opens, or None (unknown, revoked or rotated away)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalars(select(Feed).where(Feed.token_hash == hash_token(token),
                                                 Feed.revoked_at.is_(None))).first()


def _feed_by_token(token: str) -> Feed:
    feed = live_feed(token)
    if feed is None:
        raise NotFound("No live feed has this token.")
    return feed


def rotate_feed(token: str) -> tuple[Feed, str]:
    """Give the feed a new token; the old URL answers 404 from now on."""
    feed = _feed_by_token(token)
    fresh = new_token()
    feed.token_hash = hash_token(fresh)
    feed.rotated_at = now()
    db.session.commit()
    return feed, fresh


def revoke_feed(token: str | None = None, feed_id: str | None = None) -> None:
    feed = _feed_by_token(token) if token is not None else db.session.get(Feed, feed_id or "")
    if feed is None or feed.revoked_at is not None:
        raise NotFound("No live feed has this id.")
    feed.revoked_at = now()
    db.session.commit()


# --- CalDAV targets --------------------------------------------------------------

def create_target(*, name: str, server_url: str, calendar_url: str, username: str, password: str,
                  program_ids: list[str]) -> CaldavTarget:
    target = CaldavTarget(
        id=uuid.uuid4().hex, name=name, server_url=server_url, calendar_url=calendar_url, username=username,
        password_encrypted=keys.encrypt(password), program_ids=sorted(set(program_ids)),
        created_at=now(), failures=0)
    db.session.add(target)
    db.session.flush()
    schedule_target(target)
    db.session.commit()
    return target


def get_target(target_id: str) -> CaldavTarget:
    target = db.session.get(CaldavTarget, target_id)
    if target is None:
        raise NotFound("No CalDAV target has this id.")
    return target


def update_target(target_id: str, changes: dict) -> CaldavTarget:
    target = get_target(target_id)
    if "password" in changes:
        target.password_encrypted = keys.encrypt(changes.pop("password"))
    if "program_ids" in changes:
        changes["program_ids"] = sorted(set(changes["program_ids"]))
    for key, value in changes.items():
        setattr(target, key, value)
    # New settings deserve an immediate attempt, not the old backoff.
    target.failures, target.retry_at = 0, None
    db.session.flush()
    schedule_target(target)
    db.session.commit()
    return target


def pause_target(target_id: str, paused: bool) -> CaldavTarget:
    """Pause (changes keep queueing, nothing is sent) or resume (pushed at once, no leftover backoff)."""
    target = get_target(target_id)
    if paused and target.paused_at is None:
        target.paused_at = now()
    elif not paused and target.paused_at is not None:
        target.paused_at = None
        target.failures, target.retry_at = 0, None
    db.session.commit()
    return target


def delete_target(target_id: str) -> None:
    """Stop pushing to a target. What it holds stays there."""
    target = get_target(target_id)
    db.session.execute(PushItem.__table__.delete().where(PushItem.target_id == target.id))
    db.session.execute(PushConflict.__table__.delete().where(PushConflict.target_id == target.id))
    db.session.delete(target)
    db.session.commit()


def schedule_target(target: CaldavTarget) -> None:
    """Queue every entry the target should show, and removal of those it no longer should.

    A new target gets the whole calendar this way; an existing item in scope
    is left alone (it is already up to date or already queued).
    """
    wanted = set(db.session.execute(select(Entry.kind, Entry.entry_id).where(
        Entry.kind.in_(CALENDARED), Entry.program_id.in_(target.program_ids))).all())
    items = {(i.entry_kind, i.entry_id): i for i in db.session.scalars(
        select(PushItem).where(PushItem.target_id == target.id))}
    for kind, entry_id in wanted - set(items):
        db.session.add(PushItem(target_id=target.id, entry_kind=kind, entry_id=entry_id,
                                wanted_seq=1, pushed_seq=0, attempts=0))
    for key, item in items.items():
        # Out of scope now: remove what we know we wrote (a pending item is handled anyway).
        if key not in wanted and item.remote_etag is not None and item.pushed_seq == item.wanted_seq:
            item.wanted_seq += 1
            item.next_attempt_at = None
    db.session.flush()


def target_status(target: CaldavTarget) -> dict:
    pending = db.session.scalar(select(func.count()).select_from(PushItem).where(
        PushItem.target_id == target.id, PushItem.wanted_seq > PushItem.pushed_seq))
    conflicts = db.session.scalar(select(func.count()).select_from(PushConflict).where(
        PushConflict.target_id == target.id))
    recent = db.session.scalars(select(PushConflict).where(PushConflict.target_id == target.id)
                                .order_by(PushConflict.id.desc()).limit(10))
    return {
        "paused_at": target.paused_at,
        "last_success_at": target.last_success_at,
        "last_error": target.last_error,
        "last_error_at": target.last_error_at,
        "retry_at": target.retry_at,
        "pending_changes": pending,
        "conflicts": conflicts,
        "recent_conflicts": [{"entry_kind": c.entry_kind, "entry_id": c.entry_id, "kind": c.kind,
                              "detected_at": c.detected_at} for c in recent],
    }


def rotate_secrets() -> int:
    """Re-encrypt every stored password with the newest key; returns how many."""
    count = 0
    for target in db.session.scalars(select(CaldavTarget)):
        target.password_encrypted = keys.rotate(target.password_encrypted)
        count += 1
    db.session.commit()
    return count
