"""Time zones written so that every calendar parser reads the same instants.

Used by every iCalendar Doc Box writes: feeds, CalDAV objects and mailed
invitations.

- :func:`vtimezone`: the VTIMEZONE of an IANA zone, built from the zone's own
  transitions (tzdata through :mod:`zoneinfo`). Where the zone changes on a
  yearly rule (``2nd Sunday of March at 02:00``), an observance carries that
  rule as ``RRULE:FREQ=YEARLY;BYMONTH=..;BYDAY=..`` the way Outlook and Apple
  write them, starting where the zone began following it (at most back to
  1970) and open-ended when the zone still follows it; any other change is an
  observance of its own with just its DTSTART. No multi-valued RDATE is
  written: ical.js, vobject and Radicale read only its first value. A zone
  without daylight saving is one STANDARD. The observances reach back before
  the year before the earliest event, so parsers that compare the embedded zone
  with their own around 2000-2020 (vobject) see the real zone, not UTC.
  (icalendar's ``Timezone.from_tzid`` writes one multi-valued RDATE per
  observance and cannot be told otherwise, hence this module.)
- :func:`unambiguous`: a date-time to write as is (``TZID=`` wall time) when
  its wall time names one instant, or in UTC when it is skipped or repeated by
  a clock change, so no client has to guess.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import icalendar


UTC = timezone.utc
_SCAN_FROM = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86400
_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@dataclass(frozen=True)
class _Change:
    at: int                 # POSIX seconds of the change
    before: timedelta       # UTC offset before
    after: timedelta        # UTC offset after
    dst: bool
    name: str

    @property
    def onset(self) -> datetime:
        """Local wall time of the change, in the offset before it (as DTSTART and RRULE count)."""
        return datetime(1970, 1, 1) + timedelta(seconds=self.at) + self.before

    def rule_key(self) -> tuple:
        onset = self.onset
        return (self.before, self.after, self.dst, self.name, onset.month, onset.weekday(), onset.time())

    def byday(self) -> set[int]:
        """Which ``BYDAY`` ordinals (1..5, -1 for the last) name this change's day."""
        onset = self.onset
        found = {(onset.day - 1) // 7 + 1}
        if onset.day + 7 > _calendar.monthrange(onset.year, onset.month)[1]:
            found.add(-1)
        return found


def _state(tz: ZoneInfo, at: int) -> tuple[timedelta, bool, str]:
    local = datetime.fromtimestamp(at, tz)
    return local.utcoffset(), bool(local.dst()), local.tzname() or ""


def _changes(tz: ZoneInfo, until_year: int) -> list[_Change]:
    """Every change of offset, daylight flag or name from 1970 to the start of ``until_year``."""
    start, end = int(_SCAN_FROM.timestamp()), int(datetime(until_year, 1, 1, tzinfo=UTC).timestamp())
    found, t, state = [], start, _state(tz, start)
    while t < end:
        nxt = min(t + _DAY, end)
        new = _state(tz, nxt)
        if new != state:
            lo, hi = t, nxt  # state(lo) == old, state(hi) != old: find the first second of the new
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _state(tz, mid) == state:
                    lo = mid
                else:
                    hi = mid
            new = _state(tz, hi)
            found.append(_Change(at=hi, before=state[0], after=new[0], dst=new[1], name=new[2]))
            state, nxt = new, hi
        t = nxt
    return found


def _runs(changes: list[_Change]) -> list[list[_Change]]:
    """Changes grouped into yearly runs of one rule (a change off any rule is a run of one)."""
    runs: list[list[_Change]] = []
    open_runs: dict[tuple, tuple[list[_Change], set[int]]] = {}
    for change in changes:
        key, days = change.rule_key(), change.byday()
        current = open_runs.get(key)
        if current and current[0][-1].onset.year == change.onset.year - 1 and current[1] & days:
            current[0].append(change)
            open_runs[key] = (current[0], current[1] & days)
        else:
            run = [change]
            runs.append(run)
            open_runs[key] = (run, days)
    return runs


def _offset(delta: timedelta) -> icalendar.vUTCOffset:
    import icalendar
    return icalendar.vUTCOffset(delta)


def _observance(change: _Change, offset_from: timedelta | None = None, onset: datetime | None = None):
    import icalendar
    part = icalendar.TimezoneDaylight() if change.dst else icalendar.TimezoneStandard()
    part.add("dtstart", onset or change.onset)
    part.add("tzoffsetfrom", _offset(change.before if offset_from is None else offset_from))
    part.add("tzoffsetto", _offset(change.after))
    if change.name:
        part.add("tzname", change.name)
    return part


@lru_cache(maxsize=256)
def _build(name: str, first_year: int, last_year: int) -> bytes:
    tz = ZoneInfo(name)
    horizon = last_year + 3
    changes = _changes(tz, horizon)
    cover_from = int(datetime(first_year - 1, 1, 1, tzinfo=UTC).timestamp())
    runs = _runs(changes)
    before = [c for c in changes if c.at < cover_from]
    keep = [r for r in runs if r[-1].at >= cover_from or (before and before[-1] in r)]
    import icalendar
    component = icalendar.Timezone()
    component.add("tzid", name)
    if not before:
        # The state in force before the first change kept (or for ever, in a zone without changes).
        offset, dst, tzname = _state(tz, cover_from) if not changes else (
            changes[0].before, *_state(tz, changes[0].at - 1)[1:])
        base = _Change(at=int(_SCAN_FROM.timestamp()), before=offset, after=offset, dst=dst, name=tzname)
        component.add_component(_observance(base, onset=datetime(1970, 1, 1)))
    for run in sorted(keep, key=lambda r: r[0].at):
        part = _observance(run[0])
        if len(run) > 1:
            days = set.intersection(*(c.byday() for c in run))
            ordinal = min(d for d in days if d > 0) if any(d > 0 for d in days) else -1
            onset = run[0].onset
            rule = {"freq": "YEARLY", "bymonth": onset.month, "byday": f"{ordinal}{_WEEKDAYS[onset.weekday()]}"}
            if run[-1].onset.year < horizon - 1:  # the zone left this rule: stop after its last change
                # Two days after the last change: before next year's, and after it however a parser
                # compares a UTC UNTIL with local onsets (dateutil ignores the Z).
                rule["until"] = datetime.fromtimestamp(run[-1].at, UTC) + timedelta(days=2)
            part.add("rrule", rule)
        component.add_component(part)
    return component.to_ical()


def vtimezone(name: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """The VTIMEZONE of IANA zone ``name`` for events from ``first_year`` to ``last_year``."""
    import icalendar
    return icalendar.Timezone.from_ical(_build(name, first_year, max(last_year, first_year)))


def plain(wall: datetime, tz: ZoneInfo) -> bool:
    """Whether naive wall time ``wall`` names exactly one instant in ``tz`` (not skipped, not repeated)."""
    return wall.replace(tzinfo=tz, fold=0).utcoffset() == wall.replace(tzinfo=tz, fold=1).utcoffset()


def unambiguous(moment: datetime) -> datetime:
    """``moment`` as is if its wall time is plain in its zone, else in UTC."""
    tz = moment.tzinfo
    if isinstance(tz, ZoneInfo) and not plain(moment.replace(tzinfo=None), tz):
        return moment.astimezone(UTC)
    return moment
