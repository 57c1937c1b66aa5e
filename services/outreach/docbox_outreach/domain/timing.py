"""When a supporter's first contact is due, and how late a pairing is (case-based program).

The window is 24, 48 or 72 hours (default 48) and is counted in elapsed
hours, not wall-clock hours: across a daylight-saving change a 48-hour window
ends 47 or 49 hours later on the clock, because the physician waits 48 real
hours. Instants are aware datetimes; results are in UTC.

*Business hours* (optional) pause the count on Saturdays, Sundays and the
given holidays, whole local days in the program's time zone, and count every
hour of the other days: a physician under review is reached on a working day
however late, but the window does not run out over a weekend. Holidays are
passed in by the caller and default to none: Doc Box keeps no holiday
calendar of its own (holidays differ by institution and year, and a missing
holiday only makes a due time earlier, which errs toward reaching out sooner).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

from .vocabulary import FIRST_CONTACT_HOURS

WEEKEND = (5, 6)  # Saturday, Sunday


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(timezone.utc)


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of ``day`` in UTC. Where a DST change skips midnight (Santiago, Cairo),
    ``fold=0`` reads it with the offset before the change: the first instant of the day."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def first_contact_due(start_dt: datetime, hours: int, zone: ZoneInfo, *, business_hours: bool = False,
                      holidays: Collection[date] = ()) -> datetime:
    """The instant by which the first contact is due, ``hours`` after ``start_dt`` (the match)."""
    if hours not in FIRST_CONTACT_HOURS:
        raise ValueError(f"the first-contact window is one of {FIRST_CONTACT_HOURS} hours, not {hours}")
    start = _aware(start_dt, "start_dt")
    if not business_hours:
        return start + timedelta(hours=hours)
    remaining = timedelta(hours=hours)
    moment = start
    day = start.astimezone(zone).date()
    while True:
        end = _day_start(day + timedelta(days=1), zone)
        if day.weekday() not in WEEKEND and day not in holidays:
            if moment + remaining <= end:
                return moment + remaining
            remaining -= end - moment
        moment, day = end, day + timedelta(days=1)


class Stage(StrEnum):
    """Where a pairing stands against its due time."""

    CONTACTED = "contacted"    # a first contact is logged
    WAITING = "waiting"        # not due yet
    OVERDUE = "overdue"        # due time passed: listed for the coordinator, reminder to the supporter
    ESCALATED = "escalated"    # overdue for longer than the escalation delay


def stage(due_dt: datetime, now_dt: datetime, contacted: bool, escalate_after: timedelta) -> Stage:
    """The stage of a pairing at ``now_dt`` (passed in: this module never reads a clock)."""
    if contacted:
        return Stage.CONTACTED
    due, now = _aware(due_dt, "due_dt"), _aware(now_dt, "now_dt")
    if now < due:
        return Stage.WAITING
    return Stage.ESCALATED if now >= due + escalate_after else Stage.OVERDUE
