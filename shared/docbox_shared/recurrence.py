"""The one expansion of series into occurrences, used by every Doc Box service.

Vocabulary:

- *rule*: an RFC 5545 RRULE (``FREQ=WEEKLY;INTERVAL=2;COUNT=10``) applied to
  the series' local wall time in its IANA zone, so a weekly 19:00 session stays
  at 19:00 across daylight-saving changes.
- *occurrence*: one concrete meeting, with a stable ``id``: the one-off
  session's id, or ``<series id>_<YYYYMMDD>`` where the date is the local date
  the rule gave it (kept when the occurrence is moved, so ids survive edits).
- *exception*: an occurrence that was moved or cancelled.

A local time that does not exist (skipped by a spring-forward change) is read
with the offset before the change, as RFC 5545 says: 02:30 becomes 03:30; one
that happens twice (a fall-back change) is the first of the two. A session's
length is elapsed time, as the organizer entered it: a 60-minute session that
starts at 01:30 on a fall-back day ends sixty minutes later (01:30 the second
time), not at 02:30.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrule, rrulestr

UTC = timezone.utc
ALLOWED_FREQS = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
ALLOWED_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH", "WKST"}
MAX_OCCURRENCES = 1000
MAX_INTERVAL = 999  # every 999 days/weeks/... is already beyond the ten years a series may span
MAX_SPAN = timedelta(days=366 * 10)


class RuleError(ValueError):
    """A rule Doc Box refuses: unparseable, unbounded, too frequent or too long."""


@dataclasses.dataclass(frozen=True)
class Occurrence:
    id: str
    entry_kind: str             # "session" or "series"
    entry_id: str
    program_id: str
    recurrence_date: date | None  # the rule's local date (series only)
    original_start: datetime | None  # where the rule put it (series only): RECURRENCE-ID
    start: datetime             # aware, in the entry's zone
    end: datetime
    timezone: str
    status: str                 # "scheduled" or "cancelled"
    moved: bool
    title: str
    description: str
    format: str
    location: str | None
    video_url: str | None
    cancel_reason: str | None = None  # why it was cancelled (cancelled ones only), a short line
    deleted: bool = False       # its entry was deleted: cancelled for good


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; RuleError for anything else."""
    if not name or name not in _zone_names():
        raise RuleError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuleError(f"unknown time zone {name!r}") from exc


_ZONES: set[str] | None = None


def _zone_names() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones()
    return _ZONES


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Wall time in ``tz`` to an aware datetime; skipped times move forward."""
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def after(start: datetime, length: timedelta) -> datetime:
    """The instant ``length`` of elapsed time after ``start``, in ``start``'s zone."""
    return (start.astimezone(UTC) + length).astimezone(start.tzinfo)


def series_occurrence_id(series_id: str, day: date) -> str:
    return f"{series_id}_{day:%Y%m%d}"


def split_occurrence_id(occurrence_id: str) -> tuple[str, date | None]:
    """``(entry id, rule date)``; the date is None for a one-off session's id."""
    entry_id, sep, day = occurrence_id.rpartition("_")
    if sep and len(day) == 8 and day.isdigit():
        try:
            return entry_id, datetime.strptime(day, "%Y%m%d").date()
        except ValueError:
            pass
    return occurrence_id, None


# --- rules -------------------------------------------------------------------

def _parts(rule_text: str) -> dict[str, str]:
    text = rule_text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for chunk in filter(None, text.split(";")):
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise RuleError(f"cannot read {chunk!r} in the rule")
        if name in parts:
            raise RuleError(f"{name} appears twice in the rule")
        parts[name] = value.strip().upper()
    return parts


def _until_utc(value: str, tz: ZoneInfo) -> datetime:
    """UNTIL as given (date, local or UTC date-time) to an aware UTC instant."""
    try:
        if len(value) == 8:  # a DATE: the whole local day is included
            day = datetime.strptime(value, "%Y%m%d")
            return localize(day + timedelta(days=1), tz).astimezone(UTC) - timedelta(seconds=1)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return localize(datetime.strptime(value, "%Y%m%dT%H%M%S"), tz).astimezone(UTC)
    except ValueError as exc:
        raise RuleError(f"cannot read UNTIL={value}") from exc


def _format(parts: dict[str, str]) -> str:
    order = ["FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT", "UNTIL"]
    return ";".join(f"{name}={parts[name]}" for name in order if name in parts)


def _build(parts: dict[str, str], start_local: datetime, tz: ZoneInfo) -> rrule:
    without_until = {k: v for k, v in parts.items() if k != "UNTIL"}
    try:
        rule = rrulestr(_format(without_until), dtstart=start_local)
    except (ValueError, TypeError, KeyError) as exc:
        raise RuleError(f"cannot read the rule: {exc}") from exc
    if "UNTIL" in parts:
        until_local = _until_utc(parts["UNTIL"], tz).astimezone(tz).replace(tzinfo=None)
        rule = rule.replace(until=until_local)
    return rule


