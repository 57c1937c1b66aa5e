"""The VEVENT of one occurrence, as every Doc Box calendar shows it: feeds and CalDAV (calendar_sync) and the
sessions' iCalendar export, so an import of the export and the feed carry the same text for the same event.

- UID ``docbox-<kind>-<entry id>`` (:func:`.uids.uid_for`), SEQUENCE the entry's version, DTSTAMP and
  LAST-MODIFIED its last change (never "now": the same entry gives the same bytes);
- DTSTART/DTEND through :func:`.vtimezone.unambiguous` unless the caller gives other times (a series
  master's rule times);
- SUMMARY ``Cancelled: <title>`` for a cancelled occurrence; DESCRIPTION the cancellation's reason first
  (``Cancelled: <reason>``), then the description, then ``Join online: <url>``;
- with ``alarm_minutes_before``, a DISPLAY alarm that long before (never on a cancelled occurrence).

Nothing here names a facilitator or anyone who came: an occurrence carries none.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from . import vtimezone
from .uids import uid_for

if TYPE_CHECKING:
    import icalendar

    from .recurrence import Occurrence


def _description(text: str, video_url: str | None, cancel_reason: str | None = None) -> str:
    """An event's text: the cancellation's reason first (as the session page and the notice show it)."""
    parts = [f"Cancelled: {cancel_reason}"] if cancel_reason else []
    parts += [text.strip()] if text and text.strip() else []
    if video_url:
        parts.append(f"Join online: {video_url}")
    return "\n\n".join(parts)


def occurrence_event(occ: Occurrence, *, version: int, stamp: datetime, times: dict | None = None,
                     recurrence_id: datetime | None = None, program_name: str | None = None,
                     alarm_minutes_before: int | None = None) -> icalendar.Event:
    """The VEVENT of ``occ``; ``times`` replaces DTSTART/DTEND, ``recurrence_id`` makes it one instance of
    its series."""
    import icalendar  # here: the sessions web worker needs it only for a download (about 3 MB)
    cancelled = occ.status == "cancelled"
    event = icalendar.Event()
    event.add("uid", uid_for(occ.entry_kind, occ.entry_id))
    if recurrence_id is not None:
        event.add("recurrence-id", recurrence_id)
    event.add("dtstamp", stamp.astimezone(timezone.utc))
    event.add("last-modified", stamp.astimezone(timezone.utc))
    event.add("sequence", version)
    for name, value in (times or {"dtstart": vtimezone.unambiguous(occ.start),
                                  "dtend": vtimezone.unambiguous(occ.end)}).items():
        event.add(name, value)
    event.add("summary", f"Cancelled: {occ.title}" if cancelled else occ.title)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if occ.location:
        event.add("location", occ.location)
    if occ.video_url:
        event.add("url", occ.video_url)
    text = _description(occ.description, occ.video_url, occ.cancel_reason)
    if text:
        event.add("description", text)
    if program_name:
        event.add("categories", [program_name])
    event.add("transp", "OPAQUE")
    if alarm_minutes_before is not None and not cancelled:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", occ.title)
        alarm.add("trigger", timedelta(minutes=-alarm_minutes_before))
        event.add_component(alarm)
    return event
