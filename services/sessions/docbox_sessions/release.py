"""The statistics release: the one set of numbers everyone without exact access reads.

Words. A *period* is a month (``2026-03``), a quarter (``2026-Q1``) or a year
(``2026``). A *row* is one period for one program and one format, or for all
of them (``"*"``): sessions held, sessions counted, and people counted in
person, virtually and in total. The month rows by program and format are the
*cells*; every other row is a sum of cells.

When. A month enters the release ``DOCBOX_STATS_GRACE_DAYS`` days after it
ended (at 00:00 UTC, so it has ended in every zone), in order, the first
time anyone reads statistics after that. A month that completes a quarter
brings the quarter's rows with it, December brings the year's, and nothing
spans more than a year: a total that grew with each month would give each
month away by subtraction. The release starts with the first month that had a
session, ten years back at most.

Never again. Released rows keep the counts of the moment they were released
and are never rewritten: a count recorded or corrected later, or a session
added to a past month, reaches organizers and admins but not the release.

How much is withheld is decided for a month's rows, and its quarter's and
year's, jointly with every row they are linked to by a sum (the rest of the
quarter or year, already published and frozen), by
:func:`docbox_shared.suppression.suppress`; each count is the sum of the in-person
and virtual counts of the cells it covers.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from docbox_shared.clock import now
from docbox_shared.suppression import suppress

from . import held
from .models import OneOffSession, ReleasedMonth, ReleasedNumber, Series, SeriesException, db

ALL = "*"
MEASURES = ("in_person", "virtual", "total")
CHUNK = 12   # months whose live cells one release step reads at once (a year)


@dataclasses.dataclass
class Counts:
    sessions_held: int = 0
    sessions_counted: int = 0
    in_person: int = 0
    virtual: int = 0

    @property
    def total(self) -> int:
        return self.in_person + self.virtual

    def add(self, other: Counts) -> None:
        self.sessions_held += other.sessions_held
        self.sessions_counted += other.sessions_counted
        self.in_person += other.in_person
        self.virtual += other.virtual


# --- periods -----------------------------------------------------------------

def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def quarter_key(month: date) -> str:
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


def children(period: str) -> list[str]:
    """A year's quarters, a quarter's months, nothing for a month."""
    if len(period) == 4:
        return [f"{period}-Q{q}" for q in range(1, 5)]
    if "Q" in period:
        year, quarter = int(period[:4]), int(period[-1])
        return [f"{year}-{m:02d}" for m in range(quarter * 3 - 2, quarter * 3 + 1)]
    return []


def last_month(period: str) -> date:
    """The month that completes a period (and brings its rows into the release)."""
    if len(period) == 4:
        return date(int(period), 12, 1)
    if "Q" in period:
        return date(int(period[:4]), int(period[-1]) * 3, 1)
    return date(int(period[:4]), int(period[5:7]), 1)


# --- live counts -------------------------------------------------------------

def live_cells(first: date, last: date, program_id: str | None = None) -> dict[tuple[str, str, str], Counts]:
    """``(month, program id, format) -> Counts`` of the sessions held in months ``first`` to ``last``.

    Held: not cancelled and started. An occurrence belongs to the month of its
    local start, in its own zone. Summed by the database from the stored
    occurrences (:mod:`.held`) and the counts as they are now: one statement.
    """
    return {(month, program, fmt): Counts(held_count, counted, in_person, virtual)
            for month, program, fmt, held_count, counted, in_person, virtual in held.cells(first, last, now(), program_id)}


def rollup(cells: dict[tuple[str, str, str], Counts], period_of) -> dict[tuple[str, str, str], Counts]:
    """Rows by program and format, by program, by format and in all, of ``period_of(month)``."""
    rows: dict[tuple[str, str, str], Counts] = {}
    for (month, program, fmt), counts in sorted(cells.items()):
        period = period_of(month)
        for key in ((period, program, fmt), (period, program, ALL), (period, ALL, fmt), (period, ALL, ALL)):
            rows.setdefault(key, Counts()).add(counts)
    return rows


def numbers(rows: dict[tuple[str, str, str], Counts], cells) -> dict:
    """Each row's three counts as ``(value, scope)``: the in-person and virtual counts of the cells it sums."""
    members: dict[tuple[str, str, str], list] = {}
    for cell in sorted(cells):
        month, program, fmt = cell
        for period in (month, quarter_key(date(int(month[:4]), int(month[5:]), 1)), month[:4]):
            for key in ((period, program, fmt), (period, program, ALL), (period, ALL, fmt), (period, ALL, ALL)):
                if key in rows:
                    members.setdefault(key, []).append(cell)
    parts = {"in_person": ("in_person",), "virtual": ("virtual",), "total": ("in_person", "virtual")}
    return {(*key, m): (getattr(counts, m), frozenset((cell, p) for cell in members.get(key, ()) for p in parts[m]))
            for key, counts in rows.items() for m in MEASURES}


