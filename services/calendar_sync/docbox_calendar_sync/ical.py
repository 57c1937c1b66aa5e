"""Doc Box's calendar as RFC 5545 text: the one renderer for feeds and CalDAV.

Vocabulary:

- *master*: the VEVENT of a series, with its RRULE; a one-off session is a
  single VEVENT.
- *override*: a VEVENT with the series' UID and a RECURRENCE-ID, for each
  occurrence the organizer moved or cancelled (an *exception*), and for each
  occurrence on a clock change (its start or end skipped or repeated, or the
  change inside it), with its exact instants, so no client has to guess.
  RECURRENCE-ID, EXDATE and the master's DTSTART carry the rule's wall time.
- *VTIMEZONE*: from :mod:`docbox_shared.vtimezone`, the builder the mailed
  invitations use too.
- *UID*: ``docbox-<kind>-<entry id>`` (:func:`docbox_shared.uids.uid_for`,
  shared with the invitations notifications mails), stable forever and safe
  as a CalDAV resource name on any server.
- *SEQUENCE*: the entry's version, which grows on every change and never goes down.
- *deleted* entry: its last event marks it deleted and every occurrence cancelled. A feed keeps it
  as STATUS:CANCELLED with that last SEQUENCE, for good (a deleted series' master is cancelled, which
  cancels every occurrence). Dropping it later would make the bytes depend on the time of the
  request (the ETag is built from revisions, not the clock), and a client that polls rarely must
  still get the cancellation; clients treat an entry that silently leaves a feed differently
  (some keep it), so a cancelled entry is the one answer every client reads the same way.
  CalDAV calendars get a DELETE instead (:mod:`.push`).

Rendering is deterministic: the same entries and options give the same bytes
(DTSTAMP is the entry's own ``updated_at``, never "now"), which is what lets a
feed's ETag be computed without rendering. Nothing here names an attendee or a
facilitator; the event states carry none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import icalendar

from docbox_shared import recurrence, vtimezone
from docbox_shared.uids import uid_for

PRODID = "-//Doc Box//calendar_sync//EN"
RENDER_VERSION = "4"  # part of every feed ETag: bump when the output format changes
# Wide enough for any series the rules allow (ten years at most).
_ALL_TIME = (datetime(1900, 1, 1, tzinfo=timezone.utc), datetime(2300, 1, 1, tzinfo=timezone.utc))


@dataclass(frozen=True)
class Options:
    hide_cancelled: bool = False
    alarm_minutes_before: int | None = None


def _summary(title: str, status: str) -> str:
    return f"Cancelled: {title}" if status == "cancelled" else title


def _description(text: str, video_url: str | None, cancel_reason: str | None = None) -> str:
    parts = [f"Cancelled: {cancel_reason}"] if cancel_reason else []
    parts += [text.strip()] if text and text.strip() else []
    if video_url:
        parts.append(f"Join online: {video_url}")
    return "\n\n".join(parts)


def _vevent(uid: str, occ: recurrence.Occurrence, *, version: int, stamp: datetime,
            program_name: str | None, options: Options, times: dict | None = None) -> icalendar.Event:
    """One VEVENT; ``times`` replaces DTSTART/DTEND (a master's rule times)."""
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(timezone.utc))
    event.add("last-modified", stamp.astimezone(timezone.utc))
    event.add("sequence", version)
    for name, value in (times or {"dtstart": vtimezone.unambiguous(occ.start),
                                  "dtend": vtimezone.unambiguous(occ.end)}).items():
        event.add(name, value)
    event.add("summary", _summary(occ.title, occ.status))
    event.add("status", "CANCELLED" if occ.status == "cancelled" else "CONFIRMED")
    if occ.location:
        event.add("location", occ.location)
    if occ.video_url:
        event.add("url", occ.video_url)
    description = _description(occ.description, occ.video_url, occ.cancel_reason)
    if description:
        event.add("description", description)
    if program_name:
        event.add("categories", [program_name])
    event.add("transp", "OPAQUE")
    if options.alarm_minutes_before is not None and occ.status != "cancelled":
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", occ.title)
        alarm.add("trigger", timedelta(minutes=-options.alarm_minutes_before))
        event.add_component(alarm)
    return event