def normalize_rule(rule_text: str, start_local: datetime, tz_name: str) -> str:
    """Check a rule for a series starting at ``start_local`` and return its canonical text.

    Raises :class:`RuleError` for a rule that is unparseable, has no end
    (COUNT or UNTIL), repeats more often than daily, gives more than
    ``MAX_OCCURRENCES`` occurrences or spans more than ten years, or whose
    first occurrence is not ``start_local`` (calendar clients would disagree
    about it).
    """
    tz = zone(tz_name)
    parts = _parts(rule_text)
    unknown = set(parts) - ALLOWED_PARTS
    if unknown:
        raise RuleError(f"rule parts not supported: {', '.join(sorted(unknown))}")
    if parts.get("FREQ") not in ALLOWED_FREQS:
        raise RuleError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("a rule has COUNT or UNTIL, not both")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise RuleError("a rule needs an end: COUNT or UNTIL")
    for name in ("COUNT", "INTERVAL"):
        if name in parts and (not parts[name].isdigit() or int(parts[name]) < 1):
            raise RuleError(f"{name} must be a whole number of at least 1")
    if "COUNT" in parts and int(parts["COUNT"]) > MAX_OCCURRENCES:
        raise RuleError(f"at most {MAX_OCCURRENCES} occurrences")
    if "INTERVAL" in parts and int(parts["INTERVAL"]) > MAX_INTERVAL:
        raise RuleError(f"INTERVAL must be at most {MAX_INTERVAL}")
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_utc(parts["UNTIL"], tz).strftime("%Y%m%dT%H%M%SZ")
    rule = _build(parts, start_local, tz)
    try:
        first = list(rule[:MAX_OCCURRENCES + 1])
    except (ValueError, OverflowError) as exc:
        raise RuleError(f"cannot expand the rule: {exc}") from exc
    if not first:
        raise RuleError("the rule gives no occurrence")
    if first[0] != start_local:
        raise RuleError(f"the first occurrence must match the rule; the rule's first is {first[0].isoformat()}")
    if len(first) > MAX_OCCURRENCES:
        raise RuleError(f"the rule gives more than {MAX_OCCURRENCES} occurrences")
    if "COUNT" in parts and len(first) < int(parts["COUNT"]):
        # The rule would run past the year 9999: clients disagree about what it means.
        raise RuleError(f"the rule cannot give its {parts['COUNT']} occurrences")
    if first[-1] - start_local > MAX_SPAN:
        raise RuleError("a series may span at most ten years")
    return _format(parts)


def explicit_rule(rule_text: str, start_local: datetime) -> str:
    """The rule with the day its start gives it written out, as calendar clients must read it.

    RFC 5545 takes a monthly rule's day of the month (and a yearly rule's month and day) from DTSTART,
    and skips the months (years) without that day: a series on the 31st meets in 7 months a year, one
    on 29 February in leap years. ical.js (Thunderbird) and recurring-ical-events roll over instead
    (29 February 2028, then 1 March 2029). With BYMONTHDAY (and BYMONTH) written out they agree.
    """
    parts = _parts(rule_text)
    if start_local.day <= 28 or parts.get("FREQ") not in ("MONTHLY", "YEARLY") or \
            {"BYDAY", "BYMONTHDAY"} & set(parts):
        return rule_text
    parts["BYMONTHDAY"] = str(start_local.day)
    if parts["FREQ"] == "YEARLY":
        parts.setdefault("BYMONTH", str(start_local.month))
    return _format(parts)


def end_rule_before(rule_text: str, start_local: datetime, tz_name: str, day: date) -> str:
    """The rule with its last occurrence before local ``day`` (COUNT replaced by UNTIL)."""
    tz = zone(tz_name)
    parts = _parts(rule_text)
    cut = localize(datetime.combine(day, time()), tz).astimezone(UTC) - timedelta(seconds=1)
    if "UNTIL" in parts and _until_utc(parts["UNTIL"], tz) <= cut:
        return _format(parts)
    if "COUNT" in parts:
        remaining = [d for d in _build(parts, start_local, tz) if localize(d, tz) <= cut]
        if len(remaining) >= int(parts["COUNT"]):
            return _format(parts)
        del parts["COUNT"]
    parts["UNTIL"] = cut.strftime("%Y%m%dT%H%M%SZ")
    return _format(parts)


def rule_dates(state: dict, lo: datetime | None = None, hi: datetime | None = None) -> list[datetime]:
    """Local naive starts the rule gives, optionally only those between lo and hi (local, naive)."""
    tz = zone(state["timezone"])
    rule = _build(_parts(state["rrule"]), state["start_local"], tz)
    if lo is None and hi is None:
        return list(rule)
    return rule.between(lo, hi, inc=True)


# --- expansion ---------------------------------------------------------------

