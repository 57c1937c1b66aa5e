"""The VTIMEZONE builder against tzdata, read by dateutil's tzical (vobject's and Radicale's reader).

For zones with a yearly rule in either hemisphere, half-hour rules, zones that
dropped daylight saving, irregular ones and zones without any change, every
wall time of every six hours from 2025 to 2032 must get the offset zoneinfo
gives it. Written observances are one value a line and yearly rules where the
zone has them.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz as dateutil_tz

from docbox_shared import vtimezone

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "Australia/Lord_Howe",
         "Pacific/Chatham", "America/Sao_Paulo", "Africa/Casablanca", "Europe/Dublin", "America/Santiago",
         "Asia/Tehran", "Pacific/Auckland", "Etc/UTC"]


@pytest.mark.parametrize("name", ZONES)
def test_offsets_match_tzdata_for_years_ahead(name):
    text = vtimezone.vtimezone(name, 2026, 2029).to_ical().decode()
    unfolded = text.replace("\r\n ", "")
    assert not any(line.startswith("RDATE") for line in unfolded.splitlines())
    read = dateutil_tz.tzical(io.StringIO("BEGIN:VCALENDAR\r\n" + text + "END:VCALENDAR\r\n")).get(name)
    zone = ZoneInfo(name)
    wall = datetime(2025, 1, 1)
    while wall < datetime(2032, 1, 1):
        if vtimezone.plain(wall, zone):
            assert read.utcoffset(wall) == wall.replace(tzinfo=zone).utcoffset(), (name, wall)
        wall += timedelta(hours=6, minutes=15)


def test_regular_zones_are_two_yearly_rules_and_zones_without_changes_one_standard():
    new_york = vtimezone.vtimezone("America/New_York", 2027, 2029).to_ical().decode()
    assert new_york.count("RRULE:FREQ=YEARLY") == 2 and "UNTIL" not in new_york
    assert "DTSTART:20070311T020000" in new_york  # from where the rule began: parsers see the zone in 2000-2020
    kolkata = vtimezone.vtimezone("Asia/Kolkata", 2027, 2029).to_ical().decode()
    assert kolkata.count("BEGIN:STANDARD") == 1 and "DAYLIGHT" not in kolkata and "+0530" in kolkata
