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
The event itself is the feed's (:mod:`docbox_shared.vevent`), its text and a cancellation's reason included.
Nothing here names a facilitator or anyone who came.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from docbox_shared import recurrence, vevent, vtimezone

PRODID = "-//Doc Box//sessions export//EN"


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
        recurrence_id = None
        if occ.entry_kind == "series":   # one instance of the series, named as the feed's override names it
            tz = recurrence.zone(occ.timezone)
            recurrence_id = datetime.combine(occ.recurrence_date, rule_time).replace(tzinfo=tz)
        events.append(vevent.occurrence_event(occ, version=version, stamp=stamp, recurrence_id=recurrence_id,
                                              program_name=program_name))
        years.setdefault(occ.timezone, []).extend((occ.start.year, occ.end.year))
    for zone_name in sorted(years):
        cal.add_component(vtimezone.vtimezone(zone_name, min(years[zone_name]), max(years[zone_name])))
    for event in events:
        cal.add_component(event)
    return cal.to_ical()
