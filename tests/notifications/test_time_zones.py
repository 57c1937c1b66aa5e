"""Mailed invitations put a session at the same instants in every calendar, on clock-change nights too.

The invitation of a 60-minute one-off 01:30 session on New York's fall-back night is
read by vobject (with only the VTIMEZONE in the message: Radicale's parser)
and by Mozilla's ical.js (Thunderbird's): 05:30-06:30 UTC, sixty elapsed
minutes, as the sessions service lists it. The zone is written with the
yearly rules, never a multi-valued RDATE.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import vobject
import vobject.icalendar

from .test_reminders import invitation

UTC = timezone.utc
ICAL_JS = Path(__file__).parents[1] / "calendar_sync" / "js" / "expand.mjs"


def read_by_vobject(text: str) -> tuple[datetime, datetime]:
    registry = vars(vobject.icalendar)["__tzidMap"]  # process-wide; empty it so only the message's zone counts
    registry.clear()
    registry["UTC"] = vobject.icalendar.utc
    event = vobject.readOne(text).vevent
    for value in (event.dtstart.value, event.dtend.value):
        assert value.tzinfo is vobject.icalendar.utc or type(value.tzinfo).__module__.startswith("dateutil")
    return event.dtstart.value.astimezone(UTC), event.dtend.value.astimezone(UTC)


def read_by_ical_js(text: str) -> tuple[datetime, datetime]:
    result = subprocess.run(["node", str(ICAL_JS), "2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z"],
                            input=text.encode(), capture_output=True, check=True)
    [occ] = json.loads(result.stdout)
    return tuple(datetime.fromisoformat(occ[k].replace("Z", "+00:00")) for k in ("start", "end"))


def test_invitation_on_the_fall_back_night_is_sixty_minutes_everywhere(calendar, subscribe, smtp, worker, clock):
    calendar.program(tz="America/New_York")
    # A one-off session: only those carry an invitation (series occurrences link to the feed).
    calendar.session("night", datetime(2027, 11, 7, 5, 30, tzinfo=UTC), minutes=60, tz="America/New_York")
    subscribe()
    smtp.clear()
    clock.set(datetime(2027, 11, 1, tzinfo=UTC))  # the worker plans reminders a few weeks ahead
    worker()
    smtp.clear()
    clock.set(datetime(2027, 11, 6, 5, 30, tzinfo=UTC))  # 24 hours before the 01:30 EDT of 7 November
    worker()
    [reminder] = smtp.messages
    part, cal, event = invitation(reminder)
    text = part.get_content()
    expected = (datetime(2027, 11, 7, 5, 30, tzinfo=UTC), datetime(2027, 11, 7, 6, 30, tzinfo=UTC))
    assert (event.decoded("dtstart").astimezone(UTC), event.decoded("dtend").astimezone(UTC)) == expected
    assert read_by_vobject(text) == expected
    assert read_by_ical_js(text) == expected
    unfolded = text.replace("\r\n ", "")
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in unfolded
    assert not any(line.startswith("RDATE") and "," in line for line in unfolded.splitlines())
    # The text says which 01:30 each one is.
    assert "01:30 EDT–01:30 EST (America/New_York)" in reminder.text