# --- releasing ---------------------------------------------------------------

def _due_through(grace_days: int) -> date:
    """The last month whose grace period has passed."""
    moment = now().astimezone(timezone.utc) - timedelta(days=max(grace_days, 0))
    return add_months(moment.date().replace(day=1), -1)


def _first_month() -> date | None:
    """The month before the earliest session, moved occurrence or series start (a day's margin for zones)."""
    starts = [db.session.scalar(select(func.min(OneOffSession.start_at))),
              db.session.scalar(select(func.min(SeriesException.start_at)))]
    series_start = db.session.scalar(select(func.min(Series.start_local)))
    if series_start is not None:
        starts.append(series_start.replace(tzinfo=timezone.utc))
    starts = [s for s in starts if s is not None]
    return (min(starts) - timedelta(days=1)).date().replace(day=1) if starts else None


def release_due(min_cell: int, grace_days: int, stop=lambda: False, limit: int | None = None) -> date | None:
    """Release every month that is due and not released yet, oldest first, each in its own transaction.

    Returns the last released month. When every due month is released already
    (the relay's :func:`release_pass` keeps it so) this is one query.
    ``stop()`` is asked between months; ``limit`` bounds the chunks of
    :data:`CHUNK` months released in one call (the relay delivers events
    between them).
    """
    latest = db.session.scalar(select(func.max(ReleasedMonth.month)))
    through = _due_through(grace_days)
    if latest is not None and latest >= through:
        return latest
    month = add_months(latest, 1) if latest else _first_month()
    if latest is None and month is not None:
        month = max(month, add_months(through, -119))  # a first release reaches ten years back at most
    while month is not None and month <= through and not stop():
        # The live cells are read once for up to CHUNK months, not once per month.
        last = min(through, add_months(month, CHUNK - 1))
        live = live_cells(month, last)
        while month <= last and not stop():
            try:
                _release(month, min_cell, {key: c for key, c in live.items() if key[0] == month_key(month)})
                db.session.commit()
            except IntegrityError:
                db.session.rollback()  # another process released this month first: its numbers stand
            month = add_months(month, 1)
        if limit is not None:
            limit -= 1
            if limit <= 0:
                break
    return db.session.scalar(select(func.max(ReleasedMonth.month)))


def release_pass(stopped=lambda: False) -> bool:
    """Release what became due: the relay process runs this in each of its passes, so a viewer never waits.

    A month is due ``STATS_GRACE_DAYS`` after it ended, so the relay releases
    it within a pass of that moment and the first statistics read afterwards
    finds it released (one query, like every later read). A read still
    releases what is due itself if no relay ran (``make run`` without it, a
    test), so viewers never see an older release than the rules allow.
    It also sums ended months for organizers' exact statistics (:func:`.held.settle`).
    Returns whether a month was released or summed.
    """
    from flask import current_app

    config = current_app.config
    summed = held.settle()  # and sums ended months ahead for the exact statistics
    before = db.session.scalar(select(func.max(ReleasedMonth.month)))
    after = release_due(config["MIN_CELL"], config["STATS_GRACE_DAYS"], stopped, limit=1)
    db.session.commit()
    return after != before or summed


