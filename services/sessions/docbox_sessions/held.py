"""The occurrences that take place, stored, and their sums by month: what organizers' exact statistics read.

Every one-off session and series keeps one row per occurrence that is not
cancelled (:class:`.models.HeldOccurrence`): its id, program, format, start,
and the month of its local start in its own zone (where the statistics count
it). A series has at most :data:`docbox_shared.recurrence.MAX_OCCURRENCES`
occurrences within ten years, so every one is stored, past and future.

Fresh. The rows are rewritten from the entry's state wherever a change is
published (:func:`.operations.states._publish`: created, edited, split, ended,
moved, cancelled, restored, deleted), in the same transaction as the change.
Whether an occurrence is *held* (it has started) is asked when the statistics
are read, and its count is joined then. The month is worked out by
:mod:`docbox_shared.recurrence` when the row is written, so a daylight-saving
change years ahead puts an occurrence in the month the expansion does.

Fast. Each month has a version (:class:`.models.HeldMonth`) that grows, in the
same transaction, with every change of its rows or of a count of one of them.
The relay (:func:`settle`, in each pass) sums each month that has ended (a day
after it ended in UTC, so in every zone) into cells by program and format,
tagged with the version it summed. A read takes the cells of every month whose
sums are of its current version and sums the rest (the current month, and a
month changed since the relay's last pass) from the rows: three statements
whatever the data, and a count entered a moment ago is in the next answer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from docbox_shared import recurrence
from docbox_shared.clock import now

from .derived import rewrite
from .models import AttendanceCount, HeldMonth, HeldMonthCell, HeldOccurrence, db

SETTLE_MONTHS = 12  # months the relay sums in one pass (a year of 10,000 monthly series: about a second)


def rows(occurrences: list[recurrence.Occurrence]) -> list[dict]:
    """The rows of one entry's occurrences (:func:`.derived.occurrences`) that are not cancelled."""
    return [dict(occurrence_id=o.id, entry_id=o.entry_id, program_id=o.program_id, format=o.format,
                 month=f"{o.start:%Y-%m}", start_at=o.start) for o in occurrences if o.status != "cancelled"]


def store(entry_id: str, occurrences: list[recurrence.Occurrence]) -> None:
    """Bring one entry's rows to its occurrences (not committed): only the rows that differ are rewritten, and
    only their months' versions grow."""
    gone, added = rewrite(HeldOccurrence, entry_id, rows(occurrences))
    changed({r.month for r in gone} | {r["month"] for r in added})


def counted(occurrence_id: str) -> None:
    """A count was recorded or replaced (not committed): its month's sums are out of date."""
    month = db.session.scalar(select(HeldOccurrence.month).where(HeldOccurrence.occurrence_id == occurrence_id))
    if month is not None:
        changed({month})


def changed(months: set[str]) -> None:
    """The versions of these months grow by one (a month not seen yet starts at 1)."""
    if not months:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(HeldMonth).on_conflict_do_update(
        index_elements=[HeldMonth.month], set_={"version": HeldMonth.version + 1})
    db.session.execute(statement, [dict(month=m, version=1, summed=None) for m in sorted(months)])


def _ended_through(moment: datetime) -> str:
    """The last month that has ended in every zone (a day after its end in UTC): its occurrences are all held."""
    moment = moment.astimezone(timezone.utc) - timedelta(days=1)
    index = moment.year * 12 + moment.month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _sums(*where):
    count = AttendanceCount
    return (select(HeldOccurrence.month, HeldOccurrence.program_id, HeldOccurrence.format, func.count(),
                   func.count(count.occurrence_id), func.coalesce(func.sum(count.in_person), 0),
                   func.coalesce(func.sum(count.virtual), 0))
            .outerjoin(count, count.occurrence_id == HeldOccurrence.occurrence_id).where(*where)
            .group_by(HeldOccurrence.month, HeldOccurrence.program_id, HeldOccurrence.format))


def cells(first: date, last: date, moment: datetime, program_id: str | None = None) -> list[tuple]:
    """``(month, program id, format, held, counted, in person, virtual)`` of the occurrences held by
    ``moment`` whose local month is ``first`` to ``last``: the relay's sums where they are of the month's
    current version, the rows for the rest."""
    first_key, last_key = f"{first:%Y-%m}", f"{last:%Y-%m}"
    ended = min(last_key, _ended_through(moment))
    summed = set(db.session.scalars(select(HeldMonth.month).where(
        HeldMonth.month.between(first_key, ended), HeldMonth.summed == HeldMonth.version)))
    result = []
    if summed:
        query = (select(HeldMonthCell.month, HeldMonthCell.program_id, HeldMonthCell.format,
                        HeldMonthCell.sessions_held, HeldMonthCell.sessions_counted, HeldMonthCell.in_person,
                        HeldMonthCell.virtual)
                 .join(HeldMonth, HeldMonth.month == HeldMonthCell.month)
                 .where(HeldMonthCell.month.between(first_key, ended), HeldMonth.summed == HeldMonth.version))
        if program_id:
            query = query.where(HeldMonthCell.program_id == program_id)
        result += [tuple(r) for r in db.session.execute(query) if r.month in summed]
    unsummed, month = [], first
    while f"{month:%Y-%m}" <= ended:
        if f"{month:%Y-%m}" not in summed:
            unsummed.append(f"{month:%Y-%m}")
        index = month.year * 12 + month.month
        month = date(index // 12, index % 12 + 1, 1)
    current = datetime.combine(month, datetime.min.time(), timezone.utc) - timedelta(days=2)
    live = [HeldOccurrence.month.in_(unsummed)] if unsummed else []
    if month <= last:  # months that have not ended in every zone: what has started by now
        live.append(and_(HeldOccurrence.month.between(f"{month:%Y-%m}", last_key),
                         HeldOccurrence.start_at > current, HeldOccurrence.start_at <= moment))
    if live:
        query = _sums(or_(*live), HeldOccurrence.start_at <= moment)
        if program_id:
            query = query.where(HeldOccurrence.program_id == program_id)
        result += [tuple(r) for r in db.session.execute(query)]
    return result


def settle(limit: int = SETTLE_MONTHS) -> bool:
    """Sum up to ``limit`` ended months whose sums are out of date, oldest first, each in its own transaction
    (the relay runs this in each pass). Returns whether any was out of date."""
    ended = _ended_through(now())
    due = db.session.execute(select(HeldMonth.month, HeldMonth.version).where(
        HeldMonth.month <= ended, or_(HeldMonth.summed.is_(None), HeldMonth.summed != HeldMonth.version))
        .order_by(HeldMonth.month).limit(limit)).all()
    for month, version in due:
        # Claimed by its version: a change committed since makes this a no-op, and one committed later
        # waits for this transaction (the row is locked) and then makes these sums out of date again.
        claimed = db.session.execute(update(HeldMonth).where(HeldMonth.month == month, HeldMonth.version == version)
                                     .values(summed=version)).rowcount
        if claimed == 1:
            db.session.execute(delete(HeldMonthCell).where(HeldMonthCell.month == month))
            sums = db.session.execute(_sums(HeldOccurrence.month == month)).all()
            if sums:
                db.session.execute(insert(HeldMonthCell), [
                    dict(month=m, program_id=p, format=f, sessions_held=h, sessions_counted=c, in_person=i, virtual=v)
                    for m, p, f, h, c, i, v in sums])
        db.session.commit()
    return bool(due)