def expand(kind: str, state: dict, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences of one entry (loaded state) that overlap [window_start, window_end).

    Cancelled occurrences are included, with status "cancelled".
    """
    if kind == "session":
        occ = _session_occurrence(state)
        return [occ] if occ.start < window_end and occ.end > window_start else []
    if kind != "series":
        return []
    tz = zone(state["timezone"])
    duration = timedelta(minutes=state["duration_minutes"])
    exceptions = {e["date"]: e for e in state.get("exceptions", [])}
    # Generous local bounds: the rule runs in wall time, the window in instants.
    lo = window_start.astimezone(tz).replace(tzinfo=None) - duration - timedelta(days=2)
    hi = window_end.astimezone(tz).replace(tzinfo=None) + timedelta(days=2)
    rule = _build(_parts(state["rrule"]), state["start_local"], tz)
    candidates = {d.date(): d for d in rule.between(lo, hi, inc=True)}
    # A moved occurrence may now fall in the window although its rule date does not.
    for day, exc in exceptions.items():
        if day not in candidates and exc.get("start") and exc["start"] < window_end:
            hits = rule.between(datetime.combine(day, time()), datetime.combine(day, time.max), inc=True)
            if hits:
                candidates[day] = hits[0]
    result = []
    for day in sorted(candidates):
        occ = _series_occurrence(state, tz, duration, candidates[day], exceptions.get(day))
        if occ.start < window_end and occ.end > window_start:
            result.append(occ)
    result.sort(key=lambda o: (o.start, o.id))
    return result


def occurrence(kind: str, state: dict, day: date | None = None) -> Occurrence | None:
    """One occurrence: the one-off session itself, or the series' occurrence on rule date ``day``.

    None when the series' rule gives no occurrence on ``day``.
    """
    if kind == "session":
        return _session_occurrence(state)
    if day is None:
        return None
    tz = zone(state["timezone"])
    rule = _build(_parts(state["rrule"]), state["start_local"], tz)
    hits = rule.between(datetime.combine(day, time()), datetime.combine(day, time.max), inc=True)
    if not hits:
        return None
    exc = next((e for e in state.get("exceptions", []) if e["date"] == day), None)
    return _series_occurrence(state, tz, timedelta(minutes=state["duration_minutes"]), hits[0], exc)


def series_occurrence(state: dict, day: date) -> Occurrence:
    """The series' occurrence of rule date ``day``, for a caller that knows the rule gives one (it stored what
    :func:`expand` gave): the rule is not run, as each of its occurrences starts at its first one's wall time
    (a rule has no BYHOUR, BYMINUTE or BYSECOND)."""
    exc = next((e for e in state.get("exceptions", []) if e["date"] == day), None)
    return _series_occurrence(state, zone(state["timezone"]), timedelta(minutes=state["duration_minutes"]),
                              datetime.combine(day, state["start_local"].time()), exc)


def master_occurrence(state: dict) -> Occurrence:
    """A series' first occurrence as its rule gives it, exceptions aside: what a calendar's master event shows."""
    tz = zone(state["timezone"])
    start = localize(state["start_local"], tz)
    return _occurrence("series", state, id=state["id"], recurrence_date=None, original_start=None, start=start,
                       end=after(start, timedelta(minutes=state["duration_minutes"])),
                       status="cancelled" if state.get("deleted") else "scheduled",
                       moved=False, location=state.get("location"), video_url=state.get("video_url"))


def _occurrence(kind: str, state: dict, **when_and_where) -> Occurrence:
    """The one place an :class:`Occurrence` is made: the entry's fields from its state, the rest given."""
    if state.get("deleted"):  # a deleted entry's occurrences are all cancelled
        when_and_where["status"] = "cancelled"
    if when_and_where["status"] != "cancelled":
        when_and_where["cancel_reason"] = None
    return Occurrence(entry_kind=kind, entry_id=state["id"], program_id=state["program_id"],
                      timezone=state["timezone"], title=state["title"], description=state.get("description", ""),
                      format=state["format"], deleted=bool(state.get("deleted")), **when_and_where)


def _session_occurrence(state: dict) -> Occurrence:
    tz = zone(state["timezone"])
    return _occurrence("session", state, id=state["id"], recurrence_date=None, original_start=None,
                       start=state["start"].astimezone(tz), end=state["end"].astimezone(tz),
                       status=state["status"], moved=False, location=state.get("location"),
                       video_url=state.get("video_url"), cancel_reason=state.get("cancel_reason"))


def _series_occurrence(state, tz, duration, local_start, exc) -> Occurrence:
    original = localize(local_start, tz)
    start, end = original, after(original, duration)
    status, location, video_url, moved = "scheduled", state.get("location"), state.get("video_url"), False
    reason = None
    if exc:
        status, reason = exc["status"], exc.get("cancel_reason")
        if exc.get("start"):
            start, end = exc["start"].astimezone(tz), exc["end"].astimezone(tz)
            # In UTC: aware datetimes of one zone compare by wall time, blind to a repeated hour.
            moved = (start.astimezone(UTC), end.astimezone(UTC)) != (
                original.astimezone(UTC), after(original, duration).astimezone(UTC))
        if exc.get("location") is not None:
            location, moved = exc["location"], moved or exc["location"] != state.get("location")
        if exc.get("video_url") is not None:
            video_url = exc["video_url"]
    return _occurrence("series", state, id=series_occurrence_id(state["id"], local_start.date()),
                       recurrence_date=local_start.date(), original_start=original, start=start, end=end,
                       status=status, moved=moved, location=location, video_url=video_url, cancel_reason=reason)