def _release(month: date, min_cell: int, live: dict | None = None) -> None:
    """Release one month, and the quarter and year it completes, suppressed jointly with what they sum.

    ``live``: the month's :func:`live_cells`, if they were read already.
    """
    quarter, year = quarter_key(month), str(month.year)
    scope = ([f"{year}-{m:02d}" for m in range(1, 13)] + children(year) if month.month == 12
             else children(quarter) if month.month % 3 == 0 else [month_key(month)])
    stored = {(r.period, r.program_id, r.format): r for r in db.session.scalars(
        select(ReleasedNumber).where(ReleasedNumber.period.in_(scope)))}
    cells = {(p, prog, f): Counts(r.sessions_held, r.sessions_counted, r.in_person, r.virtual)
             for (p, prog, f), r in stored.items() if prog != ALL and f != ALL and len(p) == 7 and "Q" not in p}
    cells.update(live_cells(month, month) if live is None else live)
    new = rollup({k: v for k, v in cells.items() if k[0] == month_key(month)}, lambda m: m)
    if month.month % 3 == 0:
        new.update(rollup({k: v for k, v in cells.items() if k[0] in children(quarter)}, lambda m: quarter))
    if month.month == 12:
        new.update(rollup(cells, lambda m: year))
    rows = {**{k: Counts(r.sessions_held, r.sessions_counted, r.in_person, r.virtual) for k, r in stored.items()},
            **new}
    frozen = {(*key, m) for key in stored for m in MEASURES}
    frozen_hidden = {(*key, m) for key, r in stored.items() for m in MEASURES if getattr(r, f"{m}_withheld")}
    hidden = suppress(numbers(rows, cells), min_cell, frozen_hidden, frozen)
    db.session.add(ReleasedMonth(month=month, released_at=now(), min_cell=min_cell))
    db.session.flush()  # a concurrent release of the same month fails here, before any row is written
    for (period, program, fmt), counts in sorted(new.items()):
        db.session.add(ReleasedNumber(
            period=period, program_id=program, format=fmt, release_month=month,
            sessions_held=counts.sessions_held, sessions_counted=counts.sessions_counted,
            in_person=counts.in_person, virtual=counts.virtual, total=counts.total,
            **{f"{m}_withheld": (period, program, fmt, m) in hidden for m in MEASURES}))


# --- reading -----------------------------------------------------------------

class Release:
    """The released rows a window of months can reach, and the sums of published numbers over them."""

    def __init__(self, first: date, last: date):
        self.through = db.session.scalar(select(func.max(ReleasedMonth.month)))
        # Every period of these years ("2026", "2026-03", "2026-Q1") sorts from the first year to the year after
        # the last: a range of the primary key, not a scan of every year released.
        query = select(ReleasedNumber).where(ReleasedNumber.period >= f"{first.year:04d}",
                                             ReleasedNumber.period < f"{last.year + 1:04d}")
        self.rows = {(r.period, r.program_id, r.format): r for r in db.session.scalars(query)}

    def released(self, period: str) -> bool:
        return self.through is not None and last_month(period) <= self.through

    def months(self, first: date, last: date) -> list[date]:
        """The released months of a window."""
        result, month = [], first
        while month <= last and self.released(month_key(month)):
            result.append(month)
            month = add_months(month, 1)
        return result

    def cover(self, months: list[date]) -> list[str]:
        """The periods that make up these consecutive months: whole years, then whole quarters, then months."""
        periods, i = [], 0
        while i < len(months):
            month = months[i]
            if month.month == 1 and i + 11 < len(months) and self.released(str(month.year)):
                periods.append(str(month.year))
                i += 12
            elif month.month % 3 == 1 and i + 2 < len(months) and self.released(quarter_key(month)):
                periods.append(quarter_key(month))
                i += 3
            else:
                periods.append(month_key(month))
                i += 1
        return periods

    def value(self, period: str, program: str, fmt: str) -> dict:
        """A row's numbers; a withheld one is the sum of its published parts in time, or None."""
        row = self.rows.get((period, program, fmt))
        if row is None:
            return dict(sessions_held=0, sessions_counted=0, in_person=0, virtual=0, total=0)
        out = dict(sessions_held=row.sessions_held, sessions_counted=row.sessions_counted)
        for m in MEASURES:
            if not getattr(row, f"{m}_withheld"):
                out[m] = getattr(row, m)
            else:
                parts = [self.value(child, program, fmt)[m] for child in children(period)]
                out[m] = sum(parts) if parts and None not in parts else None
        return out

    def total(self, periods: list[str], program: str, fmt: str) -> dict:
        out = dict(sessions_held=0, sessions_counted=0, in_person=0, virtual=0, total=0)
        for period in periods:
            value = self.value(period, program, fmt)
            for name, number in value.items():
                out[name] = None if out[name] is None or number is None else out[name] + number
        return out
