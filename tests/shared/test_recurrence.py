"""The shared recurrence expansion agrees with an implementation nobody here wrote.

Each series is written as an iCalendar VEVENT (DTSTART with TZID, RRULE) and
expanded by ``recurring-ical-events``; the instants must be exactly those of
``docbox_shared.recurrence.expand``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import recurring_ical_events

from docbox_shared import recurrence

UTC = timezone.utc
CASES = [
    # zone, first local start, rule
    ("America/New_York", datetime(2027, 2, 24, 19), "FREQ=WEEKLY;COUNT=8"),                 # spring forward 14 March
    ("America/New_York", datetime(2027, 10, 20, 19), "FREQ=WEEKLY;INTERVAL=2;COUNT=6"),      # fall back 7 November
    ("Europe/Berlin", datetime(2027, 3, 17, 19), "FREQ=MONTHLY;BYDAY=3WE;COUNT=10"),
    ("Europe/Berlin", datetime(2027, 1, 31, 18, 30), "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=6"),  # skips short months
    ("Australia/Sydney", datetime(2027, 3, 30, 7), "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270501T000000Z"),
    ("America/Chicago", datetime(2027, 1, 26, 12, 15), "FREQ=MONTHLY;BYDAY=-1TU;COUNT=12"),
    ("America/New_York", datetime(2027, 3, 7, 2, 30), "FREQ=WEEKLY;COUNT=3"),                # 2:30 does not exist on 14 March
]


def reference(tz_name, start_local, rule, duration):
    cal = icalendar.Calendar()
    event = icalendar.Event()
    tz = recurrence.zone(tz_name)
    event.add("uid", "x")
    event.add("dtstart", start_local.replace(tzinfo=tz))
    event.add("dtend", start_local.replace(tzinfo=tz) + duration)
    event.add("rrule", icalendar.vRecur.from_ical(rule))
    cal.add_component(event)
    cal.add_missing_timezones()
    parsed = icalendar.Calendar.from_ical(cal.to_ical())
    found = recurring_ical_events.of(parsed).between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))
    return sorted(e["DTSTART"].dt.astimezone(UTC) for e in found)


@pytest.mark.parametrize("tz_name, start_local, rule", CASES)
def test_expansion_matches_recurring_ical_events(tz_name, start_local, rule):
    normalized = recurrence.normalize_rule(rule, start_local, tz_name)
    state = dict(id="s", program_id="p", title="t", description="", format="virtual", location=None,
                 video_url="https://v.example.org", timezone=tz_name, start_local=start_local,
                 duration_minutes=90, rrule=normalized, exceptions=[])
    ours = [o.start.astimezone(UTC) for o in recurrence.expand(
        "series", state, datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))]
    assert ours == reference(tz_name, start_local, normalized, timedelta(minutes=90))
    assert len(ours) >= 3


def test_local_wall_time_is_kept_across_the_change():
    state = dict(id="s", program_id="p", title="t", format="virtual", video_url="https://v", timezone="America/New_York",
                 start_local=datetime(2027, 3, 3, 19), duration_minutes=60, rrule="FREQ=WEEKLY;COUNT=3", exceptions=[])
    occ = recurrence.expand("series", state, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    assert [o.start.hour for o in occ] == [19, 19, 19]
    assert [o.start.utcoffset() for o in occ] == [timedelta(hours=-5), timedelta(hours=-5), timedelta(hours=-4)]


def test_moved_occurrence_found_in_its_new_window_only():
    moved_to = datetime(2027, 4, 20, 18, tzinfo=UTC)
    state = dict(id="s", program_id="p", title="t", format="virtual", video_url="https://v", timezone="UTC",
                 start_local=datetime(2027, 3, 3, 19), duration_minutes=60, rrule="FREQ=WEEKLY;COUNT=3",
                 exceptions=[dict(date=date(2027, 3, 10), status="scheduled", start=moved_to,
                                  end=moved_to + timedelta(hours=1), location=None, video_url=None,
                                  updated_at=moved_to)])
    march = recurrence.expand("series", state, datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    april = recurrence.expand("series", state, datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC))
    assert [o.id for o in march] == ["s_20270303", "s_20270317"]
    assert [(o.id, o.start, o.moved) for o in april] == [("s_20270310", moved_to, True)]


@pytest.mark.parametrize("rule, message", [
    ("FREQ=HOURLY;COUNT=3", "FREQ"), ("FREQ=WEEKLY", "end"), ("FREQ=WEEKLY;COUNT=0", "COUNT"),
    ("FREQ=WEEKLY;COUNT=2;UNTIL=20280101", "not both"), ("FREQ=DAILY;COUNT=5000", "at most"),
    ("FREQ=DAILY;UNTIL=20500101", "occurrences"), ("FREQ=WEEKLY;BYSECOND=5;COUNT=3", "not supported"),
    ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "rule"), ("FREQ=WEEKLY;COUNT=3;COUNT=4", "twice"),
])
def test_rules_refused(rule, message):
    with pytest.raises(recurrence.RuleError, match=message):
        recurrence.normalize_rule(rule, datetime(2027, 3, 3, 19), "UTC")


@pytest.mark.parametrize("tz_name, start_local, minutes, first_end", [
    ("America/New_York", datetime(2027, 11, 7, 1, 30), 60, datetime(2027, 11, 7, 6, 30, tzinfo=UTC)),   # fall back
    ("America/New_York", datetime(2027, 11, 7, 0, 30), 90, datetime(2027, 11, 7, 6, 0, tzinfo=UTC)),
    ("America/New_York", datetime(2027, 3, 14, 1, 30), 60, datetime(2027, 3, 14, 7, 30, tzinfo=UTC)),   # 02:30 skipped
    ("Australia/Sydney", datetime(2027, 4, 4, 2, 30), 60, datetime(2027, 4, 3, 16, 30, tzinfo=UTC)),    # fall back
    ("Europe/London", datetime(2027, 3, 28, 0, 45), 30, datetime(2027, 3, 28, 1, 15, tzinfo=UTC)),
])
def test_length_is_elapsed_time_across_a_clock_change(tz_name, start_local, minutes, first_end):
    state = dict(id="s", program_id="p", title="t", format="virtual", video_url="https://v", timezone=tz_name,
                 start_local=start_local, duration_minutes=minutes, rrule="FREQ=DAILY;COUNT=1", exceptions=[])
    (occ,) = recurrence.expand("series", state, datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    assert occ.end.astimezone(UTC) == first_end
    assert occ.end.astimezone(UTC) - occ.start.astimezone(UTC) == timedelta(minutes=minutes)