def entry_events(kind: str, state: dict, version: int, program_name: str | None,
                 options: Options = Options()) -> list[icalendar.Event]:
    """The VEVENTs of one loaded session or series state (master first, then overrides)."""
    uid = uid_for(kind, state["id"])
    if state.get("deleted") and options.hide_cancelled:
        return []
    if kind == "session":
        occ = recurrence.expand("session", state, *_ALL_TIME)[0]
        if occ.status == "cancelled" and options.hide_cancelled:
            return []
        return [_vevent(uid, occ, version=version, stamp=state["updated_at"], program_name=program_name,
                        options=options)]
    if kind != "series":
        return []
    tz = recurrence.zone(state["timezone"])
    duration = timedelta(minutes=state["duration_minutes"])
    # The master carries the rule's wall time, even one a clock change skips or repeats:
    # clients expand the RRULE from it. Its length is DTEND's wall time unless the first
    # occurrence itself is on a change (then an exact DURATION).
    wall = state["start_local"]
    times = {"dtstart": wall.replace(tzinfo=tz)}
    if _on_a_change(wall, duration, tz):
        times["duration"] = duration
    else:
        times["dtend"] = (wall + duration).replace(tzinfo=tz)
    master = _vevent(uid, recurrence.master_occurrence(state), version=version, stamp=state["updated_at"],
                     program_name=program_name, options=options, times=times)
    master.add("rrule", icalendar.vRecur.from_ical(recurrence.explicit_rule(state["rrule"], wall)))
    exceptions = {e["date"]: e for e in state.get("exceptions", [])}
    overrides, excluded = [], []
    # The shared expansion decides which exceptions still belong to the rule
    # (an exception past a shortened UNTIL is no occurrence at all).
    for occ in recurrence.expand("series", state, *_ALL_TIME):
        exc = exceptions.get(occ.recurrence_date)
        wall = datetime.combine(occ.recurrence_date, state["start_local"].time())
        if exc is None and not _on_a_change(wall, duration, tz):
            continue
        if occ.status == "cancelled" and options.hide_cancelled:
            excluded.append(wall.replace(tzinfo=tz))
            continue
        stamp = max(exc["updated_at"], state["updated_at"]) if exc else state["updated_at"]
        override = _vevent(uid, occ, version=version, stamp=stamp, program_name=program_name, options=options)
        override.add("recurrence-id", wall.replace(tzinfo=tz))
        overrides.append(override)
    if excluded:
        master.add("exdate", excluded)
    return [master, *overrides]


def _on_a_change(wall: datetime, duration: timedelta, tz) -> bool:
    """Whether clients could disagree about an occurrence at rule wall time ``wall``.

    True when its start or end wall time is skipped or repeated by a clock change,
    or a change falls inside it (wall-clock and elapsed length differ). Such an
    occurrence gets an override with its exact instants, so no client has to guess.
    """
    end_wall = wall + duration
    if not (vtimezone.plain(wall, tz) and vtimezone.plain(end_wall, tz)):
        return True
    return recurrence.after(wall.replace(tzinfo=tz), duration).replace(tzinfo=None) != end_wall


@lru_cache(maxsize=256)
def _vtimezone(name: str, first_year: int, last_year: int) -> bytes:
    """A VTIMEZONE's text, built and serialized once: every CalDAV object carries one."""
    return vtimezone.vtimezone(name, first_year, last_year).to_ical()


def _with_timezones(body: bytes, spans: dict[str, list[int]]) -> bytes:
    """``body`` with one VTIMEZONE per zone used (see docbox_shared.vtimezone), covering its events.

    They go before the first VEVENT, exactly where ``add_component`` would have put
    them (the same bytes), spliced in as text because parsing and serializing them
    for every object was half of a CalDAV push's rendering.
    """
    if not spans:
        return body
    at = body.index(b"\r\nBEGIN:VEVENT\r\n") + 2  # a zone is only used by an event
    zones = b"".join(_vtimezone(name, min(spans[name]), max(spans[name])) for name in sorted(spans))
    return body[:at] + zones + body[at:]


def calendar(items: Iterable[tuple[str, dict, int, str | None]], *, name: str | None = None,
             refresh_minutes: int | None = None, options: Options = Options()) -> bytes:
    """A VCALENDAR of ``(kind, state, version, program name)`` items, as bytes.

    ``name`` and ``refresh_minutes`` are for feeds (X-WR-CALNAME,
    REFRESH-INTERVAL, X-PUBLISHED-TTL); a CalDAV object has neither.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name is not None:
        cal.add("method", "PUBLISH")
        cal.add("name", icalendar.vText(name))  # TEXT: escaped like any other
        cal.add("x-wr-calname", icalendar.vText(name))
    if refresh_minutes:
        cal.add("refresh-interval", timedelta(minutes=refresh_minutes), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", icalendar.vDuration(timedelta(minutes=refresh_minutes)))
    events, spans = [], {}
    for kind, state, version, program_name in sorted(items, key=lambda i: (i[0], i[1]["id"])):
        entry = entry_events(kind, state, version, program_name, options)
        if entry:
            span = spans.setdefault(state["timezone"], [])
            span.append((state["start"] if kind == "session" else state["start_local"]).year)
            span.append((state["end"] if kind == "session" else recurrence.rule_dates(state)[-1]).year)
        events.extend(entry)
    for event in events:
        cal.add_component(event)
    return _with_timezones(cal.to_ical(), spans)


def same_events(ours: bytes, theirs: bytes) -> bool:
    """Whether ``theirs`` (a server's copy) holds exactly the events of ``ours`` (what Doc Box wrote),
    however the server rewrote the text: line folding, escaping, the order of properties (Radicale
    re-serializes what it stores). A copy that cannot be read is not ours."""
    def events(text: bytes) -> list[list[bytes]] | None:
        try:
            cal = icalendar.Calendar.from_ical(text)
        except ValueError:
            return None
        return sorted(sorted(event.to_ical().replace(b"\r\n ", b"").split(b"\r\n")) for event in cal.walk("VEVENT"))
    mine = events(ours)
    return mine is not None and mine == events(theirs)
