"""Split series: an occurrence that goes on in the series carrying an edit keeps its record.

Editing a series that has begun splits it in the sessions service: the old
series ends before the next occurrence (its state names the new one in
``continued_by_series_id``) and the new one (``continues_series_id``) carries
the edit. To the people who follow the program nothing ended: each
occurrence of the new series *continues* one of the old, and only what
changed for them is worth a message.

Vocabulary:

- *chain*: the series linked by splits, first to last; the last holds the
  future. Events may arrive in any order: a continuation whose predecessor is
  not known yet waits (nothing planned for it), and the records a split
  series no longer holds are *continued* (their pending messages ``held``)
  until its continuation arrives.
- *handed down*: the records still ahead that the series before in the
  chain no longer hold (a state from before the split: whose rule start was
  still ahead when the continuation was created); the continuation takes them
  over (:func:`pair`). What no series of the chain holds any more is
  cancelled: it no longer takes place.

Pairing (decided here, told in the README): an occurrence of the
continuation takes the record of the same local recurrence date; what is
left on both sides is paired in order, an old and a new occurrence less than
a week apart (an edit that moves the weekly session from Tuesday to
Wednesday changes each occurrence, it cancels none). An old occurrence
without a partner no longer takes place: a cancellation; a new one without a
partner is new: reminders, no notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from docbox_shared import recurrence
from docbox_shared.clock import aware

from .models import Delivery, Entry, OccurrenceRecord, db

PAIRING_WINDOW = timedelta(days=7)


def lock_program(program_id: str | None) -> None:
    """Serialise the planning of one program's series (concurrent events of one split, PostgreSQL)."""
    if program_id:
        db.session.execute(select(Entry.entry_id).where(Entry.kind == "program", Entry.entry_id == program_id)
                           .with_for_update())


def chain(entry: Entry) -> list[tuple[Entry, dict]] | None:
    """The known series of ``entry``'s chain with their states, first to last; None while a predecessor is unknown."""
    state = entry.state
    links, seen = [(entry, state)], {entry.entry_id}
    up = state
    while up.get("continues_series_id") and up["continues_series_id"] not in seen:
        parent = db.session.get(Entry, ("series", up["continues_series_id"]))
        if parent is None:
            return None
        seen.add(parent.entry_id)
        up = parent.state
        links.insert(0, (parent, up))
    current, current_state = entry, state
    while (following := _continuation(current, current_state)) is not None and following.entry_id not in seen:
        seen.add(following.entry_id)
        current, current_state = following, following.state
        links.append((current, current_state))
    return links


def _continuation(entry: Entry, state: dict) -> Entry | None:
    if state.get("continued_by_series_id"):
        return db.session.get(Entry, ("series", state["continued_by_series_id"]))
    # An older state of a split series does not name its continuation; the continuation names it.
    for candidate in db.session.scalars(select(Entry).where(Entry.kind == "series",
                                                            Entry.program_id == entry.program_id)):
        if candidate.data.get("continues_series_id") == entry.entry_id:
            return candidate
    return None


def handed_down(earlier: dict[str, set[str]], now: datetime) -> list[OccurrenceRecord]:
    """Records of the earlier series of the chain that the next one may take over, by start.

    ``earlier``: series id -> the occurrence ids it still holds (one moved to
    a later day before the split, say, stays where it is).
    """
    if not earlier:
        return []
    records = db.session.scalars(select(OccurrenceRecord).where(
        OccurrenceRecord.entry_kind == "series", OccurrenceRecord.entry_id.in_(list(earlier)),
        OccurrenceRecord.start_at > now).order_by(OccurrenceRecord.start_at, OccurrenceRecord.occurrence_id))
    return [r for r in records if r.live_id not in earlier[r.entry_id]]


def pair(occurrences: list[recurrence.Occurrence], records: list[OccurrenceRecord]) -> dict[str, OccurrenceRecord]:
    """Occurrence id -> the handed-down record it continues (see the module's pairing rule)."""
    pairs: dict[str, OccurrenceRecord] = {}
    by_day: dict = {}
    for record in records:
        by_day.setdefault(recurrence.split_occurrence_id(record.live_id)[1], record)
    left = []
    for occ in sorted(occurrences, key=lambda o: (o.start, o.id)):
        record = by_day.pop(occ.recurrence_date, None) if occ.recurrence_date else None
        if record is not None:
            pairs[occ.id] = record
        else:
            left.append(occ)
    taken = {id(r) for r in pairs.values()}
    free = [r for r in records if id(r) not in taken and r.status in ("scheduled", "continued")]
    i = j = 0
    while i < len(free) and j < len(left):
        old, new = aware(free[i].start_at), left[j].start
        if abs(old - new) < PAIRING_WINDOW:
            pairs[left[j].id] = free[i]
            i, j = i + 1, j + 1
        elif old < new:
            i += 1
        else:
            j += 1
    return pairs


def adopt(record: OccurrenceRecord, entry_id: str, live_id: str) -> None:
    """``record`` now belongs to occurrence ``live_id`` of series ``entry_id``; its messages follow."""
    record.entry_id, record.live_id = entry_id, live_id
    release(record)


def hold(record: OccurrenceRecord, now: datetime) -> None:
    """The split series no longer holds ``record`` and its continuation has not arrived: wait, send nothing."""
    if record.status == "scheduled":
        record.status, record.updated_at = "continued", now
    db.session.execute(update(Delivery).where(Delivery.occurrence_id == record.occurrence_id,
                                              Delivery.status == "pending").values(status="held"))


def release(record: OccurrenceRecord) -> None:
    if record.status == "continued":
        record.status = "scheduled"
    db.session.execute(update(Delivery).where(Delivery.occurrence_id == record.occurrence_id,
                                              Delivery.status == "held").values(status="pending"))
