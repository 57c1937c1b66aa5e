"""First-contact due times and a pairing's stage, across weekends and daylight-saving changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docbox_outreach.domain.timing import Stage, first_contact_due, stage

NEW_YORK, BERLIN, CAIRO = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Africa/Cairo")


def local(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone)


def wall(moment: datetime, zone) -> tuple:
    shown = moment.astimezone(zone)
    return shown.strftime("%a %Y-%m-%d %H:%M"), shown.utcoffset()


def test_plain_window_counts_real_hours_across_spring_forward():
    due = first_contact_due(local(NEW_YORK, 2026, 3, 7, 12), 48, NEW_YORK)
    assert due - local(NEW_YORK, 2026, 3, 7, 12) == timedelta(hours=48)
    assert wall(due, NEW_YORK) == ("Mon 2026-03-09 13:00", timedelta(hours=-4))  # 49 hours on the clock


def test_plain_window_counts_real_hours_across_fall_back():
    due = first_contact_due(local(BERLIN, 2026, 10, 23, 12), 48, BERLIN)
    assert wall(due, BERLIN) == ("Sun 2026-10-25 11:00", timedelta(hours=1))


def test_business_hours_pause_over_a_weekend_with_a_dst_change():
    # Friday 20:00: four hours left of Friday, the 23-hour Sunday does not count, Monday and Tuesday do.
    due = first_contact_due(local(NEW_YORK, 2026, 3, 6, 20), 48, NEW_YORK, business_hours=True)
    assert wall(due, NEW_YORK) == ("Tue 2026-03-10 20:00", timedelta(hours=-4))
    due = first_contact_due(local(BERLIN, 2026, 10, 23, 12), 24, BERLIN, business_hours=True)
    assert wall(due, BERLIN) == ("Mon 2026-10-26 12:00", timedelta(hours=1))


def test_business_hours_on_a_weekday_whose_midnight_a_dst_change_skips():
    # Cairo springs forward at Friday midnight: Friday 24 April 2026 starts at 01:00 and has 23 hours.
    start = local(CAIRO, 2026, 4, 23, 12)
    due = first_contact_due(start, 24, CAIRO, business_hours=True)
    assert due == first_contact_due(start, 24, CAIRO) and due - start == timedelta(hours=24)
    assert wall(due, CAIRO) == ("Fri 2026-04-24 13:00", timedelta(hours=3))
    due = first_contact_due(start, 72, CAIRO, business_hours=True)  # 12 (Thu) + 23 (Fri) + 24 (Mon) + 13
    assert wall(due, CAIRO) == ("Tue 2026-04-28 13:00", timedelta(hours=3))


def test_business_hours_start_on_a_weekend_or_before_a_holiday():
    due = first_contact_due(local(BERLIN, 2026, 5, 2, 15), 24, BERLIN, business_hours=True)  # a Saturday
    assert wall(due, BERLIN)[0] == "Tue 2026-05-05 00:00"
    due = first_contact_due(local(BERLIN, 2026, 5, 22, 9), 24, BERLIN, business_hours=True,
                            holidays={date(2026, 5, 25)})  # Whit Monday
    assert wall(due, BERLIN)[0] == "Tue 2026-05-26 09:00"


@pytest.mark.parametrize("hours", [0, 36, 96])
def test_only_the_configured_windows_are_accepted(hours):
    with pytest.raises(ValueError, match="24, 48, 72"):
        first_contact_due(datetime(2026, 1, 5, tzinfo=timezone.utc), hours, BERLIN)


def test_naive_instant_is_refused():
    with pytest.raises(ValueError, match="aware"):
        first_contact_due(datetime(2026, 1, 5, 9), 48, BERLIN)


class FakeClock:
    """Stands in for the kit's clock (issue 11 moves it there): time moves only when told."""

    def __init__(self, start: datetime):
        self.now = start

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def test_pairing_goes_overdue_then_escalates_over_a_dst_weekend():
    clock = FakeClock(local(NEW_YORK, 2026, 3, 6, 20))
    due = first_contact_due(clock.now, 48, NEW_YORK, business_hours=True)
    seen = []
    for _ in range(6):
        seen.append(stage(due, clock.advance(hours=24), contacted=False, escalate_after=timedelta(hours=24)))
    # 96 elapsed hours after Friday 20:00 EST is Tuesday 21:00 EDT: one hour past the due time.
    assert seen == [Stage.WAITING] * 3 + [Stage.OVERDUE, Stage.ESCALATED, Stage.ESCALATED]
    assert stage(due, clock.now, contacted=True, escalate_after=timedelta(hours=24)) == Stage.CONTACTED
    assert stage(due, due, contacted=False, escalate_after=timedelta(hours=24)) == Stage.OVERDUE
    assert stage(due, due - timedelta(seconds=1), contacted=False, escalate_after=timedelta(1)) == Stage.WAITING


def minute_by_minute(start: datetime, hours: int, zone, holidays=()) -> datetime:
    """The oracle: walk one minute at a time, counting the minutes of local working days."""
    moment, counted = start.astimezone(timezone.utc), 0
    while counted < hours * 60:
        day = moment.astimezone(zone).date()
        if day.weekday() < 5 and day not in holidays:
            counted += 1
        moment += timedelta(minutes=1)
    return moment


ZONES = [NEW_YORK, BERLIN, CAIRO, ZoneInfo("America/Santiago"), ZoneInfo("Australia/Lord_Howe")]


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
           lambda d: d.replace(second=0, microsecond=0)),
       st.sampled_from(ZONES), st.sampled_from([24, 48, 72]))
def test_business_due_time_matches_a_minute_by_minute_count_in_any_zone(start, zone, hours):
    start = start.replace(tzinfo=timezone.utc)
    holidays = {start.astimezone(zone).date() + timedelta(days=2)}
    assert first_contact_due(start, hours, zone, business_hours=True, holidays=holidays) == \
        minute_by_minute(start, hours, zone, holidays)
