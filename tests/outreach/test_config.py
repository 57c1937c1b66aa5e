"""An operator's settings for the outreach programs: taken as given, or refused by name."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from docbox_outreach.config import SETTINGS
from docbox_shared.settings import ConfigError, load


def test_defaults_are_a_48_hour_window_in_plain_hours_and_a_year_of_training():
    config = load(SETTINGS, {})
    assert config["FIRST_CONTACT_HOURS"] == 48 and config["FIRST_CONTACT_BUSINESS_HOURS"] is False
    assert config["TRAINING_VALID_DAYS"] == 365 and config["OUTREACH_HOLIDAYS"] == frozenset()


def test_operator_values_are_read():
    config = load(SETTINGS, {"DOCBOX_OUTREACH_FIRST_CONTACT_HOURS": "72", "DOCBOX_OUTREACH_BUSINESS_HOURS": "yes",
                             "DOCBOX_OUTREACH_HOLIDAYS": "2026-12-25, 2027-01-01",
                             "DOCBOX_OUTREACH_TIMEZONE": "Europe/Berlin"})
    assert config["FIRST_CONTACT_HOURS"] == 72 and config["FIRST_CONTACT_BUSINESS_HOURS"] is True
    assert config["OUTREACH_HOLIDAYS"] == {date(2026, 12, 25), date(2027, 1, 1)}
    assert config["OUTREACH_TIMEZONE"] == ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("name, value", [
    ("DOCBOX_OUTREACH_FIRST_CONTACT_HOURS", "36"),
    ("DOCBOX_OUTREACH_FIRST_CONTACT_HOURS", "two days"),
    ("DOCBOX_OUTREACH_TIMEZONE", "Mars/Olympus_Mons"),
    ("DOCBOX_OUTREACH_TIMEZONE", "../../etc/passwd"),
    ("DOCBOX_OUTREACH_HOLIDAYS", "25/12/2026"),
    ("DOCBOX_OUTREACH_TRAINING_VALID_DAYS", "0"),
    ("DOCBOX_OUTREACH_BUSINESS_HOURS", "sometimes"),
])
def test_bad_value_stops_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load(SETTINGS, {name: value})
