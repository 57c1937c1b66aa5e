"""The occurrence list of a date range as an iCalendar file to import (the CSV's twin).

One VEVENT per occurrence in the range, never a recurrence rule: a rule would
carry the series past the range the person chose. Each event has the identity
the subscribed feed gives the same occurrence (calendar_sync's renderer):

- a one-off session: UID ``docbox-session-<id>`` (:func:`docbox_shared.uids.uid_for`);
- an occurrence of a series: the series' UID ``docbox-series-<id>`` with a
  RECURRENCE-ID at the rule's wall time in the series' zone, exactly the
  override the feed writes when that occurrence is moved or cancelled;
- SEQUENCE is the entry's version, DTSTAMP its last change, as in the feed.

Why the feed's identities rather than new ones: RFC 5545 names an event by
its UID and one instance of a series by UID and RECURRENCE-ID, and a calendar
store keeps one entry per identity. So where the feed's entries already are
in the same store (a shared CalDAV calendar Doc Box pushes to, a calendar
holding an invitation a reminder email attached, an earlier import of this
file), the imported event is taken as that entry and updated, not added as a
second copy; importing the file again after a change updates the same
entries. New UIDs would make every import a duplicate of all of those. What
no UID can do: a subscribed feed that a client keeps as a separate read-only
calendar is not merged with an import into another calendar (clients show
both). An occurrence of a series arrives as a single instance (a RECURRENCE-ID
component whose master is elsewhere, as in an iTIP invitation to one
instance); a client that never saw the series shows it as an event of its
own. A series split after the export gives its later occurrences the
continuation's UID (as the feed itself does).

Times: DTSTART/DTEND in the entry's zone with its VTIMEZONE from the kit
(:mod:`docbox_shared.vtimezone`, the builder of feeds and invitations), in UTC
where a clock change makes the wall time name two instants or none.
The text is the feed's too, a cancellation's reason included.
Nothing here names a facilitator or anyone who came.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from docbox_shared import recurrence, vtimezone
from docbox_shared.uids import uid_for

if TYPE_CHECKING:
    import icalendar

PRODID = "-//Doc Box//sessions export//EN"
UTC = timezone.utc


def _description(text: str, video_url: str | None, cancel_reason: str | None = None) -> str:
    """The feed's text (calendar_sync's ``ical._description``): a cancellation's reason first, as the feed,
    the session page and the notice show it, so an import never replaces the feed's text with less."""
    parts = [f"Cancelled: {cancel_reason}"] if cancel_reason else []
    parts += [text.strip()] if text and text.strip() else []
    if video_url:
        parts.append(f"Join online: {video_url}")
    return "\n\n".join(parts)


def occurrence_event(occ: recurrence.Occurrence, *, version: int, stamp: datetime, rule_time=None,
                     program_name: str | None = None) -> icalendar.Event:
    """The VEVENT of one occurrence; ``rule_time`` is a series' local start time (its RECURRENCE-ID)."""
    import icalendar  # here: the sessions web worker needs it only for a download (about 3 MB)
    event = icalendar.Event()
    event.add("uid", uid_for(occ.entry_kind, occ.entry_id))
    if occ.entry_kind == "series":
        tz = recurrence.zone(occ.timezone)
        event.add("recurrence-id", datetime.combine(occ.recurrence_date, rule_time).replace(tzinfo=tz))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("last-modified", stamp.astimezone(UTC))
    event.add("sequence", version)
    event.add("dtstart", vtimezone.unambiguous(occ.start))
    event.add("dtend", vtimezone.unambiguous(occ.end))
    event.add("summary", f"Cancelled: {occ.title}" if occ.status == "cancelled" else occ.title)
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
    return event


def occurrences_calendar(items: Iterable[tuple[recurrence.Occurrence, int, datetime, object, str | None]],
                         name: str) -> bytes:
    """A VCALENDAR of ``(occurrence, version, stamp, rule time or None, program name)`` items."""
    import icalendar
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", icalendar.vText(name))
    years: dict[str, list[int]] = {}
    events = []
    for occ, version, stamp, rule_time, program_name in items:
        events.append(occurrence_event(occ, version=version, stamp=stamp, rule_time=rule_time,
                                       program_name=program_name))
        years.setdefault(occ.timezone, []).extend((occ.start.year, occ.end.year))
    for zone_name in sorted(years):
        cal.add_component(vtimezone.vtimezone(zone_name, min(years[zone_name]), max(years[zone_name])))
    for event in events:
        cal.add_component(event)
    return cal.to_ical()
